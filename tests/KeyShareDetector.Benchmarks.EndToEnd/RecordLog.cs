using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Simulator;
using KeyShareDetector.Streams;

namespace KeyShareDetector.Benchmarks.EndToEnd;

/// <summary>
/// Scenario records encoded once the way <c>ScenarioRun.ProduceRecord</c> sends them (Avro single-object value,
/// key = api key id, record timestamp = event time), packed into a few large arrays so that holding a million of
/// them costs the garbage collector (and the detector sharing this process) next to nothing.
/// </summary>
internal sealed class RecordLog
{
    private const int ChunkSize = 16 << 20;
    private readonly List<byte[]> _chunks = [];
    private int _used = ChunkSize;
    private readonly List<int> _chunk = [];
    private readonly List<int> _offset = [];
    private readonly List<int> _length = [];
    private readonly List<SimTopic> _topic = [];
    private readonly List<long> _ts = [];
    private readonly List<string> _key = [];
    private readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal);

    public int Count => _ts.Count;

    /// <summary>Bytes of values per topic.</summary>
    public Dictionary<SimTopic, long> ValueBytes { get; } = [];

    /// <summary>Records per topic.</summary>
    public Dictionary<SimTopic, int> Records { get; } = [];

    /// <summary>Distinct keys.</summary>
    public int DistinctKeys => _keys.Count;

    public SimTopic Topic(int i) => _topic[i];

    public long Ts(int i) => _ts[i];

    public string Key(int i) => _key[i];

    public ReadOnlySpan<byte> Value(int i) => _chunks[_chunk[i]].AsSpan(_offset[i], _length[i]);

    public byte[] ValueArray(int i) => Value(i).ToArray();

    /// <summary>Encodes every record, its time fields moved by <paramref name="shiftMs"/> (0 = as simulated).</summary>
    public static RecordLog Encode(IReadOnlyList<SimRecord> records, long shiftMs = 0, int limit = int.MaxValue)
    {
        var log = new RecordLog();
        int n = 0;
        foreach (var r in records)
        {
            if (n++ >= limit) break;
            log.Add(r.Topic, r.Key, r.Ts + shiftMs, Serialize(r, shiftMs));
        }
        return log;
    }

    /// <summary>
    /// The same records with every time field (event time, client time, key creation and expiry, record timestamp)
    /// moved by <paramref name="shiftMs"/>: decoded, shifted and encoded again.
    /// </summary>
    public RecordLog Shifted(long shiftMs, int limit = int.MaxValue)
    {
        var log = new RecordLog();
        for (int i = 0; i < Count && i < limit; i++)
        {
            var v = Value(i);
            var r = Topic(i) switch
            {
                SimTopic.Access => SimRecord.Of(ContractCodecs.Access.Deserialize(v)),
                SimTopic.Orders => SimRecord.Of(ContractCodecs.Order.Deserialize(v)),
                SimTopic.Registry => SimRecord.Of(ContractCodecs.Registry.Deserialize(v), Ts(i)),
                _ => SimRecord.Of(ContractCodecs.Lifecycle.Deserialize(v)),
            };
            log.Add(r.Topic, Key(i), Ts(i) + shiftMs, Serialize(r, shiftMs));
        }
        return log;
    }

    private static byte[] Serialize(SimRecord r, long shift) => r.Topic switch
    {
        SimTopic.Access => ContractCodecs.Access.SerializeAvro(shift == 0 ? r.Access! : r.Access! with { Ts = r.Access!.Ts + shift, ClientTs = r.Access.ClientTs + shift }),
        SimTopic.Orders => ContractCodecs.Order.SerializeAvro(shift == 0 ? r.Order! : r.Order! with { Ts = r.Order!.Ts + shift }),
        SimTopic.Registry => ContractCodecs.Registry.SerializeAvro(shift == 0 ? r.Registry! : r.Registry! with { CreatedAt = r.Registry!.CreatedAt + shift, ExpiresAt = r.Registry.ExpiresAt + shift }),
        _ => ContractCodecs.Lifecycle.SerializeAvro(shift == 0 ? r.Lifecycle! : r.Lifecycle! with { Ts = r.Lifecycle!.Ts + shift }),
    };

    private void Add(SimTopic topic, string key, long ts, byte[] value)
    {
        if (value.Length > ChunkSize) throw new InvalidOperationException("record larger than a chunk");
        if (_used + value.Length > ChunkSize)
        {
            _chunks.Add(new byte[ChunkSize]);
            _used = 0;
        }
        value.CopyTo(_chunks[^1], _used);
        _chunk.Add(_chunks.Count - 1);
        _offset.Add(_used);
        _length.Add(value.Length);
        _used += value.Length;
        _topic.Add(topic);
        _ts.Add(ts);
        if (!_keys.TryGetValue(key, out var interned)) _keys[key] = interned = key;
        _key.Add(interned);
        ValueBytes[topic] = ValueBytes.GetValueOrDefault(topic) + value.Length;
        Records[topic] = Records.GetValueOrDefault(topic) + 1;
    }

    /// <summary>Access and order events (registry and lifecycle records are not events).</summary>
    public int EventCount => Records.GetValueOrDefault(SimTopic.Access) + Records.GetValueOrDefault(SimTopic.Orders);

    public static string TopicName(TopicNames topics, SimTopic t) => t switch
    {
        SimTopic.Access => topics.Access,
        SimTopic.Orders => topics.Orders,
        SimTopic.Registry => topics.Registry,
        _ => topics.Lifecycle,
    };
}
