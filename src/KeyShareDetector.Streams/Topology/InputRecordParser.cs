using System.Text;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.Validation;
using KeyShareDetector.Streams.Observability;
using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.Stream;

namespace KeyShareDetector.Streams.Topology;

/// <summary>
/// Stateless first stage of every input topic: turns raw bytes into a validated <see cref="KeyInput"/> keyed by
/// api key id, or a dead letter carrying the original bytes, the reason and the record's coordinates.
/// Never throws on data.
/// </summary>
public sealed class InputRecordParser : ITransformer<byte[], byte[], string, InboundRecord>
{
    private readonly InputKind _kind;
    private readonly InputLimits _limits;
    private readonly DetectorMetrics _metrics;

    /// <summary>
    /// Streamiz's builder needs a parameterless constructor and makes one unused instance with it; every
    /// instance that processes records is built with the arguments below.
    /// </summary>
    public InputRecordParser()
    {
        _limits = null!;
        _metrics = null!;
    }

    public InputRecordParser(InputKind kind, InputLimits limits, DetectorMetrics metrics)
    {
        _kind = kind;
        _limits = limits;
        _metrics = metrics;
    }

    public void Init(ProcessorContext<string, InboundRecord> context)
    {
    }

    public Record<string, InboundRecord> Process(Record<byte[], byte[]> record)
    {
        ArgumentNullException.ThrowIfNull(record);
        long started = _metrics.StageStarted();
        try
        {
            return Parse(record);
        }
        finally
        {
            _metrics.StageDone(Stage.Parse, started);
        }
    }

    private Record<string, InboundRecord> Parse(Record<byte[], byte[]> record)
    {
        var tpo = record.TopicPartitionOffset;
        _metrics.RecordIn(tpo.Topic);
        long recordTs = record.Timestamp.UnixTimestampMs;
        _metrics.EventAge(AgePoint.Parse, recordTs);

        Record<string, InboundRecord> Dead(string code, string reason)
        {
            _metrics.DeadLetter(code);
            var dead = new DeadLetter
            {
                SourceTopic = tpo.Topic,
                SourcePartition = tpo.Partition.Value,
                SourceOffset = tpo.Offset.Value,
                SourceTimestamp = recordTs,
                ErrorCode = code,
                Reason = reason,
                OriginalKey = record.Key,
                OriginalValue = record.Value,
            };
            return Record<string, InboundRecord>.Create($"{tpo.Topic}/{tpo.Partition.Value}/{tpo.Offset.Value}", new InboundRecord(null, dead));
        }

        bool keyless = record.Key is null || record.Key.Length == 0;
        if (record.Value is null || record.Value.Length == 0)
        {
            // A registry tombstone deletes the key's registration; anywhere else an empty value is bad data.
            if (_kind == InputKind.Registry && !keyless)
            {
                return Record<string, InboundRecord>.Create(Encoding.UTF8.GetString(record.Key!), new InboundRecord(new KeyInput(InputKind.RegistryDeleted), null));
            }
            return Dead("EMPTY_VALUE", "record has no value");
        }

        KeyInput input;
        string apiKeyId;
        Rejection? rejection;
        try
        {
            switch (_kind)
            {
                case InputKind.Access:
                    var access = ContractCodecs.Access.Deserialize(record.Value);
                    rejection = AccessEventValidator.Validate(access, recordTs, _limits);
                    (input, apiKeyId) = (new KeyInput(InputKind.Access, Access: access), access.ApiKeyId);
                    break;
                case InputKind.Order:
                    var order = ContractCodecs.Order.Deserialize(record.Value);
                    rejection = InputValidators.Order(order, recordTs, _limits);
                    (input, apiKeyId) = (new KeyInput(InputKind.Order, Order: order), order.ApiKeyId);
                    break;
                case InputKind.Registry:
                    var registry = ContractCodecs.Registry.Deserialize(record.Value);
                    rejection = InputValidators.Registry(registry, _limits);
                    (input, apiKeyId) = (new KeyInput(InputKind.Registry, Registry: registry), registry.ApiKeyId);
                    break;
                default:
                    var lifecycle = ContractCodecs.Lifecycle.Deserialize(record.Value);
                    rejection = InputValidators.Lifecycle(lifecycle, recordTs, _limits);
                    (input, apiKeyId) = (new KeyInput(InputKind.Lifecycle, Lifecycle: lifecycle), lifecycle.ApiKeyId);
                    break;
            }
        }
        catch (ContractException e)
        {
            return Dead(e.Code, e.Message);
        }
        if (rejection is { } r) return Dead(r.Code, r.Reason);

        // Inputs are keyed by api key id; a record without a key (e.g. typed into kcat without -K) takes the
        // payload's and is re-partitioned, a record with another key is refused.
        if (!keyless && !KeyMatches(record.Key!, apiKeyId))
        {
            return Dead("KEY_MISMATCH", "record key differs from the payload's api_key_id (inputs must be keyed by api key id)");
        }
        return Record<string, InboundRecord>.Create(apiKeyId, new InboundRecord(input, null, NeedsRekey: keyless));
    }

    public void Close()
    {
    }

    private static bool KeyMatches(byte[] key, string apiKeyId)
    {
        Span<byte> buffer = stackalloc byte[256];
        if (Encoding.UTF8.GetMaxByteCount(apiKeyId.Length) > buffer.Length) return Encoding.UTF8.GetString(key) == apiKeyId;
        int n = Encoding.UTF8.GetBytes(apiKeyId, buffer);
        return buffer[..n].SequenceEqual(key);
    }
}
