using Confluent.Kafka;
using KeyShareDetector.Integration.Tests.Support;
using KeyShareDetector.Streams.Embedded;
using KeyShareDetector.Streams.Observability;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Kafka;

namespace KeyShareDetector.Integration.Tests.Observability;

public sealed class ConsumerLagProbeTests
{
    private sealed class NoRebalanceListener : IConsumerRebalanceListener
    {
        public void PartitionsAssigned(IConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions)
        {
        }

        public void PartitionsRevoked(IConsumer<byte[], byte[]> consumer, List<TopicPartitionOffset> partitions)
        {
        }

        public void PartitionsLost(IConsumer<byte[], byte[]> consumer, List<TopicPartitionOffset> partitions)
        {
        }
    }

    [Fact]
    public async Task Lag_is_the_high_watermark_minus_the_position_of_each_assigned_partition_and_a_closed_consumer_is_forgotten()
    {
        using var cluster = new EmbeddedKafkaCluster();
        cluster.CreateTopic("lag", 2);
        using (var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers }).Build())
        {
            for (int i = 0; i < 10; i++) await producer.ProduceAsync(new TopicPartition("lag", 0), new Message<Null, byte[]> { Value = [1] });
            for (int i = 0; i < 4; i++) await producer.ProduceAsync(new TopicPartition("lag", 1), new Message<Null, byte[]> { Value = [1] });
        }
        var config = new StreamConfig { ApplicationId = "lag-probe", BootstrapServers = cluster.BootstrapServers };
        var probe = new ConsumerLagProbe(new DefaultKafkaClientSupplier(new KafkaLoggerAdapter(config), config));
        var consumer = probe.GetConsumer(new ConsumerConfig { BootstrapServers = cluster.BootstrapServers, GroupId = "lag-probe", EnableAutoCommit = false, IsolationLevel = IsolationLevel.ReadCommitted }, new NoRebalanceListener());
        consumer.Assign([new TopicPartitionOffset("lag", 0, 0), new TopicPartitionOffset("lag", 1, 0)]);
        int read0 = 0, read1 = 0;
        await Eventually.WaitAsync(() =>
        {
            // Read 3 records of partition 0 and all 4 of partition 1, then stop consuming partition 0.
            var r = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (r?.Message is not null && r.Partition.Value == 0 && ++read0 == 3) consumer.Pause([new TopicPartition("lag", 0)]);
            if (r?.Message is not null && r.Partition.Value == 1) read1++;
            return read0 == 3 && read1 == 4 && probe.Read().Count == 2;
        }, TimeSpan.FromSeconds(30), "consumed 3 + 4 records with both high watermarks known");

        var lags = probe.Read().OrderBy(l => l.Partition).ToList();
        Assert.Equal(new PartitionLag("lag", 0, 3, 10), lags[0]);
        Assert.Equal(7, lags[0].Lag);
        Assert.Equal(0, lags[1].Lag);

        consumer.Close();
        consumer.Dispose();
        Assert.Empty(probe.Read());
    }
}
