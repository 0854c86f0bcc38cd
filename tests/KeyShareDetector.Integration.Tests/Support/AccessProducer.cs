using System.Collections.Concurrent;
using Confluent.Kafka;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;

namespace KeyShareDetector.Integration.Tests.Support;

/// <summary>Produces access events the way the exchange does: keyed by api key id, record timestamp = event time, JSON.</summary>
public static class AccessProducer
{
    /// <summary>Sends the events in order (idempotent producer: a partition keeps their order); returns the partition of each api key.</summary>
    public static async Task<IReadOnlyDictionary<string, int>> ProduceAsync(string bootstrap, IEnumerable<AccessEvent> events, string topic = Topics.Access)
    {
        ArgumentNullException.ThrowIfNull(events);
        var partitions = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var errors = new ConcurrentQueue<string>();
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrap,
            Partitioner = Confluent.Kafka.Partitioner.Murmur2Random,
            EnableIdempotence = true,
            LingerMs = 5,
        }).Build();
        foreach (var e in events)
        {
            producer.Produce(topic, new Message<string, byte[]>
            {
                Key = e.ApiKeyId, Value = ContractCodecs.Access.SerializeJson(e), Timestamp = new Timestamp(e.Ts, TimestampType.CreateTime),
            }, report =>
            {
                if (report.Error.IsError) errors.Enqueue(report.Error.Reason);
                else partitions[report.Message.Key] = report.Partition.Value;
            });
        }
        int unsent = await Task.Run(() => producer.Flush(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, unsent);
        Assert.True(errors.IsEmpty, "produce failed: " + string.Join("; ", errors.Take(3)));
        return partitions;
    }
}
