using Confluent.Kafka;
using KeyShareDetector.Streams.Provisioning;

namespace KeyShareDetector.Benchmarks.EndToEnd;

/// <summary>What the broker holds of one topic: the sum over partitions of the log start and end offsets.</summary>
/// <param name="Low">Sum of log start offsets: above 0 means the broker dropped that many of the oldest records.</param>
/// <param name="High">Sum of high watermarks: every record ever appended.</param>
internal sealed record TopicMarks(string Topic, int Partitions, long Low, long High);

internal static class Kafka
{
    /// <summary>Producer settings of the scenario runner: idempotent, batched, murmur2 like Java producers.</summary>
    public static ProducerConfig ProducerConfig(string bootstrap, int lingerMs = 5) => new()
    {
        BootstrapServers = bootstrap,
        EnableIdempotence = true,
        LingerMs = lingerMs,
        BatchNumMessages = 10_000,
        QueueBufferingMaxMessages = 500_000,
        Partitioner = Partitioner.Murmur2Random,
    };

    /// <summary>Watermarks summed over the topic's partitions. On a transactional topic the high watermark also counts commit markers.</summary>
    public static TopicMarks Marks(string bootstrap, TopicSpec topic)
    {
        var marks = PartitionMarks(bootstrap, topic);
        return new TopicMarks(topic.Name, topic.Partitions, marks.Sum(m => m.Low), marks.Sum(m => m.High));
    }

    public static (long Low, long High)[] PartitionMarks(string bootstrap, TopicSpec topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        using var c = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "bench-marks", IsolationLevel = IsolationLevel.ReadCommitted }).Build();
        var marks = new (long, long)[topic.Partitions];
        for (int p = 0; p < topic.Partitions; p++)
        {
            var w = c.QueryWatermarkOffsets(new TopicPartition(topic.Name, p), TimeSpan.FromSeconds(10));
            marks[p] = (w.Low.Value, w.High.Value);
        }
        return marks;
    }

    /// <summary>Sends one record, waiting out a full local queue instead of failing.</summary>
    public static void Produce(IProducer<string, byte[]> producer, string topic, Message<string, byte[]> message, Action<DeliveryReport<string, byte[]>> handler)
    {
        while (true)
        {
            try
            {
                producer.Produce(topic, message, handler);
                return;
            }
            catch (ProduceException<string, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(20));
            }
        }
    }

    /// <summary>Average value size of what one partition still holds (the embedded broker keeps its newest 5 MB).</summary>
    public static double AverageValueBytes(string bootstrap, string topic, int partition)
    {
        using var c = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap, GroupId = "bench-sizes", EnableAutoCommit = false, IsolationLevel = IsolationLevel.ReadUncommitted,
        }).Build();
        var tp = new TopicPartition(topic, partition);
        var w = c.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10));
        c.Assign(new TopicPartitionOffset(tp, w.Low));
        long n = 0, bytes = 0;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var r = c.Consume(TimeSpan.FromMilliseconds(200));
            if (r is null)
            {
                if (c.Position(tp) >= w.High - 1) break;
                continue;
            }
            n++;
            bytes += r.Message.Value?.Length ?? 0;
            if (r.Offset >= w.High - 1) break;
        }
        return n == 0 ? double.NaN : (double)bytes / n;
    }
}
