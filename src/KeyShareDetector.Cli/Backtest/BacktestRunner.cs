using System.Text;
using KeyShareDetector.Cli.Evaluation;
using KeyShareDetector.Cli.Running;
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

    /// <summary>
    /// One pass of the input through the topology, exactly as eval plays a scenario (<see cref="ScenarioRun"/>), without a
    /// backend stand-in: the recorded lifecycle events are the exchange's answers.
    /// </summary>
    private static async Task<RunResult> ReplayAsync(Scenario scenario, PolicyBook policies, Action<string>? log, CancellationToken ct)
    {
        var run = await ScenarioRun.RunAsync(scenario, new RunSettings { Policies = policies, Deadline = Deadline }, null, ct);
        log?.Invoke("  " + run.Describe());
        return run;
    }

    public static async Task<BacktestResult> RunAsync(Scenario scenario, PolicyBook candidate, PolicyBook? baseline, string outDir,
        string candidateName, string? baselineName, Action<string>? log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(candidate);
        Directory.CreateDirectory(outDir);
        log?.Invoke($"candidate: {scenario.EventCount:N0} events through the topology");
        var run = await ReplayAsync(scenario, candidate, log, ct);
        var commands = BacktestOutput.Sort(run.Commands.Concat(run.ShadowCommands));
        var alerts = BacktestOutput.Sort(run.Alerts);
        bool completed = run.Completed;
        await File.WriteAllBytesAsync(Path.Combine(outDir, "commands.jsonl"), BacktestOutput.CommandsJsonl(commands), ct);
        await File.WriteAllBytesAsync(Path.Combine(outDir, "alerts.jsonl"), BacktestOutput.AlertsJsonl(alerts), ct);

        IReadOnlyList<EnforcementCommand>? baselineCommands = null;
        PolicyDiff? diff = null;
        if (baseline is not null)
        {
            log?.Invoke("baseline: the same input again");
            var b = await ReplayAsync(scenario, baseline, log, ct);
            completed &= b.Completed;
            baselineCommands = BacktestOutput.Sort(b.Commands.Concat(b.ShadowCommands));
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
