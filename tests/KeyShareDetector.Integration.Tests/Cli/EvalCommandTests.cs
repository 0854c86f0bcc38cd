using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using KeyShareDetector.Integration.Tests.Support;

namespace KeyShareDetector.Integration.Tests.Cli;

/// <summary>
/// `keyshare eval` as a child process, ordered (in process, event-time order) and on the embedded broker (the default,
/// stepped runner): the same seed twice gives the same report and the same commands, byte for byte.
/// </summary>
public sealed class EvalCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keyshare-eval-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task The_same_seed_twice_gives_identical_reports_and_commands()
    {
        var first = await Eval("a", seed: 3, "small", ordered: true);
        var second = await Eval("b", seed: 3, "small", ordered: true);

        Assert.Equal(first.ReportSha256, second.ReportSha256);
        Assert.Equal(first.CommandsSha256, second.CommandsSha256);

        // The hashes cover real work: commands were issued, shared keys were caught, the backend answered some.
        Assert.True(first.Commands > 50, $"{first.Commands} commands");
        using var report = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(_dir, "a.json")));
        var lent = report.RootElement.GetProperty("populations").EnumerateArray().Single(p => p.GetProperty("population").GetString() == "lent");
        Assert.True(lent.GetProperty("keys_actioned").GetInt32() > 0);
        Assert.True(lent.GetProperty("reauth").GetInt32() > 0);
        Assert.Equal(first.Commands, report.RootElement.GetProperty("commands").GetInt32());

        // And they are sensitive to the input: another seed gives other commands.
        var other = await Eval("c", seed: 4, "small", ordered: true);
        Assert.NotEqual(first.CommandsSha256, other.CommandsSha256);
    }

    [Fact]
    public async Task The_broker_eval_gives_identical_reports_and_commands_for_the_same_seed()
    {
        // The default path: the real topology on the embedded broker, exactly-once, fed in steps of event time by the
        // stepped runner, with the backend stand-in answering. The demo mix has every population (a mass leak, so the
        // fleet stage's findings come back through internal topics; REAUTHs, so the backend's answers go in) in 30 min.
        var first = await Eval("broker-a", seed: 3, "demo", ordered: false);
        var second = await Eval("broker-b", seed: 3, "demo", ordered: false);

        Assert.Equal(first.CommandsSha256, second.CommandsSha256);
        Assert.Equal(first.ReportSha256, second.ReportSha256);

        using var report = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(_dir, "broker-a.json")));
        var populations = report.RootElement.GetProperty("populations").EnumerateArray().ToDictionary(p => p.GetProperty("population").GetString()!);
        Assert.True(populations["mass_leak"].GetProperty("keys_actioned").GetInt32() > 0, "no mass-leak key actioned: the fleet loop did not run");
        Assert.True(populations["lent"].GetProperty("reauth").GetInt32() > 0, "no REAUTH: the backend had nothing to answer");
        Assert.Equal(first.Commands, report.RootElement.GetProperty("commands").GetInt32());

        var other = await Eval("broker-c", seed: 4, "demo", ordered: false);
        Assert.NotEqual(first.CommandsSha256, other.CommandsSha256);
    }

    private async Task<(string ReportSha256, string CommandsSha256, int Commands)> Eval(string name, int seed, string scenario, bool ordered)
    {
        string reportPath = Path.Combine(_dir, name + ".json");
        string commandsPath = Path.Combine(_dir, name + ".commands.jsonl");
        string[] args = ["eval", "--scenario", scenario, "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--json", "--out", reportPath, "--commands-out", commandsPath];
        var start = KeyshareCli.Start(ordered ? [.. args, "--ordered"] : args);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"keyshare eval did not finish within 4 minutes; stderr: {await stderr}");
        }
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}; stderr: {await stderr}");
        await stdout;
        byte[] commands = await File.ReadAllBytesAsync(commandsPath);
        return (Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(reportPath))), Convert.ToHexString(SHA256.HashData(commands)),
            commands.Count(b => b == (byte)'\n'));
    }
}
