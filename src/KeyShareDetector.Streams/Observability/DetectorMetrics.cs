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

    /// <summary>Whether every stream task's thread still comes round (see <see cref="TaskLiveness"/>).</summary>
    public TaskLiveness Liveness { get; } = new(time ?? TimeProvider.System);
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

    // Hand-offs between stages, so a caller can tell when nothing is left in flight (see PipelineCounts). Each stage
    // counts what it sends on before it returns, and counts the record it handled last.
    private long _inputsHandled;
    private long _deadLettersHandled;
    private long _observationsSent;
    private long _observationsHandled;
    private long _feedbackSent;
    private long _feedbackHandled;
    private long _commandsPassed;
    private long _commandsWithheld;
    private long _alertsRaised;

    /// <summary>The per-key stage finished an input record (access, order, registry, lifecycle).</summary>
    public void InputHandled() => Interlocked.Increment(ref _inputsHandled);

    /// <summary>The dead-letter branch finished a record (sent to the DLQ, rate alert counted).</summary>
    public void DeadLetterHandled() => Interlocked.Increment(ref _deadLettersHandled);

    /// <summary>The per-key stage sent observations to the fleet stage.</summary>
    public void ObservationsSent(int count) => Interlocked.Add(ref _observationsSent, count);

    /// <summary>The fleet stage finished an observation.</summary>
    public void ObservationHandled() => Interlocked.Increment(ref _observationsHandled);

    /// <summary>The fleet or breaker stage sent records back to the per-key stage (fleet findings, downgrades).</summary>
    public void FeedbackSent(int count) => Interlocked.Add(ref _feedbackSent, count);

    /// <summary>The per-key stage finished a record of the feedback topic.</summary>
    public void FeedbackHandled() => Interlocked.Increment(ref _feedbackHandled);

    /// <summary>The breaker stage finished a command (it goes out as exactly one live or shadow command).</summary>
    public void CommandPassed() => Interlocked.Increment(ref _commandsPassed);

    /// <summary>A command the breaker handled but did not publish: its id was passed before (see RecentCommandIds), or it
    /// was read again from the breaker topic after a restart. Counted before <see cref="CommandPassed"/>.</summary>
    public void CommandWithheld() => Interlocked.Increment(ref _commandsWithheld);

    /// <summary>
    /// Alerts raised by any stage, counted where they are raised (before they are written), unlike
    /// <see cref="AlertsBySeverity"/>, which is for dashboards.
    /// </summary>
    public void AlertsRaised(int count) => Interlocked.Add(ref _alertsRaised, count);

    /// <summary>
    /// The hand-off counters now. Read one counter at a time: two equal snapshots taken one after the other saw every
    /// counter unchanged over a common instant, so they describe that instant (the counters only grow).
    /// </summary>
    public PipelineCounts Counts() => new(
        Interlocked.Read(ref _inputsHandled),
        Interlocked.Read(ref _deadLettersHandled),
        Interlocked.Read(ref _commandsDecided),
        Interlocked.Read(ref _commandsPassed),
        Interlocked.Read(ref _observationsSent),
        Interlocked.Read(ref _observationsHandled),
        Interlocked.Read(ref _feedbackSent),
        Interlocked.Read(ref _feedbackHandled),
        Interlocked.Read(ref _alertsRaised),
        Interlocked.Read(ref _commandsWithheld));

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

    private long _streamRecoveries;

    /// <summary>Times a stream thread met a transient Kafka error (a broker unreachable during a commit) and, instead of
    /// dying, closed its tasks, restored them from the changelogs and rejoined the group.</summary>
    public long StreamRecoveries => Interlocked.Read(ref _streamRecoveries);

    public void StreamRecovered() => Interlocked.Increment(ref _streamRecoveries);

    private readonly ConcurrentDictionary<(string Code, string Action), long> _produceFailures = new();

    /// <summary>Failed deliveries of records the stream produced, by error code and what was done (RETRY, CONTINUE, FAIL).</summary>
    public IReadOnlyDictionary<(string Code, string Action), long> ProduceFailures => _produceFailures;

    public void ProduceFailure(string code, string action) => _produceFailures.AddOrUpdate((code, action), 1, static (_, n) => n + 1);

    private readonly long[] _redelivered = new long[Enum.GetValues<Stage>().Length];

    /// <summary>
    /// Records a stage skipped because their entry had already applied them (at or below the source offset it
    /// remembers, or a command id the breaker already passed): redeliveries after a restart or a retried transaction.
    /// </summary>
    public long RedeliveredSkipped(Stage stage) => Interlocked.Read(ref _redelivered[(int)stage]);

    public void RedeliveredSkip(Stage stage) => Interlocked.Increment(ref _redelivered[(int)stage]);
}

/// <summary>
/// How far records have got through the topology's stages: inputs through the per-key stage (or the DLQ branch),
/// commands through the breaker, observations through the fleet stage, findings and downgrades back through the
/// per-key stage. Every stage counts what it sends on before counting the record it handled, so a consistent
/// snapshot in which every stage has handled all it was sent has nothing in flight between stages.
/// </summary>
public readonly record struct PipelineCounts(
    long InputsHandled,
    long DeadLettersHandled,
    long CommandsDecided,
    long CommandsPassed,
    long ObservationsSent,
    long ObservationsHandled,
    long FeedbackSent,
    long FeedbackHandled,
    long AlertsRaised,
    long CommandsWithheld = 0)
{
    /// <summary>Commands the breaker sent on to the enforcement topic: those it passed minus those it withheld as
    /// already published. A reader of that topic has caught up when it has read this many.</summary>
    public long CommandsPublished => CommandsPassed - CommandsWithheld;

    /// <summary>Input records the topology has finished with (per-key stage or dead-letter branch).</summary>
    public long InputsDone => InputsHandled + DeadLettersHandled;

    /// <summary>Nothing is waiting on an internal topic: the breaker, fleet and feedback hops are all caught up.</summary>
    public bool InternalHopsIdle => CommandsPassed >= CommandsDecided && ObservationsHandled >= ObservationsSent && FeedbackHandled >= FeedbackSent;

    public override string ToString() =>
        $"inputs {InputsHandled:N0} (+{DeadLettersHandled:N0} dead-lettered); commands decided {CommandsDecided:N0}, passed the breaker {CommandsPassed:N0}; " +
        $"fleet observations {ObservationsHandled:N0}/{ObservationsSent:N0}; feedback {FeedbackHandled:N0}/{FeedbackSent:N0}; alerts {AlertsRaised:N0}";
}
