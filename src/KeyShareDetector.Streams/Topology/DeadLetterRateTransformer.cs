using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Alerts;
using KeyShareDetector.Streams.Observability;
using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.Stream;

namespace KeyShareDetector.Streams.Topology;

/// <summary>
/// Counts dead letters per source topic and minute of record time in this task; past the threshold it raises one
/// warning alert for that topic and minute. Operational, not a detection decision: counts restart with the task.
/// </summary>
public sealed class DeadLetterRateTransformer : ITransformer<string, DeadLetter, string, Alert>
{
    private readonly long _threshold;
    private readonly DetectorMetrics _metrics;
    private readonly Dictionary<(string Topic, long Minute), long> _counts = [];

    /// <summary>
    /// Streamiz's builder needs a parameterless constructor and makes one unused instance with it; every
    /// instance that processes records is built with the arguments below.
    /// </summary>
    public DeadLetterRateTransformer()
    {
        _metrics = null!;
    }

    public DeadLetterRateTransformer(long threshold, DetectorMetrics metrics)
    {
        _threshold = threshold;
        _metrics = metrics;
    }

    public void Init(ProcessorContext<string, Alert> context)
    {
    }

    public Record<string, Alert> Process(Record<string, DeadLetter> record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var d = record.Value;
        long minute = d.SourceTimestamp - (((d.SourceTimestamp % 60_000) + 60_000) % 60_000);
        var slot = (d.SourceTopic, minute);
        _counts.TryGetValue(slot, out long n);
        _counts[slot] = ++n;
        if (_counts.Count > 64)
        {
            // Keep only recent minutes: the map stays small whatever the input.
            foreach (var old in _counts.Keys.Where(k => k.Minute < minute - (10 * 60_000)).ToList()) _counts.Remove(old);
        }
        if (_threshold <= 0 || n != _threshold)
        {
            _metrics.DeadLetterHandled();
            return null!;
        }
        var alert = AlertFactory.ForDeadLetterRate(minute, d.SourceTopic, n, _threshold);
        _metrics.AlertsRaised(1);
        // Last, after the alert is counted: see PipelineCounts.
        _metrics.DeadLetterHandled();
        return Record<string, Alert>.Create(alert.DedupKey, alert);
    }

    public void Close()
    {
    }
}
