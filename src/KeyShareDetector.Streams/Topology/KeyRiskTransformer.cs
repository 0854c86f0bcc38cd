using KeyShareDetector.Contracts;
using KeyShareDetector.Detection;
using KeyShareDetector.Detection.State;
using KeyShareDetector.Streams.Observability;
using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.State;
using Streamiz.Kafka.Net.Stream;

namespace KeyShareDetector.Streams.Topology;

/// <summary>Stateful stage: loads a key's state, applies the event through <see cref="KeyRiskEngine"/>, stores it back, emits commands.</summary>
public sealed class KeyRiskTransformer : ITransformer<string, AccessEvent, string, EnforcementCommand>
{
    private readonly KeyRiskEngine _engine;
    private readonly DetectorMetrics _metrics;
    private IKeyValueStore<string, byte[]>? _store;

    /// <summary>
    /// Streamiz's builder needs a parameterless constructor and makes one unused instance with it; every
    /// instance that processes records is built with the arguments below.
    /// </summary>
    public KeyRiskTransformer()
    {
        _engine = null!;
        _metrics = null!;
    }

    public KeyRiskTransformer(KeyRiskEngine engine, DetectorMetrics metrics)
    {
        _engine = engine;
        _metrics = metrics;
    }

    public void Init(ProcessorContext<string, EnforcementCommand> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _store = (IKeyValueStore<string, byte[]>)context.GetStateStore(DetectorOptions.KeyStateStore);
    }

    public Record<string, EnforcementCommand> Process(Record<string, AccessEvent> record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var access = record.Value;
        var store = _store!;
        var bytes = store.Get(record.Key);
        var state = bytes is null ? _engine.NewState(record.Key) : KeyRiskStateCodec.Decode(bytes, _engine.Policy);
        var outcome = _engine.OnAccess(state, access);
        store.Put(record.Key, KeyRiskStateCodec.Encode(state));
        if (outcome.Late) _metrics.Late();
        if (outcome.Command is not { } command) return null!;
        _metrics.Command(command.Action.ToString());
        return Record<string, EnforcementCommand>.Create(record.Key, command);
    }

    public void Close()
    {
    }
}
