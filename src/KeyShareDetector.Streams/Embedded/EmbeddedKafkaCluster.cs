using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;
using KeyShareDetector.Streams.Provisioning;

namespace KeyShareDetector.Streams.Embedded;

/// <summary>
/// An in-process Kafka-protocol cluster (librdkafka's mock cluster) on 127.0.0.1: 1..N brokers on real TCP
/// ports that any Kafka client can use. In memory only; it cannot create topics on request, so every topic,
/// including Streamiz's changelogs, is created here before a stream starts.
/// </summary>
public sealed class EmbeddedKafkaCluster : IDisposable, ITopicProvisioner
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _topics = new(StringComparer.Ordinal);
    private IntPtr _owner;
    private IntPtr _cluster;

    /// <param name="brokers">Brokers in the cluster.</param>
    /// <param name="groupInitialRebalanceDelayMs">
    /// How long a new (empty) consumer group waits for more members before its first assignment, as a broker's
    /// group.initial.rebalance.delay.ms (3000 by default on Kafka). 0 here by default: tests and the demo want joins
    /// quick. A group whose members join one after the other within that delay is assigned once; without it, this
    /// broker assigns the first member alone and then holds the whole group for the session timeout less 1 s when the
    /// next one joins (librdkafka's rdkafka_mock_cgrp.c), where a real broker rebalances as soon as every member has
    /// rejoined.
    /// </param>
    public EmbeddedKafkaCluster(int brokers = 1, int groupInitialRebalanceDelayMs = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(groupInitialRebalanceDelayMs);
        if (brokers < 1) throw new ArgumentOutOfRangeException(nameof(brokers), "an embedded cluster needs at least 1 broker");
        RdKafkaLibrary.EnsureLoaded();
        var err = new StringBuilder(512);
        var conf = MockClusterNative.rd_kafka_conf_new();
        MockClusterNative.rd_kafka_conf_set(conf, "log_level", "3", err, (UIntPtr)err.Capacity);
        // The mock cluster lives inside a client handle; this producer handle owns it and must outlive it.
        _owner = MockClusterNative.rd_kafka_new(0, conf, err, (UIntPtr)err.Capacity);
        if (_owner == IntPtr.Zero) throw new InvalidOperationException("could not create the librdkafka handle for the embedded cluster: " + err);
        _cluster = MockClusterNative.rd_kafka_mock_cluster_new(_owner, brokers);
        if (_cluster == IntPtr.Zero)
        {
            MockClusterNative.rd_kafka_destroy(_owner);
            _owner = IntPtr.Zero;
            throw new InvalidOperationException("could not start the embedded Kafka cluster");
        }
        Brokers = brokers;
        BootstrapServers = Marshal.PtrToStringAnsi(MockClusterNative.rd_kafka_mock_cluster_bootstraps(_cluster))
            ?? throw new InvalidOperationException("the embedded cluster reported no bootstrap servers");
        // Group joins wait 3 s by default, as on a real broker; tests and the demo want them quick.
        MockClusterNative.rd_kafka_mock_group_initial_rebalance_delay_ms(_cluster, groupInitialRebalanceDelayMs);
    }

    public int Brokers { get; }

    /// <summary>Comma-separated host:port list of the brokers.</summary>
    public string BootstrapServers { get; }

    /// <summary>The librdkafka file shared by the cluster and every client in this process.</summary>
    public static string? NativeLibraryPath => RdKafkaLibrary.LoadedPath;

    public IReadOnlyCollection<string> CreatedTopics
    {
        get { lock (_gate) return _topics.ToArray(); }
    }

    private IntPtr Cluster => _cluster != IntPtr.Zero ? _cluster : throw new ObjectDisposedException(nameof(EmbeddedKafkaCluster));

    public void CreateTopic(string name, int partitions, int replicationFactor = 1)
    {
        lock (_gate)
        {
            if (!_topics.Add(name)) return;
            Check(MockClusterNative.rd_kafka_mock_topic_create(Cluster, name, partitions, Math.Min(replicationFactor, Brokers)), "create topic " + name);
        }
    }

    public Task EnsureAsync(IEnumerable<TopicSpec> topics, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(topics);
        foreach (var t in topics) CreateTopic(t.Name, t.Partitions, t.ReplicationFactor);
        return Task.CompletedTask;
    }

    // Fault injection, for reliability tests.
    public void SetBrokerDown(int brokerId) => Check(MockClusterNative.rd_kafka_mock_broker_set_down(Cluster, brokerId), "broker down");

    public void SetBrokerUp(int brokerId) => Check(MockClusterNative.rd_kafka_mock_broker_set_up(Cluster, brokerId), "broker up");

    public void SetBrokerRoundTrip(int brokerId, int rttMs) => Check(MockClusterNative.rd_kafka_mock_broker_set_rtt(Cluster, brokerId, rttMs), "broker rtt");

    public void SetPartitionLeader(string topic, int partition, int brokerId) =>
        Check(MockClusterNative.rd_kafka_mock_partition_set_leader(Cluster, topic, partition, brokerId), "partition leader");

    public void SetTopicError(string topic, ErrorCode error) => MockClusterNative.rd_kafka_mock_topic_set_error(Cluster, topic, (int)error);

    /// <param name="keyType">"group" or "transaction".</param>
    public void SetCoordinator(string keyType, string key, int brokerId) =>
        Check(MockClusterNative.rd_kafka_mock_coordinator_set(Cluster, keyType, key, brokerId), "coordinator");

    /// <summary>The next requests of one Kafka API (0 Produce, 1 Fetch, 8 OffsetCommit, 22 InitProducerId...) fail with these errors, in order.</summary>
    public void PushRequestErrors(short apiKey, params ErrorCode[] errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        MockClusterNative.rd_kafka_mock_push_request_errors_array(Cluster, apiKey, (UIntPtr)errors.Length, errors.Select(e => (int)e).ToArray());
    }

    public void ClearRequestErrors(short apiKey) => MockClusterNative.rd_kafka_mock_clear_request_errors(Cluster, apiKey);

    public void Dispose()
    {
        lock (_gate)
        {
            if (_cluster != IntPtr.Zero)
            {
                MockClusterNative.rd_kafka_mock_cluster_destroy(_cluster);
                _cluster = IntPtr.Zero;
            }
            if (_owner != IntPtr.Zero)
            {
                MockClusterNative.rd_kafka_destroy(_owner);
                _owner = IntPtr.Zero;
            }
        }
    }

    private static void Check(int error, string what)
    {
        if (error != 0) throw new InvalidOperationException($"embedded cluster: {what} failed with {(ErrorCode)error}");
    }
}
