using Confluent.Kafka;
using Streamiz.Kafka.Net.Processors;

namespace KeyShareDetector.Streams.Topology;

/// <summary>Event time is the record timestamp, which producers set to the event's own ts.</summary>
public sealed class RecordTimestampExtractor : ITimestampExtractor
{
    public long Extract(ConsumeResult<object, object> record, long partitionTime)
    {
        ArgumentNullException.ThrowIfNull(record);
        long ts = record.Message.Timestamp.UnixTimestampMs;
        return ts >= 0 ? ts : partitionTime;
    }
}
