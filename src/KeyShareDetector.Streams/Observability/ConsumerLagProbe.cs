using Confluent.Kafka;
using Streamiz.Kafka.Net.Kafka;
using Streamiz.Kafka.Net.Metrics;

namespace KeyShareDetector.Streams.Observability;

/// <summary>How far one assigned partition is behind: high watermark minus the consumer's position.</summary>
public sealed record PartitionLag(string Topic, int Partition, long Position, long HighWatermark)
{
    public long Lag => Math.Max(0, HighWatermark - Position);
}

/// <summary>
/// The Kafka client supplier Streamiz builds its clients with, remembering each stream thread's main consumer so
/// that lag can be read when /metrics is scraped: from the consumer's own position and the high watermark of its
/// last fetch, both kept by librdkafka locally (no broker request, nothing on the processing path).
/// </summary>
public sealed class ConsumerLagProbe(IKafkaSupplier inner) : IKafkaSupplier
{
    private readonly Lock _gate = new();
    private readonly List<IConsumer<byte[], byte[]>> _consumers = [];

    public StreamMetricsRegistry MetricsRegistry
    {
        get => inner.MetricsRegistry;
        set => inner.MetricsRegistry = value;
    }

    public IConsumer<byte[], byte[]> GetConsumer(ConsumerConfig config, IConsumerRebalanceListener rebalanceListener)
    {
        var consumer = inner.GetConsumer(config, rebalanceListener);
        lock (_gate) _consumers.Add(consumer);
        return consumer;
    }

    public IConsumer<byte[], byte[]> GetRestoreConsumer(ConsumerConfig config) => inner.GetRestoreConsumer(config);

    public IConsumer<byte[], byte[]> GetGlobalConsumer(ConsumerConfig config) => inner.GetGlobalConsumer(config);

    public IProducer<byte[], byte[]> GetProducer(ProducerConfig config) => inner.GetProducer(config);

    public IAdminClient GetAdmin(AdminClientConfig config) => inner.GetAdmin(config);

    /// <summary>
    /// Lag of every partition assigned to this instance whose position and high watermark are known (a partition
    /// not yet fetched from is left out). Consumers closed since (a dead or replaced stream thread) are forgotten.
    /// </summary>
    public IReadOnlyList<PartitionLag> Read()
    {
        IConsumer<byte[], byte[]>[] consumers;
        lock (_gate) consumers = [.. _consumers];
        var lags = new List<PartitionLag>();
        foreach (var consumer in consumers)
        {
            try
            {
                foreach (var tp in consumer.Assignment)
                {
                    var position = consumer.Position(tp);
                    var watermarks = consumer.GetWatermarkOffsets(tp);
                    if (position.IsSpecial || watermarks.High.IsSpecial) continue;
                    lags.Add(new PartitionLag(tp.Topic, tp.Partition.Value, position.Value, watermarks.High.Value));
                }
            }
            catch (ObjectDisposedException)
            {
                lock (_gate) _consumers.Remove(consumer);
            }
            catch (KafkaException)
            {
                // Closing or rebalancing: this scrape goes without it.
            }
        }
        return lags;
    }
}
