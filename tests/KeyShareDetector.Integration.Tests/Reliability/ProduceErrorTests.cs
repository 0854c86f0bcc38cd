using Confluent.Kafka;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Integration.Tests.Support;
using KeyShareDetector.Streams;
using KeyShareDetector.Streams.Embedded;
using KeyShareDetector.Streams.Topology;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace KeyShareDetector.Integration.Tests.Reliability;

/// <summary>
/// A run of produce errors the broker calls retriable (a partition leader moving) must not stop detection.
/// </summary>
public sealed class ProduceErrorTests(ITestOutputHelper output) : IDisposable
{
    private const long T0 = 1_767_225_600_000;
    private readonly EmbeddedKafkaCluster _cluster = new();
    private readonly ErrorLog _logs = new();
    private readonly string _stateDir = Directory.CreateTempSubdirectory("keyshare-produce-errors-").FullName;

    public void Dispose()
    {
        _cluster.Dispose();
        if (Directory.Exists(_stateDir)) Directory.Delete(_stateDir, recursive: true);
    }

    private void Produce(int from, int count)
    {
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = _cluster.BootstrapServers, Partitioner = Partitioner.Murmur2Random }).Build();
        for (int i = from; i < from + count; i++)
        {
            string key = "k" + (i % 50);
            var e = new AccessEvent { EventId = "e" + i, Ts = T0 + (i * 1_000L), ApiKeyId = key, AccountId = "a-" + key, Ip = $"81.2.{i % 200}.{1 + (i % 250)}", UserAgent = "ua", Endpoint = "/v1/orders" };
            producer.Produce(Topics.Access, new Message<string, byte[]> { Key = key, Value = ContractCodecs.Access.SerializeJson(e), Timestamp = new Timestamp(e.Ts, TimestampType.CreateTime) });
        }
        producer.Flush(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Thirty_retriable_produce_errors_in_a_row_do_not_stop_the_stream()
    {
        var options = new DetectorOptions { BootstrapServers = _cluster.BootstrapServers, ApplicationId = "produce-errors", InputPartitions = 2, StateDir = _stateDir, ExactlyOnce = true };
        await _cluster.EnsureAsync(DetectorTopology.RequiredTopics(options), CancellationToken.None);
        await using var detector = await DetectorService.StartAsync(options, PolicyBook.Single(DetectionPolicy.Default, DetectorRun.Signer, null), WireCodecs.Create(), TimeSpan.FromSeconds(90), _logs);
        Produce(0, 200);
        await Eventually.WaitAsync(() => detector.Metrics.Counts().InputsDone >= 200, TimeSpan.FromSeconds(60), "the first 200 records handled");

        // The detector's next produce requests (changelog, features, commands) are refused as if the leader had moved.
        _cluster.PushRequestErrors(0, Enumerable.Repeat(ErrorCode.NotLeaderForPartition, 30).ToArray());
        Produce(200, 200);

        await Eventually.WaitAsync(() => detector.Metrics.Counts().InputsDone >= 400 || detector.Failed, TimeSpan.FromSeconds(90), () => $"400 records handled: {detector.Metrics.Counts()}");
        var failures = string.Join(", ", detector.Metrics.ProduceFailures.Select(f => $"{f.Key.Code} {f.Key.Action} x{f.Value}"));
        output.WriteLine($"recoveries {detector.Metrics.StreamRecoveries}; failed deliveries: {failures}");
        Assert.False(detector.Failed, "a stream thread died on retriable produce errors: " + detector.LastError + " | " + _logs.Text);
        await Eventually.WaitAsync(() => detector.IsRunning, TimeSpan.FromSeconds(60), "the stream RUNNING again");
    }
}

/// <summary>Keeps the error lines the detector logs, for a failure message.</summary>
internal sealed class ErrorLog : ILoggerFactory, ILogger
{
    private readonly List<string> _lines = [];

    public string Text
    {
        get
        {
            lock (_lines) return string.Join(" | ", _lines.Take(40).Select(l => l.Length <= 3000 ? l : l[..3000]));
        }
    }

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        lock (_lines) _lines.Add($"{logLevel}: {formatter(state, exception)} {exception?.Message}");
    }

    public void Dispose()
    {
    }
}
