using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace KeyShareDetector.Integration.Tests.Backtest;

/// <summary>
/// `keyshare backtest` of traffic with a mass compromise (the simulator's demo mix: 24 keys swept from one rented
/// network among about 700 keys). Fleet findings cross two internal topics and come back to each key, where they can
/// cause commands: the run must wait for all of that, not stop at its deadline or before the loop has come round.
/// </summary>
[Collection(BacktestCollection.Name)]
public sealed partial class BacktestFleetTests(BacktestFixture fixture)
{
    [Fact]
    public async Task A_backtest_with_a_mass_compromise_waits_for_every_fleet_finding_and_the_commands_it_causes()
    {
        string input = Path.Combine(fixture.Root, "mass-leak-input");
        var sim = await BacktestFixture.RunCliAsync(["simulate", "--scenario", "demo", "--seed", "1", "--out", input]);
        Assert.True(sim.Exit == 0, "simulate failed: " + sim.Stderr);
        string output = Path.Combine(fixture.Root, "mass-leak-run");

        var run = await BacktestFixture.RunCliAsync(["backtest", "--input", input, "--out", output]);

        // 0: the topology finished with every record before the deadline (1 would mean incomplete outputs).
        Assert.True(run.Exit == 0, run.Stderr + run.Stdout);
        // What the run waited for, as it reports it.
        var m = Handled().Match(run.Stderr);
        Assert.True(m.Success, "no hand-off counts in: " + run.Stderr);
        Assert.True(N(m, "fbsent") > 0, "the input sent no finding back to a key: " + m.Value);
        Assert.Equal(N(m, "fbsent"), N(m, "fbhandled"));
        Assert.Equal(N(m, "obssent"), N(m, "obshandled"));
        Assert.Equal(N(m, "decided"), N(m, "passed"));
        Assert.Equal(N(m, "passed"), N(m, "live") + N(m, "shadow"));
        Assert.Equal(N(m, "raised"), N(m, "alertsread"));

        // The outputs hold the mass-compromise alert and the commands its findings caused on the swept keys.
        var massLeak = File.ReadLines(Path.Combine(input, "labels.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("population").GetString() == "mass_leak")
            .Select(e => e.GetProperty("api_key_id").GetString()!)
            .ToHashSet(StringComparer.Ordinal);
        Assert.Equal(24, massLeak.Count);
        var alerts = File.ReadLines(Path.Combine(output, "alerts.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(alerts, a => a.GetProperty("kind").GetString() == "MASS_COMPROMISE");
        var commands = File.ReadLines(Path.Combine(output, "commands.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(N(m, "live") + N(m, "shadow"), commands.Count);
        Assert.Contains(commands, c => massLeak.Contains(c.GetProperty("api_key_id").GetString()!) &&
                                       c.GetProperty("reasons").EnumerateArray().Any(r => r.GetProperty("code").GetString() == "MASS_COMPROMISE"));
    }

    private static long N(Match m, string group) =>
        long.Parse(new string(m.Groups[group].Value.Where(char.IsAsciiDigit).ToArray()), CultureInfo.InvariantCulture);

    /// <summary>The runner's line: "inputs …; commands decided D, passed the breaker P; fleet observations H/S; feedback H/S; alerts A; read back L live and S shadow commands, R alerts".</summary>
    [GeneratedRegex(@"commands decided (?<decided>[\d,.]+), passed the breaker (?<passed>[\d,.]+); fleet observations (?<obshandled>[\d,.]+)/(?<obssent>[\d,.]+); feedback (?<fbhandled>[\d,.]+)/(?<fbsent>[\d,.]+); alerts (?<raised>[\d,.]+); read back (?<live>[\d,.]+) live and (?<shadow>[\d,.]+) shadow commands, (?<alertsread>[\d,.]+) alerts", RegexOptions.CultureInvariant)]
    private static partial Regex Handled();
}
