using System.Globalization;
using System.Text;
using KeyShareDetector.Streams;
using KeyShareDetector.Streams.Observability;
using Prometheus;

namespace KeyShareDetector.Cli.Hosting;

/// <summary>Publishes the detector's counters, lag, store sizes and latency histograms in Prometheus text form, refreshed on every scrape.</summary>
public sealed class DetectorMetricsExporter
{
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly DetectorHostedService _host;
    private readonly Lock _gate = new();
    private HashSet<(string Topic, string Partition)> _lagSeries = [];

    public DetectorMetricsExporter(DetectorHostedService host)
    {
        ArgumentNullException.ThrowIfNull(host);
        _host = host;
        var factory = Metrics.WithCustomRegistry(_registry);
        var recordsIn = factory.CreateCounter("keyshare_records_in_total", "Input records read, by topic.", "topic");
        var deadLetters = factory.CreateCounter("keyshare_dead_letters_total", "Records sent to the dead-letter topic, by error code.", "code");
        var late = factory.CreateCounter("keyshare_late_records_total", "Records that arrived after every window they belong to had closed.");
        var commands = factory.CreateCounter("keyshare_commands_total", "Enforcement commands emitted, by action.", "action");
        var decided = factory.CreateCounter("keyshare_commands_decided_total", "Commands the per-key stage decided, before the fleet-wide breaker (each is published, or withheld there as an id it already passed).");
        var redelivered = factory.CreateCounter("keyshare_redelivered_skipped_total",
            "Records a stage skipped because it had applied them before (re-read after a restart or a retried transaction), by stage.", "stage");
        var recoveries = factory.CreateCounter("keyshare_stream_recoveries_total",
            "Transient Kafka errors (a broker unreachable during a commit) after which a stream thread closed its tasks, restored them and rejoined, instead of dying.");
        var produceFailures = factory.CreateCounter("keyshare_produce_failures_total",
            "Failed deliveries of records the stream produced, by error code and action (RETRY: sent again; CONTINUE: dropped as part of an aborted transaction that is reprocessed; FAIL: the stream thread stopped).",
            "code", "action");
        var alerts = factory.CreateCounter("keyshare_alerts_total", "Alerts raised, by severity.", "severity");
        var snapshots = factory.CreateCounter("keyshare_feature_snapshots_total", "Feature snapshots published.");
        var policies = factory.CreateCounter("keyshare_policy_versions_applied_total", "Policy versions taken from the policy topic.");
        var running = factory.CreateGauge("keyshare_stream_running", "1 while every stream thread is alive and the stream is RUNNING.");
        var failed = factory.CreateGauge("keyshare_stream_failed", "1 once a stream thread died.");
        var stalled = factory.CreateGauge("keyshare_stream_stalled_seconds",
            "Longest a stream task has gone without its thread coming round, once past Detector:StallTimeoutSeconds (0 otherwise; /healthz fails meanwhile).");
        var lag = factory.CreateGauge("keyshare_consumer_lag_records",
            "Records between this instance's consumer position and the high watermark, per topic partition it is assigned (inputs and internal topics).",
            "topic", "partition");
        var storeEntries = factory.CreateGauge("keyshare_state_store_entries", "Approximate entries in each state store, over this instance's tasks.", "store");
        _registry.AddBeforeCollectCallback(() =>
        {
            running.Set(host.Ready ? 1 : 0);
            if (host.Service is not { } s) return;
            failed.Set(s.Failed ? 1 : 0);
            stalled.Set(s.Stall?.Silent.TotalSeconds ?? 0);
            var m = s.Metrics;
            foreach (var (topic, n) in m.RecordsByTopic) recordsIn.WithLabels(topic).IncTo(n);
            foreach (var (code, n) in m.DeadLettersByCode) deadLetters.WithLabels(code).IncTo(n);
            foreach (var (action, n) in m.CommandsByAction) commands.WithLabels(action).IncTo(n);
            foreach (var (severity, n) in m.AlertsBySeverity) alerts.WithLabels(severity).IncTo(n);
            decided.IncTo(m.CommandsDecided);
            late.IncTo(m.LateRecords);
            recoveries.IncTo(m.StreamRecoveries);
            foreach (var ((code, action), n) in m.ProduceFailures) produceFailures.WithLabels(code, action).IncTo(n);
            foreach (var stage in Enum.GetValues<Stage>()) redelivered.WithLabels(StageLabel(stage)).IncTo(m.RedeliveredSkipped(stage));
            snapshots.IncTo(m.Snapshots);
            policies.IncTo(s.PolicyVersionsApplied);

            // Partitions revoked since the last scrape lose their series rather than report a stale lag.
            var current = new HashSet<(string, string)>();
            foreach (var p in s.ConsumerLag())
            {
                var labels = (p.Topic, p.Partition.ToString(CultureInfo.InvariantCulture));
                current.Add(labels);
                lag.WithLabels(labels.Item1, labels.Item2).Set(p.Lag);
            }
            lock (_gate)
            {
                foreach (var gone in _lagSeries.Where(l => !current.Contains(l))) lag.RemoveLabelled(gone.Topic, gone.Partition);
                _lagSeries = current;
            }
            foreach (var (store, n) in s.StoreEntries()) storeEntries.WithLabels(store).Set(n);
        });
    }

    public async Task WriteAsync(Stream output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(output);
        await _registry.CollectAndExportAsTextAsync(output, ct);
        if (_host.Service is not { } s) return;
        // prometheus-net cannot take counts from outside, so the detector's own histograms are written here.
        var text = new StringBuilder();
        WriteHistograms(text, "keyshare_stage_duration_seconds", "Processing time of one record in each stage of the topology.", "stage",
            Enum.GetValues<Stage>().Select(st => (StageLabel(st), s.Metrics.StageTime(st))));
        WriteHistograms(text, "keyshare_event_age_seconds",
            "Wall-clock time since the record's timestamp (the event time) when it reached a point of the topology: parse (ingestion delay and lag), enforcement (a command published).",
            "point", Enum.GetValues<AgePoint>().Select(p => (p == AgePoint.Parse ? "parse" : "enforcement", s.Metrics.Age(p))));
        await output.WriteAsync(Encoding.UTF8.GetBytes(text.ToString()), ct);
    }

    public static string StageLabel(Stage stage) => stage switch
    {
        Stage.Parse => "parse",
        Stage.KeyRisk => "key_risk",
        Stage.Fleet => "fleet",
        _ => "breaker",
    };

    private static void WriteHistograms(StringBuilder text, string name, string help, string label, IEnumerable<(string Value, HistogramSnapshot Snapshot)> series)
    {
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        text.Append("# TYPE ").Append(name).Append(" histogram\n");
        foreach (var (value, h) in series)
        {
            for (int i = 0; i < h.Cumulative.Count; i++)
            {
                string le = i < h.Bounds.Count ? h.Bounds[i].ToString("0.######", CultureInfo.InvariantCulture) : "+Inf";
                text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{label}=\"{value}\",le=\"{le}\"}} {h.Cumulative[i]}\n");
            }
            text.Append(CultureInfo.InvariantCulture, $"{name}_sum{{{label}=\"{value}\"}} {h.SumSeconds.ToString("R", CultureInfo.InvariantCulture)}\n");
            text.Append(CultureInfo.InvariantCulture, $"{name}_count{{{label}=\"{value}\"}} {h.Count}\n");
        }
    }
}
