using Confluent.Kafka;
using KeyShareDetector.Streams;
using KeyShareDetector.Streams.Embedded;
using KeyShareDetector.Streams.Topology;

namespace KeyShareDetector.Integration.Tests;

public sealed class EmbeddedBrokerTests
{
    [Fact]
    public async Task A_three_broker_cluster_lists_every_detector_topic_to_an_ordinary_client()
    {
        using var cluster = new EmbeddedKafkaCluster(brokers: 3);
        var options = new DetectorOptions { BootstrapServers = cluster.BootstrapServers };
        await cluster.EnsureAsync(DetectorTopology.RequiredTopics(options), CancellationToken.None);

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.BootstrapServers }).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));

        Assert.Equal(3, metadata.Brokers.Count);
        var names = metadata.Topics.Select(t => t.Topic).ToHashSet(StringComparer.Ordinal);
        foreach (var spec in DetectorTopology.RequiredTopics(options)) Assert.Contains(spec.Name, names);
        Assert.Equal(options.InputPartitions, metadata.Topics.Single(t => t.Topic == options.Topics.Access).Partitions.Count);
        Assert.All(cluster.BootstrapServers.Split(','), s => Assert.StartsWith("127.0.0.1:", s, StringComparison.Ordinal));
    }

    [Fact]
    public void The_cluster_and_the_clients_share_one_copy_of_librdkafka()
    {
        using var cluster = new EmbeddedKafkaCluster();
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers }).Build();
        producer.Produce("copy-check", new Message<Null, string> { Value = "x" });
        producer.Flush(TimeSpan.FromSeconds(10));

        var mapped = File.ReadLines("/proc/self/maps").Where(l => l.Contains("rdkafka", StringComparison.Ordinal) && l.Contains(".so", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf('/', StringComparison.Ordinal))..].Trim()).Distinct(StringComparer.Ordinal).ToList();
        Assert.Single(mapped);
        Assert.Equal(EmbeddedKafkaCluster.NativeLibraryPath, mapped[0]);
    }

    [Fact]
    public async Task A_produce_error_injected_by_the_cluster_is_retried_by_the_client()
    {
        using var cluster = new EmbeddedKafkaCluster();
        cluster.CreateTopic("faults", 1);
        cluster.PushRequestErrors(0, ErrorCode.NotLeaderForPartition, ErrorCode.NotLeaderForPartition);
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers, EnableIdempotence = true }).Build();
        var report = await producer.ProduceAsync("faults", new Message<Null, string> { Value = "survives" });
        Assert.Equal(PersistenceStatus.Persisted, report.Status);
    }

    /// <summary>
    /// librdkafka's mock answers TxnOffsetCommit (what SendOffsetsToTransaction sends) without storing the
    /// offsets, while a plain OffsetCommit is stored: exactly-once consumers find no committed position on it
    /// after a restart. If this starts failing, the mock stores them now and exactly-once restart tests can run on it.
    /// </summary>
    [Fact]
    public async Task Offsets_sent_to_a_committed_transaction_are_not_stored_but_a_plain_commit_is()
    {
        using var cluster = new EmbeddedKafkaCluster();
        cluster.CreateTopic("txn-in", 1);
        cluster.CreateTopic("txn-out", 1);
        using (var plain = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers }).Build())
        {
            for (int i = 0; i < 5; i++) await plain.ProduceAsync("txn-in", new Message<Null, string> { Value = "v" + i });
        }
        var input = new TopicPartition("txn-in", 0);
        using var consumer = new ConsumerBuilder<Null, string>(new ConsumerConfig { BootstrapServers = cluster.BootstrapServers, GroupId = "txn-group", EnableAutoCommit = false, IsolationLevel = IsolationLevel.ReadCommitted }).Build();
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers, TransactionalId = "txn-probe" }).Build();
        producer.InitTransactions(TimeSpan.FromSeconds(10));
        producer.BeginTransaction();
        producer.Produce("txn-out", new Message<Null, string> { Value = "out" });
        producer.SendOffsetsToTransaction([new TopicPartitionOffset(input, 5)], consumer.ConsumerGroupMetadata, TimeSpan.FromSeconds(10));
        producer.CommitTransaction(TimeSpan.FromSeconds(10));

        Assert.Equal(Offset.Unset, consumer.Committed([input], TimeSpan.FromSeconds(10)).Single().Offset);

        consumer.Commit([new TopicPartitionOffset(input, 3)]);
        Assert.Equal(new Offset(3), consumer.Committed([input], TimeSpan.FromSeconds(10)).Single().Offset);
    }

    /// <summary>
    /// With an initial rebalance delay a new group's members that join one after the other are assigned together, once
    /// (what the end-to-end bench's broker uses so that two stream threads do not wait out a second rebalance); the first
    /// member never holds every partition on its own and gives them back.
    /// </summary>
    [Fact]
    public async Task A_new_group_waits_its_initial_rebalance_delay_and_assigns_members_that_joined_in_it_together()
    {
        using var cluster = new EmbeddedKafkaCluster(groupInitialRebalanceDelayMs: 4000);
        cluster.CreateTopic("joined", 4);
        var assigned = new[] { 0, 0 };
        var revoked = new[] { 0, 0 };
        var consumers = Enumerable.Range(0, 2).Select(i => new ConsumerBuilder<Null, string>(new ConsumerConfig
            {
                BootstrapServers = cluster.BootstrapServers, GroupId = "delayed-group", EnableAutoCommit = false, SessionTimeoutMs = 6000,
                IsolationLevel = IsolationLevel.ReadCommitted,
            })
            .SetPartitionsAssignedHandler((_, partitions) =>
            {
                if (partitions.Count > 0) Interlocked.Increment(ref assigned[i]);
            })
            .SetPartitionsRevokedHandler((_, partitions) =>
            {
                if (partitions.Count > 0) Interlocked.Increment(ref revoked[i]);
            })
            .Build()).ToArray();
        try
        {
            foreach (var c in consumers) c.Subscribe("joined");
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (consumers.Any(c => c.Assignment.Count == 0))
            {
                Assert.True(DateTime.UtcNow < deadline, "the two members were not both assigned within 60 s");
                foreach (var c in consumers) c.Consume(TimeSpan.FromMilliseconds(50));
            }
            Assert.Equal(4, consumers.Sum(c => c.Assignment.Count));
            Assert.Equal([1, 1], assigned);
            Assert.Equal([0, 0], revoked);
        }
        finally
        {
            foreach (var c in consumers)
            {
                c.Close();
                c.Dispose();
            }
        }
    }

    [Fact]
    public void A_negative_initial_rebalance_delay_is_refused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new EmbeddedKafkaCluster(groupInitialRebalanceDelayMs: -1));
        Assert.Equal("groupInitialRebalanceDelayMs", e.ParamName);
    }
}
