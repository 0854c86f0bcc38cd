using Prometheus;

namespace KeyShareDetector.Cli.Hosting;

/// <summary>Publishes the detector's counters in Prometheus text form, refreshed on every scrape.</summary>
public sealed class DetectorMetricsExporter
{
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();

    public DetectorMetricsExporter(DetectorHostedService host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var factory = Metrics.WithCustomRegistry(_registry);
        var recordsIn = factory.CreateCounter("keyshare_records_in_total", "Input records read, by topic.", "topic");
        var deadLetters = factory.CreateCounter("keyshare_dead_letters_total", "Records sent to the dead-letter topic, by error code.", "code");
        var late = factory.CreateCounter("keyshare_late_records_total", "Records that arrived after every window they belong to had closed.");
        var commands = factory.CreateCounter("keyshare_commands_total", "Enforcement commands emitted, by action.", "action");
        var alerts = factory.CreateCounter("keyshare_alerts_total", "Alerts raised, by severity.", "severity");
        var snapshots = factory.CreateCounter("keyshare_feature_snapshots_total", "Feature snapshots published.");
        var policies = factory.CreateCounter("keyshare_policy_versions_applied_total", "Policy versions taken from the policy topic.");
        var running = factory.CreateGauge("keyshare_stream_running", "1 while every stream thread is alive and the stream is RUNNING.");
        var failed = factory.CreateGauge("keyshare_stream_failed", "1 once a stream thread died.");
        _registry.AddBeforeCollectCallback(() =>
        {
            running.Set(host.Ready ? 1 : 0);
            if (host.Service is not { } s) return;
            failed.Set(s.Failed ? 1 : 0);
            var m = s.Metrics;
            foreach (var (topic, n) in m.RecordsByTopic) recordsIn.WithLabels(topic).IncTo(n);
            foreach (var (code, n) in m.DeadLettersByCode) deadLetters.WithLabels(code).IncTo(n);
            foreach (var (action, n) in m.CommandsByAction) commands.WithLabels(action).IncTo(n);
            foreach (var (severity, n) in m.AlertsBySeverity) alerts.WithLabels(severity).IncTo(n);
            late.IncTo(m.LateRecords);
            snapshots.IncTo(m.Snapshots);
            policies.IncTo(s.PolicyVersionsApplied);
        });
    }

    public async Task WriteAsync(Stream output, CancellationToken ct) => await _registry.CollectAndExportAsTextAsync(output, ct);
}
