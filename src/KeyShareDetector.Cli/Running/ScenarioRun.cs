using System.Diagnostics;
using Confluent.Kafka;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Simulator;
using KeyShareDetector.Streams;
using KeyShareDetector.Streams.Embedded;
using KeyShareDetector.Streams.Observability;
using KeyShareDetector.Streams.Topology;

namespace KeyShareDetector.Cli.Running;

/// <summary>How to play a scenario through the detector.</summary>
public sealed record RunSettings
{
    public required PolicyBook Policies { get; init; }
    public int Brokers { get; init; } = 1;
    public int Partitions { get; init; } = 4;
    /// <summary>Events per second of wall time to produce at; 0 = as fast as possible.</summary>
    public double Rate { get; init; }
    /// <summary>Answers commands with lifecycle events (the exchange backend stand-in), or null for none.</summary>
    public Func<EnforcementCommand, KeyLifecycleEvent?>? Backend { get; init; }
    /// <summary>Longest the run may take (wall time) before it stops with what it has.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromMinutes(10);
    public bool ExactlyOnce { get; init; } = true;
    /// <summary>
    /// Most records produced but not yet read by the detector. The embedded broker keeps only the newest 5 MB of
    /// each partition, so a producer far ahead of its consumer would lose records.
    /// </summary>
    public long MaxAhead { get; init; } = 40_000;
}

/// <summary>Progress of a run, for live views.</summary>
public sealed record RunProgress(long Produced, long Total, long Consumed, DetectorMetrics Metrics, IReadOnlyList<EnforcementCommand> LatestCommands, IReadOnlyList<Alert> LatestAlerts, TimeSpan Elapsed);

/// <summary>What a run produced: live and shadow commands and alerts as read back from the output topics.</summary>
/// <remarks><see cref="Completed"/> is false when the run stopped at its deadline (or the stream failed) before
/// the topology had finished with every record; <see cref="Counts"/> then shows where it was.</remarks>
public sealed record RunResult(IReadOnlyList<EnforcementCommand> Commands, IReadOnlyList<EnforcementCommand> ShadowCommands, IReadOnlyList<Alert> Alerts,
    long EventsProduced, long LifecycleProduced, DetectorMetrics Metrics, PipelineCounts Counts, TimeSpan Elapsed, bool Completed)
{
    /// <summary>One line for a log: what the topology handled and what was read back.</summary>
    public string Describe() =>
        $"{Counts}; read back {Commands.Count:N0} live and {ShadowCommands.Count:N0} shadow commands, {Alerts.Count:N0} alerts; " +
        $"{Metrics.LateRecords:N0} late; {Elapsed.TotalSeconds:F1} s{(Completed ? "" : " (stopped before the topology had finished: outputs incomplete)")}";
}

/// <summary>
/// Plays a scenario through the real detector topology (the one `keyshare run` runs) on an embedded Kafka: registry
/// first, then every record in the scenario's (event-time) order (Avro single-object values, record timestamp = event
/// time), the backend stand-in answering live commands if there is one, until the topology has finished with every
/// record: each input through the per-key stage, each command through the breaker, each fleet observation through
/// the fleet stage, each finding and downgrade back through the per-key stage, and every command and alert read back.
/// Eval, demo and backtest all run through here.
/// </summary>
public static class ScenarioRun
{
    public static async Task<RunResult> RunAsync(Scenario scenario, RunSettings settings, Action<RunProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(settings);
        var clock = Stopwatch.StartNew();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(settings.Deadline);

        using var cluster = new EmbeddedKafkaCluster(settings.Brokers);
        string id = Guid.NewGuid().ToString("N")[..8];
        var options = new DetectorOptions
        {
            ApplicationId = "keyshare-run-" + id,
            BootstrapServers = cluster.BootstrapServers,
            InputPartitions = settings.Partitions,
            ExactlyOnce = settings.ExactlyOnce,
            StateDir = Path.Combine(Path.GetTempPath(), "keyshare-run-" + id),
            WatchPolicyTopic = false,
        };
        await cluster.EnsureAsync(DetectorTopology.RequiredTopics(options), ct);

        var commands = new List<EnforcementCommand>();
        var shadow = new List<EnforcementCommand>();
        var alerts = new List<Alert>();
        long lifecycleProduced = 0, produced = 0;
        int total = scenario.Records.Count;
        bool completed = false;
        var logs = Logging.Shared;
        await using var detector = await DetectorService.StartAsync(options, settings.Policies, WireCodecs.Create(WireFormatKind.Json), TimeSpan.FromSeconds(60), logs, deadline.Token);
        try
        {
            using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
            {
                BootstrapServers = cluster.BootstrapServers,
                EnableIdempotence = true,
                LingerMs = 5,
                BatchNumMessages = 10_000,
                QueueBufferingMaxMessages = 500_000,
                Partitioner = Partitioner.Murmur2Random,
            }).Build();
            using var reader = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
            {
                BootstrapServers = cluster.BootstrapServers,
                GroupId = "keyshare-run-reader-" + id,
                EnableAutoCommit = false,
                IsolationLevel = IsolationLevel.ReadCommitted,
            }).Build();
            // Assigned (not subscribed) from the beginning before anything is produced: nothing written can be missed.
            reader.Assign(Enumerable.Range(0, options.InputPartitions)
                .SelectMany(p => new[] { new TopicPartitionOffset(options.Topics.Enforcement, p, Offset.Beginning), new TopicPartitionOffset(options.Topics.EnforcementShadow, p, Offset.Beginning) })
                .Append(new TopicPartitionOffset(options.Topics.Alerts, 0, Offset.Beginning)));

            var producing = Task.Run(() => Produce(producer, scenario, options.Topics, settings, () => detector.Metrics.Counts().InputsDone, ref produced, deadline.Token), deadline.Token);
            long lastReport = 0;
            PipelineCounts? caughtUpAt = null;
            while (!detector.Failed)
            {
                deadline.Token.ThrowIfCancellationRequested();
                var r = reader.Consume(TimeSpan.FromMilliseconds(50));
                if (r is { IsPartitionEOF: false, Message.Value: not null })
                {
                    if (r.Topic == options.Topics.Alerts)
                    {
                        alerts.Add(ContractCodecs.Alert.Deserialize(r.Message.Value));
                    }
                    else if (r.Topic == options.Topics.EnforcementShadow)
                    {
                        // What the policy would have done: the exchange does not act on it, so the backend does not answer.
                        shadow.Add(ContractCodecs.Command.Deserialize(r.Message.Value));
                    }
                    else
                    {
                        var command = ContractCodecs.Command.Deserialize(r.Message.Value);
                        commands.Add(command);
                        if (settings.Backend?.Invoke(command) is { } answer)
                        {
                            producer.Produce(options.Topics.Lifecycle, new Message<string, byte[]>
                            {
                                Key = answer.ApiKeyId, Value = ContractCodecs.Lifecycle.SerializeAvro(answer), Timestamp = new Timestamp(answer.Ts, TimestampType.CreateTime),
                            });
                            lifecycleProduced++;
                        }
                    }
                }
                if (progress is not null && clock.ElapsedMilliseconds - lastReport >= 250)
                {
                    lastReport = clock.ElapsedMilliseconds;
                    progress(new RunProgress(Interlocked.Read(ref produced), total, detector.Metrics.RecordsIn, detector.Metrics,
                        commands.TakeLast(8).ToList(), alerts.TakeLast(4).ToList(), clock.Elapsed));
                }
                if (!producing.IsCompleted) continue;
                await producing;
                producer.Flush(deadline.Token);
                // Settled when the topology has finished with every record produced (the backend's answers too), nothing
                // waits on an internal topic and every command and alert it wrote has been read back; and the counters
                // stood still from one look to the next, so they describe one moment (see DetectorMetrics.Counts).
                var counts = detector.Metrics.Counts();
                bool caughtUp = counts.InputsDone >= total + lifecycleProduced && counts.InternalHopsIdle &&
                                commands.Count + shadow.Count >= counts.CommandsPassed && alerts.Count >= counts.AlertsRaised;
                if (caughtUp && caughtUpAt == counts)
                {
                    completed = true;
                    break;
                }
                caughtUpAt = caughtUp ? counts : null;
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Deadline reached: report what there is, marked incomplete.
        }
        finally
        {
            TryDelete(options.StateDir);
        }
        progress?.Invoke(new RunProgress(produced, total, detector.Metrics.RecordsIn, detector.Metrics, commands.TakeLast(8).ToList(), alerts.TakeLast(4).ToList(), clock.Elapsed));
        return new RunResult(commands, shadow, alerts, scenario.EventCount, lifecycleProduced, detector.Metrics, detector.Metrics.Counts(), clock.Elapsed, completed);
    }

    private static void Produce(IProducer<string, byte[]> producer, Scenario scenario, TopicNames topics, RunSettings settings, Func<long> consumed,
        ref long produced, CancellationToken ct)
    {
        double rate = settings.Rate;
        var pace = Stopwatch.StartNew();
        bool registryRead = false;
        foreach (var r in scenario.Records)
        {
            ct.ThrowIfCancellationRequested();
            if (!registryRead && r.Topic != SimTopic.Registry)
            {
                // Registrations first, as an exchange's compacted registry is there before the traffic it governs:
                // events read before their key's registration would be judged as unregistered.
                producer.Flush(ct);
                long registrations = Interlocked.Read(ref produced);
                while (consumed() < registrations) ct.WaitHandle.WaitOne(5);
                registryRead = true;
            }
            ProduceRecord(producer, r, topics);
            long n = Interlocked.Increment(ref produced);
            if (n % 1000 == 0 && n - consumed() > settings.MaxAhead)
            {
                producer.Flush(ct);
                while (n - consumed() > settings.MaxAhead / 2) ct.WaitHandle.WaitOne(5);
            }
            if (rate > 0 && n % 100 == 0)
            {
                double ahead = (n / rate) - pace.Elapsed.TotalSeconds;
                if (ahead > 0.005) Thread.Sleep(TimeSpan.FromSeconds(ahead));
            }
        }
        producer.Flush(ct);
    }

    /// <summary>
    /// Sends one scenario record to its input topic (Avro single-object value, key = api key id, record timestamp =
    /// event time), waiting out a full local queue instead of failing.
    /// </summary>
    internal static void ProduceRecord(IProducer<string, byte[]> producer, SimRecord r, TopicNames topics)
    {
        (string topic, byte[] value) = r.Topic switch
        {
            SimTopic.Access => (topics.Access, ContractCodecs.Access.SerializeAvro(r.Access!)),
            SimTopic.Orders => (topics.Orders, ContractCodecs.Order.SerializeAvro(r.Order!)),
            SimTopic.Registry => (topics.Registry, ContractCodecs.Registry.SerializeAvro(r.Registry!)),
            _ => (topics.Lifecycle, ContractCodecs.Lifecycle.SerializeAvro(r.Lifecycle!)),
        };
        while (true)
        {
            try
            {
                producer.Produce(topic, new Message<string, byte[]> { Key = r.Key, Value = value, Timestamp = new Timestamp(r.Ts, TimestampType.CreateTime) });
                return;
            }
            catch (ProduceException<string, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(50));
            }
        }
    }

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }
}
