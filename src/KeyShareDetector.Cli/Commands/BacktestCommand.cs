using System.CommandLine;
using KeyShareDetector.Cli.Backtest;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Simulator;

namespace KeyShareDetector.Cli.Commands;

/// <summary>
/// `keyshare backtest`: recorded input (JSONL files or Kafka topics over a time range) through the real topology with a
/// candidate and optionally a baseline policy; deterministic JSONL outputs, a diff, quality per population and an HTML report.
/// </summary>
internal static class BacktestCommand
{
    public static Command Create()
    {
        var input = new Option<string?>("--input") { Description = "directory of JSONL files as `keyshare simulate --out` writes them (access, orders, registry, lifecycle, labels)" };
        var bootstrap = new Option<string?>("--bootstrap-servers") { Description = "read the input topics from these Kafka brokers instead" };
        var from = new Option<string?>("--from") { Description = "with Kafka: first record time to keep (ISO 8601 or epoch ms; default: the beginning)" };
        var to = new Option<string?>("--to") { Description = "with Kafka: record time to stop before (ISO 8601 or epoch ms; default: no end)" };
        var policy = new Option<string[]>("--policy") { Description = "candidate policy documents (default: the built-in policy)", AllowMultipleArgumentsPerToken = true };
        var baseline = new Option<string[]>("--baseline") { Description = "baseline policy documents to compare against", AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--out") { Description = "output directory", Required = true };
        var command = new Command("backtest", "replay recorded traffic through the detector with a candidate (and baseline) policy; writes JSONL outputs, a diff and an HTML report")
        {
            input, bootstrap, from, to, policy, baseline, output,
        };
        command.SetAction(async (parse, ct) =>
        {
            string? dir = parse.GetValue(input);
            string? servers = parse.GetValue(bootstrap);
            if ((dir is null) == (servers is null))
            {
                Console.Error.WriteLine("give exactly one of --input DIR or --bootstrap-servers HOST:PORT");
                return 2;
            }
            PolicyBook candidate;
            PolicyBook? baselineBook = null;
            string[] candidateFiles = parse.GetValue(policy) ?? [];
            string[] baselineFiles = parse.GetValue(baseline) ?? [];
            Scenario scenario;
            try
            {
                candidate = DemoSetup.Policies(candidateFiles);
                if (baselineFiles.Length > 0) baselineBook = DemoSetup.Policies(baselineFiles);
                if (dir is not null)
                {
                    scenario = BacktestInput.FromDirectory(dir);
                }
                else
                {
                    long fromMs = parse.GetValue(from) is { } f ? BacktestInput.ParseInstant(f) : long.MinValue;
                    long toMs = parse.GetValue(to) is { } t ? BacktestInput.ParseInstant(t) : long.MaxValue;
                    (scenario, int skipped) = BacktestInput.FromKafka(servers!, fromMs, toMs, TimeSpan.FromMinutes(5), ct);
                    if (skipped > 0) Console.Error.WriteLine($"skipped {skipped:N0} records that do not parse");
                }
            }
            catch (Exception e) when (e is Streams.Policy.PolicyDocumentException or FormatException or IOException or InvalidDataException or TimeoutException)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
            string candidateName = candidateFiles.Length > 0 ? string.Join(", ", candidateFiles.Select(Path.GetFileName)) : "built-in default";
            string? baselineName = baselineFiles.Length > 0 ? string.Join(", ", baselineFiles.Select(Path.GetFileName)) : null;
            string outDir = parse.GetValue(output)!;
            var result = await BacktestRunner.RunAsync(scenario, candidate, baselineBook, outDir, candidateName, baselineName, m => Console.Error.WriteLine(m), ct);
            Console.WriteLine($"{scenario.EventCount:N0} events: {result.Commands.Count:N0} commands, {result.Alerts.Count:N0} alerts -> {outDir}");
            if (result.Diff is { } diff) Console.Write(diff.ToText());
            if (result.Quality is { } quality) EvalCommand.Render(quality);
            if (!result.Completed) Console.Error.WriteLine("the run stopped at its deadline before the outputs settled: the outputs are incomplete");
            return result.Completed ? 0 : 1;
        });
        return command;
    }
}
