using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using KeyShareDetector.Integration.Tests.Support;

namespace KeyShareDetector.Integration.Tests.Cli;

/// <summary>`keyshare eval --ordered` as a child process: the same seed twice gives the same report and the same commands, byte for byte.</summary>
public sealed class EvalCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keyshare-eval-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task The_same_seed_twice_gives_identical_reports_and_commands()
    {
        var first = await Eval("a", seed: 3);
        var second = await Eval("b", seed: 3);

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
        var other = await Eval("c", seed: 4);
        Assert.NotEqual(first.CommandsSha256, other.CommandsSha256);
    }

    private async Task<(string ReportSha256, string CommandsSha256, int Commands)> Eval(string name, int seed)
    {
        string reportPath = Path.Combine(_dir, name + ".json");
        string commandsPath = Path.Combine(_dir, name + ".commands.jsonl");
        var start = KeyshareCli.Start(["eval", "--scenario", "small", "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--ordered",
            "--json", "--out", reportPath, "--commands-out", commandsPath]);
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
