using Confluent.Kafka;
using KeyShareDetector.Audit.Ledger;
using KeyShareDetector.Audit.Sink;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Streams.Embedded;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyShareDetector.Audit.Tests.Support;

/// <summary>An embedded broker with the command and alert topics, a producer, and sinks to start and kill.</summary>
internal sealed class SinkHarness : IDisposable
{
    public const int Partitions = 4;
    private readonly IProducer<string, byte[]> _producer;

    public SinkHarness()
    {
        Cluster = new EmbeddedKafkaCluster();
        Cluster.CreateTopic(Topics.Enforcement, Partitions);
        Cluster.CreateTopic(Topics.Alerts, Partitions);
        _producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = Cluster.BootstrapServers,
            EnableIdempotence = true,
            LingerMs = 5,
        }).Build();
    }

    public EmbeddedKafkaCluster Cluster { get; }

    public string GroupId { get; } = "audit-test-" + Guid.NewGuid().ToString("N");

    /// <summary>Commands are keyed by api key id, Avro-encoded (compact: the broker keeps only 5 MB per partition).</summary>
    public void ProduceCommands(int from, int count)
    {
        for (int i = from; i < from + count; i++)
        {
            var command = Samples.Command(i);
            _producer.Produce(Topics.Enforcement, new Message<string, byte[]> { Key = command.ApiKeyId, Value = ContractCodecs.Command.SerializeAvro(command) });
        }
        _producer.Flush(TimeSpan.FromSeconds(30));
    }

    public void ProduceAlert(Alert alert)
    {
        _producer.Produce(Topics.Alerts, new Message<string, byte[]> { Key = alert.ApiKeyId ?? "", Value = ContractCodecs.Alert.SerializeJson(alert) });
        _producer.Flush(TimeSpan.FromSeconds(30));
    }

    public void ProduceRaw(string topic, byte[] value)
    {
        _producer.Produce(topic, new Message<string, byte[]> { Key = "x", Value = value });
        _producer.Flush(TimeSpan.FromSeconds(30));
    }

    public RunningSink Start(AuditLedger ledger, int maxBatchSize = 500)
    {
        var sink = new LedgerSink(new LedgerSinkOptions
        {
            BootstrapServers = Cluster.BootstrapServers,
            GroupId = GroupId,
            MaxBatchSize = maxBatchSize,
            MaxBatchWait = TimeSpan.FromMilliseconds(100),
            KafkaSettings = new Dictionary<string, string> { ["session.timeout.ms"] = "6000", ["heartbeat.interval.ms"] = "500" },
            Resilience = new LedgerResilienceOptions { MaxRetryDelay = TimeSpan.FromSeconds(1), BreakDuration = TimeSpan.FromMilliseconds(500) },
        }, ledger, TimeProvider.System, NullLogger.Instance);
        var stop = new CancellationTokenSource();
        return new RunningSink(sink, stop, sink.RunAsync(stop.Token));
    }

    public void Dispose()
    {
        _producer.Dispose();
        Cluster.Dispose();
    }
}

/// <summary>A sink running on its own thread until killed.</summary>
internal sealed record RunningSink(LedgerSink Sink, CancellationTokenSource Stop, Task Loop) : IAsyncDisposable
{
    /// <summary>Abrupt stop: cancels mid-batch, nothing further is committed.</summary>
    public async Task KillAsync()
    {
        await Stop.CancelAsync();
        await Loop.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        if (!Loop.IsCompleted) await KillAsync();
        Stop.Dispose();
    }
}
