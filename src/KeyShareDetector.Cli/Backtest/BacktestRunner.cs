using System.Text;
using KeyShareDetector.Cli.Evaluation;
using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Simulator;

namespace KeyShareDetector.Cli.Backtest;

/// <summary>What a backtest wrote.</summary>
public sealed record BacktestResult(
    IReadOnlyList<EnforcementCommand> Commands,
    IReadOnlyList<Alert> Alerts,
    IReadOnlyList<EnforcementCommand>? BaselineCommands,
    PolicyDiff? Diff,
    QualityReport? Quality,
    bool Completed);

/// <summary>
/// Plays a scenario through the real topology (in process, embedded broker, event-time order) once per policy and
/// writes commands.jsonl, alerts.jsonl, baseline-commands.jsonl, diff.json, quality.json and report.html.
/// </summary>
public static class BacktestRunner
{
    private static readonly UTF8Encoding NoBom = new(encoderShouldEmitUTF8Identifier: false);
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(30);

    /// <summary>A candidate is often run in shadow mode: in a backtest its shadow commands are what it would have done.</summary>
    private static List<EnforcementCommand> Unshadowed(IEnumerable<EnforcementCommand> commands) => commands.Select(c => c with { Shadow = false }).ToList();

    /// <summary>Replays once more (up to 3 times in all) when a run lost commands; see <see cref="ReplayResult.Consistent"/>.</summary>
    private static async Task<ReplayResult> ReplayAsync(Scenario scenario, PolicyBook policies, Action<string>? log, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            var run = await TopologyReplay.RunAsync(scenario, policies, Deadline, ct);
            log?.Invoke(Describe(run));
            if (run.Consistent || !run.Completed || attempt == 3) return run;
            log?.Invoke($"  {run.KeysWithoutCommands.Count} keys reached WARNED or above without a command reaching the output (e.g. {run.KeysWithoutCommands[0]}): replaying again");
        }
    }

    private static string Describe(ReplayResult r) =>
        $"  read {r.RecordsIn:N0} input records ({r.LateRecords:N0} late, {r.DeadLetters:N0} dead-lettered, {r.Snapshots:N0} feature snapshots); {r.CommandsDecided:N0} commands decided, {r.CommandsCounted:N0} passed the breaker, {r.Commands.Count:N0} read back; {r.Alerts.Count:N0} alerts; {r.Elapsed.TotalSeconds:F1} s{(r.Completed ? "" : " (deadline)")}{(r.Consistent ? "" : $"; {r.KeysWithoutCommands.Count} escalated keys without a command")}";

    public static async Task<BacktestResult> RunAsync(Scenario scenario, PolicyBook candidate, PolicyBook? baseline, string outDir,
        string candidateName, string? baselineName, Action<string>? log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(candidate);
        Directory.CreateDirectory(outDir);
        log?.Invoke($"candidate: {scenario.EventCount:N0} events through the topology");
        var run = await ReplayAsync(scenario, candidate, log, ct);
        var commands = BacktestOutput.Sort(run.Commands);
        var alerts = BacktestOutput.Sort(run.Alerts);
        bool completed = run.Completed && run.Consistent;
        await File.WriteAllBytesAsync(Path.Combine(outDir, "commands.jsonl"), BacktestOutput.CommandsJsonl(commands), ct);
        await File.WriteAllBytesAsync(Path.Combine(outDir, "alerts.jsonl"), BacktestOutput.AlertsJsonl(alerts), ct);

        IReadOnlyList<EnforcementCommand>? baselineCommands = null;
        PolicyDiff? diff = null;
        if (baseline is not null)
        {
            log?.Invoke("baseline: the same input again");
            var b = await ReplayAsync(scenario, baseline, log, ct);
            completed &= b.Completed && b.Consistent;
            baselineCommands = BacktestOutput.Sort(b.Commands);
            await File.WriteAllBytesAsync(Path.Combine(outDir, "baseline-commands.jsonl"), BacktestOutput.CommandsJsonl(baselineCommands), ct);
            diff = PolicyDiff.Compute(Unshadowed(baselineCommands), Unshadowed(commands));
            await File.WriteAllTextAsync(Path.Combine(outDir, "diff.json"), diff.ToJson(), NoBom, ct);
        }

        QualityReport? quality = null, baselineQuality = null;
        if (scenario.Labels.Count > 0)
        {
            quality = QualityReport.Compute(scenario.Labels, Unshadowed(commands), scenario.EventCount);
            await File.WriteAllTextAsync(Path.Combine(outDir, "quality.json"), quality.ToJson(), NoBom, ct);
            if (baselineCommands is not null) baselineQuality = QualityReport.Compute(scenario.Labels, Unshadowed(baselineCommands), scenario.EventCount);
        }

        var report = new BacktestReportData(candidateName, baselineName, scenario.EventCount, commands, baselineCommands, alerts, diff, quality, baselineQuality);
        await File.WriteAllTextAsync(Path.Combine(outDir, "report.html"), BacktestReport.Html(report), NoBom, ct);
        return new BacktestResult(commands, alerts, baselineCommands, diff, quality, completed);
    }
}
