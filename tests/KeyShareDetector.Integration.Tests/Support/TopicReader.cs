using Confluent.Kafka;

namespace KeyShareDetector.Integration.Tests.Support;

/// <summary>Reads a topic from the beginning (read_committed) until a condition holds or a deadline passes.</summary>
public static class TopicReader
{
    public static List<ConsumeResult<string, byte[]>> ReadUntil(string bootstrap, string topic, int partitions,
        Func<IReadOnlyList<ConsumeResult<string, byte[]>>, bool> done, TimeSpan timeout)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "test-reader-" + Guid.NewGuid().ToString("N"),
            IsolationLevel = IsolationLevel.ReadCommitted,
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var records = new List<ConsumeResult<string, byte[]>>();
        using var deadline = new CancellationTokenSource(timeout);
        while (!done(records))
        {
            if (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"condition on {topic} not met within {timeout.TotalSeconds:F0} s; read {records.Count} records");
            }
            var r = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (r is { IsPartitionEOF: false, Message: not null }) records.Add(r);
        }
        return records;
    }
}
