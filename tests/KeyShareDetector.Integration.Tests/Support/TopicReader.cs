using Confluent.Kafka;

namespace KeyShareDetector.Integration.Tests.Support;

/// <summary>Reads topics (read_committed) from the beginning, and the offsets of a topic and of a consumer group.</summary>
public static class TopicReader
{
    public static List<ConsumeResult<string, byte[]>> ReadUntil(string bootstrap, string topic, int partitions,
        Func<IReadOnlyList<ConsumeResult<string, byte[]>>, bool> done, TimeSpan timeout)
    {
        using var consumer = Reader(bootstrap, partitionEof: false);
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

    /// <summary>Every record of a topic, read to the end of each partition as it is now.</summary>
    public static List<ConsumeResult<string, byte[]>> ReadToEnd(string bootstrap, string topic, int partitions, TimeSpan timeout)
    {
        using var consumer = Reader(bootstrap, partitionEof: true);
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var records = new List<ConsumeResult<string, byte[]>>();
        var ended = new HashSet<int>();
        using var deadline = new CancellationTokenSource(timeout);
        while (ended.Count < partitions)
        {
            ConsumeResult<string, byte[]> r;
            try
            {
                r = consumer.Consume(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{topic}: {ended.Count} of {partitions} partitions read to the end within {timeout.TotalSeconds:F0} s; read {records.Count} records");
            }
            if (r.IsPartitionEOF) ended.Add(r.Partition.Value);
            else records.Add(r);
        }
        return records;
    }

    /// <summary>The high watermark of each partition (index = partition).</summary>
    public static long[] EndOffsets(string bootstrap, string topic, int partitions)
    {
        using var consumer = Reader(bootstrap, partitionEof: false);
        return Enumerable.Range(0, partitions).Select(p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value).ToArray();
    }

    /// <summary>A consumer group's committed offset of each partition (index = partition; <see cref="Offset.Unset"/> when none).</summary>
    public static long[] CommittedOffsets(string bootstrap, string groupId, string topic, int partitions)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = groupId, IsolationLevel = IsolationLevel.ReadCommitted }).Build();
        return consumer.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10))
            .OrderBy(t => t.Partition.Value).Select(t => t.Offset.Value).ToArray();
    }

    private static IConsumer<string, byte[]> Reader(string bootstrap, bool partitionEof) => new ConsumerBuilder<string, byte[]>(new ConsumerConfig
    {
        BootstrapServers = bootstrap,
        GroupId = "test-reader-" + Guid.NewGuid().ToString("N"),
        IsolationLevel = IsolationLevel.ReadCommitted,
        EnableAutoCommit = false,
        EnablePartitionEof = partitionEof,
        AutoOffsetReset = AutoOffsetReset.Earliest,
    }).Build();
}
