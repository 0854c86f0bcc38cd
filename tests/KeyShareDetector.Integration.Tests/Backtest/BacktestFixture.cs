using System.Diagnostics;
using KeyShareDetector.Integration.Tests.Support;

namespace KeyShareDetector.Integration.Tests.Backtest;

/// <summary>
/// Input written by `keyshare simulate --scenario lent-only` (200 retail keys, 3 lent keys, 10 min of event time: no
/// fleet finding and no breaker trip, so the outputs do not depend on the timing of internal topics) and one
/// `keyshare backtest` of it, shared by the tests of this collection.
/// </summary>
public sealed class BacktestFixture : IAsyncLifetime
{
    public const int Seed = 3;

    public string Root { get; } = Directory.CreateTempSubdirectory("keyshare-backtest-it-").FullName;
    public string InputDir => Path.Combine(Root, "input");
    public string FirstRunDir => Path.Combine(Root, "run-1");

    public async Task InitializeAsync()
    {
        var sim = await RunCliAsync(["simulate", "--scenario", "lent-only", "--seed", Seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", InputDir]);
        Assert.True(sim.Exit == 0, "simulate failed: " + sim.Stderr);
        var bt = await RunCliAsync(["backtest", "--input", InputDir, "--out", FirstRunDir]);
        Assert.True(bt.Exit == 0, "backtest failed: " + bt.Stderr + bt.Stdout);
        Assert.True(new FileInfo(Path.Combine(FirstRunDir, "commands.jsonl")).Length > 0, "the lent keys were not actioned: " + bt.Stderr + bt.Stdout);
    }

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Temp files left behind are harmless.
        }
        return Task.CompletedTask;
    }

    public static async Task<(int Exit, string Stdout, string Stderr)> RunCliAsync(string[] args)
    {
        using var p = Process.Start(KeyshareCli.Start(args))!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = p.StandardError.ReadToEndAsync(timeout.Token);
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout, await stderr);
    }
}

[CollectionDefinition(Name)]
public sealed class BacktestCollection : ICollectionFixture<BacktestFixture>
{
    public const string Name = "backtest";
}
