using Confluent.Kafka;
using KeyShareDetector.Detection;
using KeyShareDetector.Streams.Observability;
using KeyShareDetector.Streams.Topology;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.SerDes;

namespace KeyShareDetector.Streams;

/// <summary>Runs the detector topology on a Kafka cluster (real or embedded) until disposed.</summary>
public sealed class DetectorService : IAsyncDisposable
{
    private readonly KafkaStream _stream;
    private readonly TaskCompletionSource _running = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private int _disposed;
    private volatile KafkaStream.State _state = KafkaStream.State.CREATED;

    private DetectorService(KafkaStream stream, DetectorMetrics metrics)
    {
        _stream = stream;
        Metrics = metrics;
        _stream.StateChanged += (_, now) =>
        {
            _state = now;
            if (now == KafkaStream.State.RUNNING) _running.TrySetResult();
            else if (now == KafkaStream.State.ERROR) _running.TrySetException(new InvalidOperationException("the stream entered ERROR state"));
        };
    }

    public DetectorMetrics Metrics { get; }

    /// <summary>True while every stream thread is alive and the stream is RUNNING.</summary>
    public bool IsRunning => _state == KafkaStream.State.RUNNING;

    /// <summary>Builds the topology and starts it; returns once it is RUNNING or throws after <paramref name="readyTimeout"/>.</summary>
    public static async Task<DetectorService> StartAsync(DetectorOptions options, KeyRiskEngine engine, WireCodecs codecs,
        TimeSpan readyTimeout, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException("invalid detector options: " + string.Join("; ", errors), nameof(options));

        var metrics = new DetectorMetrics();
        var topology = DetectorTopology.Build(options, engine, metrics, codecs);
        var config = new StreamConfig<StringSerDes, ByteArraySerDes>
        {
            ApplicationId = options.ApplicationId,
            BootstrapServers = options.BootstrapServers,
            Guarantee = options.ExactlyOnce ? ProcessingGuarantee.EXACTLY_ONCE : ProcessingGuarantee.AT_LEAST_ONCE,
            NumStreamThreads = options.StreamThreads,
            StateDir = options.StateDir,
            ReplicationFactor = options.ReplicationFactor,
            CommitIntervalMs = options.CommitIntervalMs,
            DefaultTimestampExtractor = new RecordTimestampExtractor(),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            Logger = loggerFactory ?? NullLoggerFactory.Instance,
        };
        // Java's default partitioner, so keys re-partitioned here land where Java producers put them.
        config.Partitioner = Partitioner.Murmur2Random;
        foreach (var (k, v) in options.KafkaSettings) config[k] = v;

        var service = new DetectorService(new KafkaStream(topology, config), metrics);
        try
        {
            await service._stream.StartAsync(service._stop.Token);
            await service._running.Task.WaitAsync(readyTimeout, cancellationToken);
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
        return service;
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return ValueTask.CompletedTask;
        _stop.Cancel();
        _stream.Dispose();
        _stop.Dispose();
        return ValueTask.CompletedTask;
    }
}
