using System.CommandLine;
using KeyShareDetector.Cli.Evaluation;
using KeyShareDetector.Cli.Running;
using KeyShareDetector.Simulator;
using Spectre.Console;

namespace KeyShareDetector.Cli.Commands;

/// <summary>`keyshare eval`: a labelled scenario through the real topology on an embedded Kafka, scored per population.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var seed = new Option<int>("--seed") { Description = "scenario seed", DefaultValueFactory = _ => 1 };
        var scenario = new Option<string>("--scenario") { Description = "scenario set: default (>= 20,000 keys, >= 1,000,000 events), small, or demo", DefaultValueFactory = _ => "default" };
        var json = new Option<bool>("--json") { Description = "print the report as JSON" };
        var output = new Option<string?>("--out") { Description = "also write the JSON report to this file" };
        var commandsOut = new Option<string?>("--commands-out") { Description = "also write the enforcement commands as JSONL (by issued_at, then command id) to this file" };
        var atLeastOnce = new Option<bool>("--at-least-once") { Description = "run the detector at-least-once instead of exactly-once (broker runs)" };
        var ordered = new Option<bool>("--ordered")
        {
            Description = "play the scenario in event-time order through the topology in process (Streamiz's test driver, no broker): the same seed gives " +
                          "the same commands byte for byte; its cost grows with the square of the records, so use it for the small and demo scenarios",
        };
        var policy = new Option<string[]>("--policy") { Description = "policy documents to evaluate (default: the built-in policy)", AllowMultipleArgumentsPerToken = true };
        var command = new Command("eval", "run a labelled scenario through the detector and report detection quality per population")
        {
            seed, scenario, json, output, commandsOut, ordered, atLeastOnce, policy,
        };
        command.SetAction(async (parse, ct) =>
        {
            Scenario s;
            try
            {
                s = Scenarios.Build(parse.GetValue(scenario)!, parse.GetValue(seed));
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
            Detection.Policy.PolicyBook book;
            try
            {
                book = DemoSetup.Policies(parse.GetValue(policy));
            }
            catch (Streams.Policy.PolicyDocumentException e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
            bool asJson = parse.GetValue(json);
            if (!asJson) Console.Error.WriteLine($"scenario {parse.GetValue(scenario)} seed {parse.GetValue(seed)}: {s.Labels.Count:N0} keys, {s.EventCount:N0} events");
            var settings = new RunSettings { Policies = book, Backend = Scenarios.Backend(), ExactlyOnce = !parse.GetValue(atLeastOnce) };
            Action<RunProgress>? show = asJson ? null : p => Console.Error.Write($"\r{p.Elapsed.TotalSeconds,6:F0} s  produced {p.Produced:N0}/{p.Total:N0}  read {p.Consumed:N0}  commands {p.Metrics.CommandsByAction.Values.Sum():N0}   ");
            var result = parse.GetValue(ordered)
                ? await Task.Run(() => OrderedRun.Run(s, settings, show, ct), ct)
                : await ScenarioRun.RunAsync(s, settings, show, ct);
            if (!asJson) Console.Error.WriteLine();
            var report = QualityReport.Compute(s.Labels, result.Commands, s.EventCount);
            if (parse.GetValue(output) is { } path) await File.WriteAllTextAsync(path, report.ToJson(), ct);
            if (parse.GetValue(commandsOut) is { } commandsPath) await File.WriteAllBytesAsync(commandsPath, Backtest.BacktestOutput.CommandsJsonl(result.Commands), ct);
            if (asJson)
            {
                Console.WriteLine(report.ToJson());
            }
            else
            {
                Render(report);
                Console.WriteLine($"wall time {result.Elapsed.TotalSeconds:F1} s ({s.EventCount / Math.Max(0.001, result.Elapsed.TotalSeconds):N0} events/s){(result.Completed ? "" : " - stopped at the deadline before the outputs settled")}");
            }
            return result.Completed ? 0 : 1;
        });
        return command;
    }

    public static void Render(QualityReport report)
    {
        var table = new Table().AddColumns("population", "abusive", "keys", "actioned", "WARN", "REAUTH", "REVOKE", "false pos.", "recall", "ttd p50", "ttd p95", "lead reasons");
        foreach (var r in report.Populations)
        {
            table.AddRow(r.Population, r.Abusive ? "yes" : "no", r.Keys.ToString("N0"), r.KeysActioned.ToString("N0"), r.Warn.ToString("N0"), r.Reauth.ToString("N0"),
                r.Revoke.ToString("N0"), r.FalsePositives.ToString("N0"), QualityReport.Fmt(r.Recall), QualityReport.Secs(r.MedianTimeToDetectMs), QualityReport.Secs(r.P95TimeToDetectMs),
                Markup.Escape(r.TopReasons));
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"recall (abusive, any action) [bold]{report.RecallAbusive:F4}[/]; precision any action [bold]{report.PrecisionAnyAction:F4}[/]; precision REVOKE [bold]{report.PrecisionRevoke:F4}[/]; median time-to-detect [bold]{QualityReport.Secs(report.MedianTimeToDetectMs)}[/]");
    }
}
