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

    /// <summary>Every record of <paramref name="topic"/> (read_committed) up to the end of each partition as it is now.</summary>
    public static List<ConsumeResult<string, byte[]>> ReadToEnd(string bootstrap, string topic, int partitions, TimeSpan timeout)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "test-reader-" + Guid.NewGuid().ToString("N"),
            EnablePartitionEof = true,
            EnableAutoCommit = false,
            IsolationLevel = IsolationLevel.ReadCommitted,
        }).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var records = new List<ConsumeResult<string, byte[]>>();
        var ended = new HashSet<int>();
        using var deadline = new CancellationTokenSource(timeout);
        while (ended.Count < partitions)
        {
            var r = consumer.Consume(deadline.Token);
            if (r.IsPartitionEOF) ended.Add(r.Partition.Value);
            else records.Add(r);
        }
        return records;
    }
}
