using System.Collections.Concurrent;

namespace KeyShareDetector.Streams.Observability;

/// <summary>Counters the detector keeps while running; read by the CLI summary and, later, the metrics endpoint.</summary>
/// <remarks>Thread-safe: stream threads increment, readers snapshot.</remarks>
public sealed class DetectorMetrics
{
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
