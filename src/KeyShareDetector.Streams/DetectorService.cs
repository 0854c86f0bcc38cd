using Confluent.Kafka;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Streams.Policy;
using KeyShareDetector.Streams.Observability;
using KeyShareDetector.Streams.Topology;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Errors;
using Streamiz.Kafka.Net.Kafka;
using Streamiz.Kafka.Net.State;
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

    private PolicyTopicWatcher? _watcher;
    private readonly DetectorOptions _options;
    private readonly WireCodecs _codecs;
    private readonly TimeProvider _time;
    private volatile string? _lastError;
    private int _failureReported;
    private ILogger _closeLog = NullLogger.Instance;

    private DetectorService(KafkaStream stream, DetectorMetrics metrics, LivePolicy policy, DetectorOptions options, WireCodecs codecs, TimeProvider time)
    {
        _stream = stream;
        Metrics = metrics;
        Policy = policy;
        _options = options;
        _codecs = codecs;
        _time = time;
        _stream.StateChanged += (_, now) =>
        {
            _state = now;
            if (now == KafkaStream.State.RUNNING) _running.TrySetResult();
            else if (now == KafkaStream.State.ERROR)
            {
                _running.TrySetException(new InvalidOperationException("the stream entered ERROR state: " + (_lastError ?? "unknown cause")));
                ReportFailure();
            }
        };
    }

    /// <summary>Why the stream stopped, when it did (type and message of the error that stopped it).</summary>
    public string? LastError => _lastError;

    /// <summary>
    /// A stream task whose thread has not come round to it for longer than <see cref="DetectorOptions.StallTimeout"/>
    /// (a thread blocked in a call while the stream still reports RUNNING); null while every task's thread comes round.
    /// </summary>
    public Observability.TaskStall? Stall => Metrics.Liveness.Stalled(_options.StallTimeout);

    /// <summary>True once a stream thread died (the instance no longer detects).</summary>
    public bool Failed => Volatile.Read(ref _failureReported) == 1;

    /// <summary>Publishes one critical STREAM_THREAD_FAILED alert for this instance.</summary>
    private void ReportFailure()
    {
        if (Interlocked.Exchange(ref _failureReported, 1) == 1) return;
        try
        {
            var alert = Detection.Alerts.AlertFactory.ForStreamFailure(_time.GetUtcNow().ToUnixTimeMilliseconds(), _options.ApplicationId, _lastError ?? "the stream entered ERROR state");
            var config = new ProducerConfig(_options.KafkaSettings.ToDictionary()) { BootstrapServers = _options.BootstrapServers, MessageTimeoutMs = 10_000 };
            using var producer = new ProducerBuilder<string, byte[]>(config).Build();
            producer.Produce(_options.Topics.Alerts, new Message<string, byte[]> { Key = alert.DedupKey, Value = _codecs.Write(alert) });
            producer.Flush(TimeSpan.FromSeconds(10));
        }
        catch (KafkaException)
        {
            // The broker is unreachable too: the failed state still shows on /healthz and in the logs.
        }
    }

    public DetectorMetrics Metrics { get; }

    private ConsumerLagProbe? _lag;

    /// <summary>Stores whose size <see cref="StoreEntries"/> reports.</summary>
    public static readonly string[] Stores = [DetectorOptions.KeyStateStore, DetectorOptions.FleetStore, DetectorOptions.BreakerStore];

    /// <summary>How far each partition this instance consumes is behind its high watermark (read on demand, off the processing path).</summary>
    public IReadOnlyList<PartitionLag> ConsumerLag() => _lag?.Read() ?? [];

    /// <summary>
    /// Approximate entries per state store over the tasks of this instance; empty while the stream is not
    /// RUNNING (stores are not queryable during a rebalance or restore).
    /// </summary>
    public IReadOnlyDictionary<string, long> StoreEntries()
    {
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        if (!IsRunning) return sizes;
        foreach (var name in Stores)
        {
            try
            {
                var store = _stream.Store(StoreQueryParameters.FromNameAndType(name, QueryableStoreTypes.KeyValueStore<string, byte[]>()));
                sizes[name] = store.ApproximateNumEntries();
            }
            catch (Exception e) when (e is InvalidStateStoreException or IllegalStateException or InvalidOperationException)
            {
                // Migrating or closing: this reading goes without it.
            }
        }
        return sizes;
    }

    /// <summary>The policy book in force; updated from the policy topic while running.</summary>
    public LivePolicy Policy { get; }

    /// <summary>Versions taken from the policy topic so far (0 when not watching).</summary>
    public long PolicyVersionsApplied => _watcher?.Applied ?? 0;

    /// <summary>True while every stream thread is alive and the stream is RUNNING.</summary>
    public bool IsRunning => _state == KafkaStream.State.RUNNING;

    /// <summary>
    /// A Kafka error a stream thread gets past by aborting its transaction, restoring its tasks and rejoining, however
    /// Streamiz wrapped it: a retriable error (broker transport, coordinator moving or loading, timeouts), or a
    /// transaction made abortable by a delivery that failed for a reason that does not repeat by itself
    /// (see <see cref="ProductionErrors.AbortIsRecoverable"/>).
    /// </summary>
    public static bool IsTransient(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is KafkaRetriableException) return true;
            if (x is KafkaException { Error.IsFatal: true }) return false;
            if (x is KafkaTxnRequiresAbortException abort) return ProductionErrors.AbortIsRecoverable(abort.Error.Code);
            if (x is KafkaException { Error.Code: ErrorCode.Local_Transport or ErrorCode.Local_AllBrokersDown or ErrorCode.Local_TimedOut
                or ErrorCode.NotCoordinatorForGroup or ErrorCode.GroupLoadInProgress or ErrorCode.GroupCoordinatorNotAvailable or ErrorCode.RequestTimedOut }) return true;
        }
        return false;
    }

    /// <summary>Type and message of an exception and of each exception inside it, outermost first.</summary>
    public static string Describe(Exception e)
    {
        var parts = new List<string>();
        for (var x = e; x is not null; x = x.InnerException)
            parts.Add(x is KafkaException k ? $"{x.GetType().Name} ({k.Error.Code}): {x.Message}" : $"{x.GetType().Name}: {x.Message}");
        return string.Join(" <- ", parts);
    }

    /// <summary>
    /// The stream producers' settings that differ from librdkafka's defaults; the operator's Kafka settings are applied
    /// after these and win.
    /// </summary>
    public static void ApplyProducerDefaults(StreamConfig config, DetectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        // Java's default partitioner, so keys re-partitioned here land where Java producers put them.
        config.Partitioner = Partitioner.Murmur2Random;
        if (!options.ExactlyOnce) return;
        // Under exactly-once, delivery reports carry only the status Streamiz records offsets by: not the key, value and
        // headers, which the client copies back for every record sent (the changelog alone is one per input record).
        // Streamiz needs those only to re-send a record its ProductionExceptionHandler answers RETRY for, which ours
        // does only under at-least-once (ProductionErrors.Decide), so there they stay.
        config.DeliveryReportFields = "status";
        // Under exactly-once nothing a stream thread writes can be read before its transaction commits, and the commit
        // flushes the producer; so waiting up to a commit interval to fill a batch delays no reader. It makes one
        // batch per partition and commit instead of one every 5 ms (librdkafka's default linger): measured at full
        // bench size, the broker's CPU in the throughput phase halved (12-16 s to 6.3-7.3 s) and the detector read
        // 27,100-28,500 events/s instead of 21,700-24,900 (DECISIONS, "Producer batches of one commit interval").
        config.LingerMs = options.CommitIntervalMs;
    }

    /// <summary>
    /// The stream configuration the detector runs with for <paramref name="options"/>: guarantee, threads, polling,
    /// commits, group timeouts, producer defaults and the operator's settings on top. The exception handlers are added
    /// by <see cref="StartAsync"/>; the end-to-end bench runs its Streamiz floors with the same configuration. The
    /// options are not validated here: <see cref="StartAsync"/> does that first.
    /// </summary>
    public static StreamConfig<StringSerDes, ByteArraySerDes> StreamConfigFor(DetectorOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = new StreamConfig<StringSerDes, ByteArraySerDes>
        {
            ApplicationId = options.ApplicationId,
            BootstrapServers = options.BootstrapServers,
            Guarantee = options.ExactlyOnce ? ProcessingGuarantee.EXACTLY_ONCE : ProcessingGuarantee.AT_LEAST_ONCE,
            NumStreamThreads = options.StreamThreads,
            StateDir = options.StateDir,
            ReplicationFactor = options.ReplicationFactor,
            CommitIntervalMs = options.CommitIntervalMs,
            PollMs = options.PollMs,
            MaxPollRecords = options.MaxPollRecords,
            MaxTaskIdleMs = options.MaxTaskIdleMs,
            DefaultTimestampExtractor = new RecordTimestampExtractor(),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            Logger = loggerFactory ?? NullLoggerFactory.Instance,
        };
        if (options.FetchWaitMaxMs is { } fetchWait) config.FetchWaitMaxMs = fetchWait;
        if (options.SessionTimeoutMs is { } session)
        {
            config.SessionTimeoutMs = session;
            config.HeartbeatIntervalMs = Math.Max(100, session / 10);
        }
        ApplyProducerDefaults(config, options);
        foreach (var (k, v) in options.KafkaSettings) StreamConfigSettings.Apply(config, k, v);
        foreach (var (k, v) in options.StreamSettings) StreamConfigSettings.Apply(config, k, v);
        return config;
    }

    /// <summary>Builds the topology and starts it; returns once it is RUNNING or throws after <paramref name="readyTimeout"/>.</summary>
    public static async Task<DetectorService> StartAsync(DetectorOptions options, PolicyBook policies, WireCodecs codecs,
        TimeSpan readyTimeout, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException("invalid detector options: " + string.Join("; ", errors), nameof(options));

        var metrics = new DetectorMetrics(time);
        var live = new LivePolicy(policies);
        var topology = DetectorTopology.Build(options, live, metrics, codecs);
        var config = StreamConfigFor(options, loggerFactory);

        DetectorService? created = null;
        config.InnerExceptionHandler = e =>
        {
            // A broker that is briefly unreachable (the transaction coordinator during a commit) is not a reason to stop:
            // Streamiz then closes the thread's tasks, restores them from the changelogs and rejoins the group, and
            // the stages skip what they had applied (AppliedOffsets). Anything else stops the thread.
            if (IsTransient(e))
            {
                metrics.StreamRecovered();
                return ExceptionHandlerResponse.CONTINUE;
            }
            if (created is not null) created._lastError = Describe(e);
            return ExceptionHandlerResponse.FAIL;
        };
        bool exactlyOnce = options.ExactlyOnce;
        config.ProductionExceptionHandler = report =>
        {
            var response = ProductionErrors.Decide(report.Error.Code, exactlyOnce);
            metrics.ProduceFailure(report.Error.Code.ToString(), response.ToString());
            if (response == ProductionExceptionHandlerResponse.FAIL && created is not null)
                created._lastError = $"delivery to {report.Topic} failed: {report.Error.Code} {report.Error.Reason}";
            return response;
        };
        config.DeserializationExceptionHandler = (_, record, e) =>
        {
            // Inputs are read as bytes and parsed by the topology (bad ones go to the DLQ); this fires only for
            // corrupt internal topics, which is a fault to stop on.
            if (created is not null) created._lastError = $"corrupt record on {record.Topic}/{record.Partition.Value}/{record.Offset.Value}: {e.Message}";
            return ExceptionHandlerResponse.FAIL;
        };
        // The default supplier, as KafkaStream(topology, config) builds it, wrapped to read consumer lag.
        var lag = new ConsumerLagProbe(new DefaultKafkaClientSupplier(new KafkaLoggerAdapter(config), config));
        var service = created = new DetectorService(new KafkaStream(topology, config, lag), metrics, live, options, codecs, time ?? TimeProvider.System)
        {
            _lag = lag,
            _closeLog = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<DetectorService>(),
        };
        try
        {
            if (options.WatchPolicyTopic)
            {
                service._watcher = new PolicyTopicWatcher(options.BootstrapServers, options.Topics.Policy, live, options.KafkaSettings,
                    (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<PolicyTopicWatcher>());
            }
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

    /// <summary>
    /// True when the last <see cref="DisposeAsync"/> gave up waiting for the stream to close (see
    /// <see cref="DetectorOptions.CloseTimeout"/>).
    /// </summary>
    public bool CloseTimedOut { get; private set; }

    /// <summary>
    /// Stops the stream threads and closes their clients, waiting at most <see cref="DetectorOptions.CloseTimeout"/>.
    /// A stream thread can hang for ever in its consumer's close when a group rebalance reaches it there (librdkafka
    /// #4041: <c>rd_kafka_rebalance_protocol()</c> called from the rebalance callback that <c>consumer_close</c>
    /// triggers; seen here with two stream threads, once in eight bench runs). Under exactly-once nothing is lost by
    /// giving up: what was not committed is aborted by the broker and read again by the next owner.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        if (_watcher is not null) await _watcher.DisposeAsync();
        // Streamiz closes the stream from the stop token's callback as well; both run off the caller's thread.
        var closing = Task.Run(async () =>
        {
            await _stop.CancelAsync();
            _stream.Dispose();
        });
        using var timeout = new CancellationTokenSource(_options.CloseTimeout, _time);
        try
        {
            await closing.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            CloseTimedOut = true;
            _closeLog.LogError("the stream did not close within {CloseTimeout}; left behind (a consumer close that hangs in a rebalance callback, librdkafka #4041)", _options.CloseTimeout);
            return;
        }
        _stop.Dispose();
    }
}
