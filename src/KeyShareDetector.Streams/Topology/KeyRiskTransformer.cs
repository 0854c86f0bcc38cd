using KeyShareDetector.Detection;
using KeyShareDetector.Detection.State;
using KeyShareDetector.Streams.Observability;
using KeyShareDetector.Streams.Policy;
using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.State;
using Streamiz.Kafka.Net.Stream;

namespace KeyShareDetector.Streams.Topology;

/// <summary>Stateful stage: loads a key's state, applies the input through <see cref="KeyRiskEngine"/>, stores it
/// back, and forwards the command and feature snapshot the engine produced.</summary>
public sealed class KeyRiskTransformer : ITransformer<string, KeyInput, string, DetectorOutput>
{
    private readonly LivePolicy _policy;
    private readonly DetectorMetrics _metrics;
    private string? _task;
    private readonly bool _skipRedelivered;
    private readonly byte _format;
    private IKeyValueStore<string, byte[]>? _store;
    private ProcessorContext<string, DetectorOutput>? _context;
    // One grown buffer for every state this instance encodes (a task runs on one thread at a time).
    private readonly MemoryStream _scratch = new(8192);
    // One state object every stored state is decoded into, record after record: the state of a record is done with
    // (encoded, its outputs forwarded and serialized) before the next record is decoded, and building the aggregates'
    // lists and tables for every record was about half of what decoding allocated.
    private KeyRiskState? _decoded;

    /// <summary>
    /// Streamiz's builder needs a parameterless constructor and makes one unused instance with it; every
    /// instance that processes records is built with the arguments below.
    /// </summary>
    public KeyRiskTransformer()
    {
        _policy = null!;
        _metrics = null!;
        _format = KeyRiskStateCodec.CurrentFormat;
    }

    /// <param name="format">Key state format written (DetectorOptions.KeyStateFormat).</param>
    public KeyRiskTransformer(LivePolicy policy, DetectorMetrics metrics, bool skipRedelivered, byte format)
    {
        _policy = policy;
        _metrics = metrics;
        _skipRedelivered = skipRedelivered;
        _format = format;
    }

    public void Init(ProcessorContext<string, DetectorOutput> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
        _store = (IKeyValueStore<string, byte[]>)context.GetStateStore(DetectorOptions.KeyStateStore);
        _task = _metrics.Liveness.Watch(context);
    }

    public Record<string, DetectorOutput> Process(Record<string, KeyInput> record)
    {
        ArgumentNullException.ThrowIfNull(record);
        long started = _metrics.StageStarted();
        try
        {
            return Apply(record);
        }
        finally
        {
            _metrics.StageDone(Stage.KeyRisk, started);
        }
    }

    private Record<string, DetectorOutput> Apply(Record<string, KeyInput> record)
    {
        var store = _store!;
        var input = record.Value;
        // The policy version in force at the record's event time decides it.
        var engine = _policy.For(input.Kind switch
        {
            InputKind.Access => input.Access!.Ts,
            InputKind.Order => input.Order!.Ts,
            InputKind.Lifecycle => input.Lifecycle!.Ts,
            InputKind.FleetFinding => input.FindingTs,
            _ => record.Timestamp.UnixTimestampMs,
        });
        var bytes = store.Get(record.Key);
        // Applied before (a restart re-reading its input, a retried transaction): decide nothing twice.
        var applied = AppliedOffsets.Read(bytes, out int stateStart);
        if (_skipRedelivered && applied.IsRedelivered(record.TopicPartitionOffset))
        {
            _metrics.RedeliveredSkip(Stage.KeyRisk);
            if (input.Kind is InputKind.Downgrade or InputKind.FleetFinding) _metrics.FeedbackHandled();
            else _metrics.InputHandled();
            return null!;
        }
        var state = bytes is null
            ? engine.NewState(record.Key)
            : _decoded = KeyRiskStateCodec.Decode(new ArraySegment<byte>(bytes, stateStart, bytes.Length - stateStart), engine.Policy, _decoded);
        var outcome = EngineOutcome.None;
        switch (input.Kind)
        {
            case InputKind.Access:
                outcome = engine.OnAccess(state, input.Access!);
                break;
            case InputKind.Registry:
                engine.OnRegistry(state, input.Registry!);
                break;
            case InputKind.RegistryDeleted:
                state.Registry = null;
                break;
            case InputKind.Lifecycle:
                outcome = engine.OnLifecycle(state, input.Lifecycle!);
                break;
            case InputKind.Downgrade:
                engine.OnDowngrade(state, input.Applied);
                break;
            case InputKind.Order:
                outcome = engine.OnOrder(state, input.Order!);
                break;
            case InputKind.FleetFinding:
                outcome = engine.OnFleetFinding(state, input.Finding!, input.FindingTs);
                break;
            default:
                break;
        }
        applied.Advance(record.TopicPartitionOffset);
        store.Put(record.Key, applied.Prepend(KeyRiskStateCodec.EncodeInPlace(state, _scratch, _format)));
        if (input.Kind is InputKind.Access or InputKind.Order or InputKind.Registry or InputKind.RegistryDeleted or InputKind.Lifecycle) _metrics.InputApplied();
        if (outcome.Late) _metrics.Late();
        if (outcome.Command is not null) _metrics.CommandDecided();
        if (outcome.Observations is { Count: > 0 } observations) _metrics.ObservationsSent(observations.Count);
        // Last, after what it sends on is counted: see PipelineCounts.
        if (input.Kind is InputKind.Downgrade or InputKind.FleetFinding) _metrics.FeedbackHandled();
        else _metrics.InputHandled();
        if (outcome.Command is null && outcome.Snapshot is null && outcome.Observations is not { Count: > 0 }) return null!;
        return Record<string, DetectorOutput>.Create(record.Key, new DetectorOutput(outcome.Command, outcome.Snapshot, outcome.Observations));
    }

    public void Close()
    {
        if (_task is not null) _metrics.Liveness.Forget(_task);
    }
}
