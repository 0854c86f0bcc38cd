using System.Text;
using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.Validation;
using KeyShareDetector.Streams.Observability;
using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.Stream;

namespace KeyShareDetector.Streams.Topology;

/// <summary>
/// Stateless first stage: turns raw bytes into a validated access event keyed by api key id, or a dead letter
/// carrying the original bytes, the reason and the record's coordinates. Never throws on data.
/// </summary>
public sealed class AccessRecordParser : ITransformer<byte[], byte[], string, InboundRecord>
{
    private readonly InputLimits _limits;
    private readonly WireCodecs _codecs;
    private readonly DetectorMetrics _metrics;
    private ProcessorContext<string, InboundRecord>? _context;

    /// <summary>
    /// Streamiz's builder needs a parameterless constructor and makes one unused instance with it; every
    /// instance that processes records is built with the arguments below.
    /// </summary>
    public AccessRecordParser()
    {
        _limits = null!;
        _codecs = null!;
        _metrics = null!;
    }

    public AccessRecordParser(InputLimits limits, WireCodecs codecs, DetectorMetrics metrics)
    {
        _limits = limits;
        _codecs = codecs;
        _metrics = metrics;
    }

    public void Init(ProcessorContext<string, InboundRecord> context) => _context = context;

    public Record<string, InboundRecord> Process(Record<byte[], byte[]> record)
    {
        _metrics.RecordIn();
        var tpo = record.TopicPartitionOffset;
        long recordTs = record.Timestamp.UnixTimestampMs;
        string coordinates = $"{tpo.Topic}/{tpo.Partition.Value}/{tpo.Offset.Value}";

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
            return Record<string, InboundRecord>.Create(coordinates, InboundRecord.Dead(dead));
        }

        if (record.Value is null || record.Value.Length == 0) return Dead("EMPTY_VALUE", "record has no value");

        AccessEvent access;
        try
        {
            access = _codecs.Access.Deserialize(record.Value);
        }
        catch (ContractException e)
        {
            return Dead(e.Code, e.Message);
        }

        if (AccessEventValidator.Validate(access, recordTs, _limits) is { } rejection)
        {
            return Dead(rejection.Code, rejection.Reason);
        }

        // Inputs are keyed by api key id; a record without a key (e.g. typed into kcat without -K) takes the
        // payload's and is re-partitioned, a record with another key is refused.
        bool keyless = record.Key is null || record.Key.Length == 0;
        if (!keyless && !KeyMatches(record.Key!, access.ApiKeyId))
        {
            return Dead("KEY_MISMATCH", "record key differs from the payload's api_key_id (inputs must be keyed by api key id)");
        }
        return Record<string, InboundRecord>.Create(access.ApiKeyId, InboundRecord.Ok(access, needsRekey: keyless));
    }

    public void Close()
    {
    }

    private static bool KeyMatches(byte[] key, string apiKeyId)
    {
        Span<byte> buffer = stackalloc byte[256];
        int max = Encoding.UTF8.GetMaxByteCount(apiKeyId.Length);
        if (max > buffer.Length) return Encoding.UTF8.GetString(key) == apiKeyId;
        int n = Encoding.UTF8.GetBytes(apiKeyId, buffer);
        return buffer[..n].SequenceEqual(key);
    }
}
