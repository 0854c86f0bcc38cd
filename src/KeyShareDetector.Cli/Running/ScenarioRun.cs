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
    /// <summary>
    /// Partitions of every input topic. One by default: the detector runs one stream thread either way, and with one
    /// partition the per-key stage is one task, so its observations reach the fleet stage and its commands the breaker
    /// in one order every run (from several tasks they arrive in whatever order the thread served the tasks).
    /// </summary>
    public int Partitions { get; init; } = 1;
    /// <summary>Events per second of wall time to produce at; 0 = as fast as possible.</summary>
    public double Rate { get; init; }
    /// <summary>Answers commands with lifecycle events (the exchange backend stand-in), or null for none.</summary>
    public Func<EnforcementCommand, KeyLifecycleEvent?>? Backend { get; init; }
    /// <summary>Longest the run may take (wall time) before it stops with what it has.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromMinutes(10);
    public bool ExactlyOnce { get; init; } = true;
    /// <summary>Event time played per step: a step goes out once the topology has finished with everything before it.</summary>
    public long StepMs { get; init; } = 10_000;
    /// <summary>
    /// Most records in one step: a step goes out as one produce request, with at most one batch (1 MB) per partition,
    /// so the detector fetches it in one piece; and the embedded broker keeps only the newest 5 MB of each partition.
    /// </summary>
    public int StepMaxRecords { get; init; } = 2_000;
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
/// Plays a scenario through the real detector topology (the one `keyshare run` runs) on an embedded Kafka, for eval,
/// demo and backtest alike: registry records first, then the records in the scenario's (event-time) order (Avro
/// single-object values, record timestamp = event time) in steps of event time, the backend stand-in answering live
/// commands if there is one, until the topology has finished with every record and every output has been read back.
/// </summary>
/// <remarks>
/// Why steps: the per-key stage reads four topics and merges them by record time only over what it has fetched, so a
/// producer far ahead lets one topic or partition run minutes of event time ahead of another. Records then meet their
/// key's state out of order, fall behind their windows' grace and are dropped as late, and fleet observations miss
/// their windows: the outputs changed from run to run and detections were lost. A step goes out only when the
/// topology is idle (every record handled, nothing on an internal topic, every command read back and answered), and
/// each task waits briefly before processing a new step so that it merges the whole step by record time. Fleet
/// findings and breaker downgrades thus come back to their keys before the next step, as they would at live pace.
/// </remarks>
public static class ScenarioRun
{
    /// <summary>
    /// Stream thread settings for stepping: a poll returns early only with a full batch and the embedded broker holds
    /// an empty fetch for its whole wait, so with the defaults every hop of every step would idle for 100-500 ms.
    /// </summary>
    private const int PollMs = 10;
    private const int FetchWaitMaxMs = 10;
    private const long MaxPollRecords = 100_000;

    /// <summary>How long a task that has part of a step waits for the rest before it merges what it has by record time.</summary>
    private const long StepGatherMs = 20;

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
            PollMs = PollMs,
            FetchWaitMaxMs = FetchWaitMaxMs,
            MaxPollRecords = MaxPollRecords,
            MaxTaskIdleMs = StepGatherMs,
        };
        await cluster.EnsureAsync(DetectorTopology.RequiredTopics(options), ct);

        var commands = new List<EnforcementCommand>();
        var shadow = new List<EnforcementCommand>();
        var alerts = new List<Alert>();
        var tally = new Tally();
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
                // Batches go out when a step is flushed, all at once, not as each partition's linger ends.
                LingerMs = 1_000,
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
                // A step waits until its commands are read back: the broker must not hold the reader's fetches.
                FetchWaitMaxMs = FetchWaitMaxMs,
            }).Build();
            // Assigned (not subscribed) from the beginning before anything is produced: nothing written can be missed.
            reader.Assign(Enumerable.Range(0, options.InputPartitions)
                .SelectMany(p => new[] { new TopicPartitionOffset(options.Topics.Enforcement, p, Offset.Beginning), new TopicPartitionOffset(options.Topics.EnforcementShadow, p, Offset.Beginning) })
                .Append(new TopicPartitionOffset(options.Topics.Alerts, 0, Offset.Beginning)));

            using var stopProducing = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
            var answers = new PendingAnswers();
            var producing = Task.Run(() => Produce(producer, scenario, options.Topics, settings, tally, answers, detector.Metrics, stopProducing.Token), stopProducing.Token);
            long lastReport = 0;
            Look? caughtUpAt = null;
            try
            {
                while (!detector.Failed)
                {
                    deadline.Token.ThrowIfCancellationRequested();
                    var r = reader.Consume(TimeSpan.FromMilliseconds(50));
                    if (r is { IsPartitionEOF: false, Message.Value: not null })
                    {
                        if (r.Topic == options.Topics.Alerts)
                        {
                            alerts.Add(ContractCodecs.Alert.Deserialize(r.Message.Value));
                            tally.AlertRead();
                        }
                        else if (r.Topic == options.Topics.EnforcementShadow)
                        {
                            // What the policy would have done: the exchange does not act on it, so the backend does not answer.
                            shadow.Add(ContractCodecs.Command.Deserialize(r.Message.Value));
                            tally.CommandRead();
                        }
                        else
                        {
                            var command = ContractCodecs.Command.Deserialize(r.Message.Value);
                            commands.Add(command);
                            // The exchange answers at the answer's own event time: it goes out when the input reaches that time.
                            if (settings.Backend?.Invoke(command) is { } answer) answers.Add(answer);
                            // Counted once its answer is queued, so a look that sees it read sees the answer too.
                            tally.CommandRead();
                        }
                    }
                    if (progress is not null && clock.ElapsedMilliseconds - lastReport >= 250)
                    {
                        lastReport = clock.ElapsedMilliseconds;
                        progress(new RunProgress(tally.Produced, total, detector.Metrics.RecordsIn, detector.Metrics,
                            commands.TakeLast(8).ToList(), alerts.TakeLast(4).ToList(), clock.Elapsed));
                    }
                    if (!producing.IsCompleted) continue;
                    await producing;
                    producer.Flush(deadline.Token);
                    // Settled when the topology is idle and every alert it raised has been read back too, in two looks in a row.
                    var look = tally.Look(detector.Metrics);
                    bool caughtUp = look.Idle && look.AlertsRead >= look.Counts.AlertsRaised;
                    if (caughtUp && caughtUpAt == look)
                    {
                        completed = true;
                        break;
                    }
                    caughtUpAt = caughtUp ? look : null;
                }
            }
            finally
            {
                // A failed stream or the deadline ends the run while records are still going out: stop them before the producer goes.
                await stopProducing.CancelAsync();
                try
                {
                    await producing;
                }
                catch (OperationCanceledException)
                {
                    // Stopped as asked.
                }
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
        progress?.Invoke(new RunProgress(tally.Produced, total, detector.Metrics.RecordsIn, detector.Metrics, commands.TakeLast(8).ToList(), alerts.TakeLast(4).ToList(), clock.Elapsed));
        return new RunResult(commands, shadow, alerts, scenario.EventCount, tally.Lifecycle, detector.Metrics, detector.Metrics.Counts(), clock.Elapsed, completed);
    }

    /// <summary>What the runner has sent and read back, shared by the producing and the reading side.</summary>
    private sealed class Tally
    {
        private long _produced;
        private long _answered;
        private long _commandsRead;
        private long _alertsRead;

        public long Produced => Interlocked.Read(ref _produced);
        public long Lifecycle => Interlocked.Read(ref _answered);

        public long Sent() => Interlocked.Increment(ref _produced);
        public void Answered() => Interlocked.Increment(ref _answered);
        public void CommandRead() => Interlocked.Increment(ref _commandsRead);
        public void AlertRead() => Interlocked.Increment(ref _alertsRead);

        /// <summary>
        /// One look at the topology and the runner. Everything in it only grows, so two equal looks in a row saw every
        /// value unchanged over a common moment: they describe that moment.
        /// </summary>
        public Look Look(DetectorMetrics metrics) =>
            new(metrics.Counts(), Interlocked.Read(ref _produced) + Interlocked.Read(ref _answered), Interlocked.Read(ref _commandsRead), Interlocked.Read(ref _alertsRead));
    }

    /// <param name="Sent">Records produced, the backend's answers included.</param>
    private readonly record struct Look(PipelineCounts Counts, long Sent, long CommandsRead, long AlertsRead)
    {
        /// <summary>
        /// The topology has finished with every record sent (each input through the per-key stage, each command through
        /// the breaker, each fleet observation through the fleet stage, each finding and downgrade back through the
        /// per-key stage) and every command it wrote has been read back and answered.
        /// </summary>
        public bool Idle => Counts.InputsDone >= Sent && Counts.InternalHopsIdle && CommandsRead >= Counts.CommandsPublished;
    }

    /// <summary>The backend's answers waiting for the input to reach their event time, earliest first (ties by event id).</summary>
    private sealed class PendingAnswers
    {
        private readonly Lock _lock = new();
        private readonly PriorityQueue<KeyLifecycleEvent, (long Ts, string Id)> _queue = new(Comparer<(long Ts, string Id)>.Create(
            static (a, b) => a.Ts != b.Ts ? a.Ts.CompareTo(b.Ts) : string.CompareOrdinal(a.Id, b.Id)));

        public void Add(KeyLifecycleEvent answer)
        {
            lock (_lock) _queue.Enqueue(answer, (answer.Ts, answer.EventId));
        }

        public bool TryTakeDue(long upTo, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out KeyLifecycleEvent? answer)
        {
            lock (_lock)
            {
                if (_queue.TryPeek(out answer, out var at) && at.Ts <= upTo) return _queue.TryDequeue(out answer, out _);
                answer = null;
                return false;
            }
        }
    }

    private static void Produce(IProducer<string, byte[]> producer, Scenario scenario, TopicNames topics, RunSettings settings, Tally tally, PendingAnswers answers,
        DetectorMetrics metrics, CancellationToken ct)
    {
        double rate = settings.Rate;
        var pace = Stopwatch.StartNew();
        bool registryRead = false;
        long stepEnd = long.MinValue;
        int inStep = 0;
        void WaitUntilIdle()
        {
            producer.Flush(ct);
            Look? seen = null;
            while (true)
            {
                var look = tally.Look(metrics);
                if (look.Idle && seen == look) return;
                seen = look.Idle ? look : null;
                if (!look.Idle) ct.WaitHandle.WaitOne(1);
            }
        }
        void Answer(long upTo)
        {
            while (answers.TryTakeDue(upTo, out var answer))
            {
                ProduceRecord(producer, SimRecord.Of(answer), topics);
                tally.Answered();
            }
        }
        foreach (var r in scenario.Records)
        {
            ct.ThrowIfCancellationRequested();
            if (!registryRead && r.Topic != SimTopic.Registry)
            {
                // Registrations first, as an exchange's compacted registry is there before the traffic it governs:
                // events read before their key's registration would be judged as unregistered.
                WaitUntilIdle();
                registryRead = true;
            }
            if (registryRead && (r.Ts >= stepEnd || inStep >= settings.StepMaxRecords))
            {
                WaitUntilIdle();
                stepEnd = r.Ts + settings.StepMs;
                inStep = 0;
            }
            Answer(r.Ts);
            ProduceRecord(producer, r, topics);
            inStep++;
            long n = tally.Sent();
            if (rate > 0 && n % 100 == 0)
            {
                double ahead = (n / rate) - pace.Elapsed.TotalSeconds;
                if (ahead > 0.005) Thread.Sleep(TimeSpan.FromSeconds(ahead));
            }
        }
        // Answers due after the input ends, and answers to the commands they lead to, until none is left.
        while (true)
        {
            WaitUntilIdle();
            if (!answers.TryTakeDue(long.MaxValue, out var answer)) break;
            ProduceRecord(producer, SimRecord.Of(answer), topics);
            tally.Answered();
            Answer(long.MaxValue);
        }
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
