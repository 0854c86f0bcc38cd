using System.Collections.Concurrent;

namespace KeyShareDetector.Streams.Observability;

/// <summary>A stage of the topology whose per-record processing time is measured.</summary>
public enum Stage
{
    /// <summary>Bytes to a validated input or a dead letter.</summary>
    Parse,

    /// <summary>Per-key state: signals, score, ladder.</summary>
    KeyRisk,

    /// <summary>Per IP / prefix / fingerprint / network.</summary>
    Fleet,

    /// <summary>The fleet-wide breaker every command passes before it is published.</summary>
    Breaker,
}

/// <summary>A point of the topology where the age of the record's event is measured.</summary>
public enum AgePoint
{
    /// <summary>An input record reached the detector.</summary>
    Parse,

    /// <summary>A command was published (live or shadow).</summary>
    Enforcement,
}

/// <summary>Counters and latency histograms the detector keeps while running; read by the CLI summaries and /metrics.</summary>
/// <remarks>
/// Thread-safe: stream threads increment, readers snapshot. Time is read only for these metrics (never for a
/// decision), through the injected <see cref="TimeProvider"/>.
/// </remarks>
public sealed class DetectorMetrics(TimeProvider? time = null)
{
    /// <summary>Bounds of the stage processing-time histograms, in seconds (5 µs .. 1 s).</summary>
    public static readonly double[] StageBounds = [5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 1];

    /// <summary>Bounds of the event-age histograms, in seconds (5 ms .. 1 h).</summary>
    public static readonly double[] AgeBounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly LatencyHistogram[] _stages = Enum.GetValues<Stage>().Select(_ => new LatencyHistogram(StageBounds)).ToArray();
    private readonly LatencyHistogram[] _ages = Enum.GetValues<AgePoint>().Select(_ => new LatencyHistogram(AgeBounds)).ToArray();

    /// <summary>A timestamp to pass to <see cref="StageDone"/>.</summary>
    public long StageStarted() => _time.GetTimestamp();

    /// <summary>Records the processing time of one record in a stage.</summary>
    public void StageDone(Stage stage, long started) => _stages[(int)stage].Observe(_time.GetElapsedTime(started));

    /// <summary>Records how old a record's event is (now minus its record timestamp) at a point of the topology.</summary>
    public void EventAge(AgePoint point, long recordTimestampMs) =>
        _ages[(int)point].Observe((_time.GetUtcNow().ToUnixTimeMilliseconds() - recordTimestampMs) / 1000.0);

    public HistogramSnapshot StageTime(Stage stage) => _stages[(int)stage].Snapshot();

    public HistogramSnapshot Age(AgePoint point) => _ages[(int)point].Snapshot();

    private long _recordsIn;
    private long _deadLetters;
    private long _lateRecords;
    private readonly ConcurrentDictionary<string, long> _commandsByAction = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _deadLettersByCode = new(StringComparer.Ordinal);

    public long RecordsIn => Interlocked.Read(ref _recordsIn);
    public long DeadLetters => Interlocked.Read(ref _deadLetters);
    public long LateRecords => Interlocked.Read(ref _lateRecords);
    public IReadOnlyDictionary<string, long> CommandsByAction => _commandsByAction;
    public IReadOnlyDictionary<string, long> DeadLettersByCode => _deadLettersByCode;

    private readonly ConcurrentDictionary<string, long> _recordsByTopic = new(StringComparer.Ordinal);
    private long _snapshots;

    public IReadOnlyDictionary<string, long> RecordsByTopic => _recordsByTopic;
    public long Snapshots => Interlocked.Read(ref _snapshots);

    public void RecordIn(string topic)
    {
        Interlocked.Increment(ref _recordsIn);
        _recordsByTopic.AddOrUpdate(topic, 1, static (_, n) => n + 1);
    }

    public void Snapshot() => Interlocked.Increment(ref _snapshots);

    private readonly ConcurrentDictionary<string, long> _alertsBySeverity = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, long> AlertsBySeverity => _alertsBySeverity;

    private long _commandsDecided;

    /// <summary>Commands the per-key stage decided (each comes out of the breaker stage as exactly one command).</summary>
    public long CommandsDecided => Interlocked.Read(ref _commandsDecided);

    public void CommandDecided() => Interlocked.Increment(ref _commandsDecided);

    public void Alert(string severity) => _alertsBySeverity.AddOrUpdate(severity, 1, static (_, n) => n + 1);

    public void DeadLetter(string code)
    {
        Interlocked.Increment(ref _deadLetters);
        _deadLettersByCode.AddOrUpdate(code, 1, static (_, n) => n + 1);
    }

    public void Late() => Interlocked.Increment(ref _lateRecords);

    private long _inputsApplied;

    /// <summary>
    /// Input records (access, order, registry, lifecycle) that passed validation and were applied to their key's
    /// state, late ones included: with <see cref="DeadLetters"/> it accounts for every record read (a transaction
    /// retried after a fault counts its records again).
    /// </summary>
    public long InputsApplied => Interlocked.Read(ref _inputsApplied);

    public void InputApplied() => Interlocked.Increment(ref _inputsApplied);

    public void Command(string action) => _commandsByAction.AddOrUpdate(action, 1, static (_, n) => n + 1);
}
