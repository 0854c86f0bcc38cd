using System.Diagnostics;
using Confluent.Kafka;
using KeyShareDetector.Cli.Running;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Simulator;
using KeyShareDetector.Streams;
using KeyShareDetector.Streams.Embedded;
using KeyShareDetector.Streams.Topology;
using Microsoft.Extensions.Logging;

namespace KeyShareDetector.Cli.Backtest;

/// <summary>What one replay through the topology produced (live and shadow commands, alerts).</summary>
public sealed record ReplayResult(IReadOnlyList<EnforcementCommand> Commands, IReadOnlyList<Alert> Alerts, long RecordsIn, long CommandsCounted,
    long CommandsDecided, long LateRecords, long DeadLetters, long Snapshots, TimeSpan Elapsed, bool Completed, IReadOnlyList<string> KeysWithoutCommands)
{
    /// <summary>
    /// Every key whose feature snapshots show it on a commanded rung (WARNED or above) has a command. Seen to fail
    /// now and then on the embedded broker: the per-key stage decides (its snapshots say so) but the commands never
    /// reach the internal breaker topic. A run that is not consistent is repeated.
    /// </summary>
    public bool Consistent => KeysWithoutCommands.Count == 0;
}

/// <summary>
/// Plays a scenario through the real detector topology on an embedded Kafka, in the scenario's (event-time) order, and
/// reads back every command (live and shadow) and alert. Like <see cref="ScenarioRun"/> but without a backend stand-in,
/// and it waits until the breaker stage has passed on every command the per-key stage decided: commands cross the
/// internal breaker topic, so "every input read and quiet for a moment" alone can stop before any command comes out.
/// </summary>
public static class TopologyReplay
{
    private static ILoggerFactory Logs => Logging.Shared;

    public static async Task<ReplayResult> RunAsync(Scenario scenario, PolicyBook policies, TimeSpan deadlineAfter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(policies);
        var clock = Stopwatch.StartNew();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(deadlineAfter);
        using var cluster = new EmbeddedKafkaCluster();
        string id = Guid.NewGuid().ToString("N")[..8];
        var options = new DetectorOptions
        {
            ApplicationId = "keyshare-backtest-" + id,
            BootstrapServers = cluster.BootstrapServers,
            InputPartitions = 4,
            ExactlyOnce = true,
            StateDir = Path.Combine(Path.GetTempPath(), "keyshare-backtest-" + id),
            WatchPolicyTopic = false,
        };
        await cluster.EnsureAsync(DetectorTopology.RequiredTopics(options), ct);
        string breakerTopic = $"{options.ApplicationId}-{DetectorTopology.BreakerTopicName}-repartition";

        var commands = new List<EnforcementCommand>();
        var alerts = new List<Alert>();
        long decided = 0, snapshotsRead = 0;
        var escalated = new HashSet<string>(StringComparer.Ordinal);
        bool completed = false;
        await using var detector = await DetectorService.StartAsync(options, policies, WireCodecs.Create(WireFormatKind.Json), TimeSpan.FromSeconds(60), Logs, deadline.Token);
        try
        {
            using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
            {
                BootstrapServers = cluster.BootstrapServers, EnableIdempotence = true, LingerMs = 5, BatchNumMessages = 10_000,
                QueueBufferingMaxMessages = 500_000, Partitioner = Partitioner.Murmur2Random,
            }).Build())
            {
                long n = 0;
                foreach (var r in scenario.Records)
                {
                    deadline.Token.ThrowIfCancellationRequested();
                    ScenarioRun.ProduceRecord(producer, r, options.Topics);
                    // The embedded broker keeps only the newest 5 MB of a partition: stay at most 40,000 records ahead of the detector.
                    if (++n % 1000 == 0 && n - detector.Metrics.RecordsIn > 40_000)
                    {
                        producer.Flush(deadline.Token);
                        while (n - detector.Metrics.RecordsIn > 20_000) deadline.Token.WaitHandle.WaitOne(5);
                    }
                }
                producer.Flush(deadline.Token);
            }

            using var reader = Consumer(cluster.BootstrapServers, "keyshare-backtest-reader-" + id);
            reader.Assign(Enumerable.Range(0, options.InputPartitions)
                .SelectMany(p => new[] { new TopicPartitionOffset(options.Topics.Enforcement, p, Offset.Beginning), new TopicPartitionOffset(options.Topics.EnforcementShadow, p, Offset.Beginning) })
                .Append(new TopicPartitionOffset(options.Topics.Alerts, 0, Offset.Beginning)));
            using var features = Consumer(cluster.BootstrapServers, "keyshare-backtest-features-" + id);
            features.Assign(Enumerable.Range(0, options.InputPartitions).Select(p => new TopicPartitionOffset(options.Topics.Features, p, Offset.Beginning)));
            using var breaker = Consumer(cluster.BootstrapServers, "keyshare-backtest-breaker-" + id);
            breaker.Assign(new TopicPartitionOffset(breakerTopic, 0, Offset.Beginning));
            long total = scenario.Records.Count;
            long lastChange = clock.ElapsedMilliseconds;
            while (!deadline.IsCancellationRequested)
            {
                if (breaker.Consume(TimeSpan.Zero) is { IsPartitionEOF: false, Message.Value: not null })
                {
                    decided++;
                    lastChange = clock.ElapsedMilliseconds;
                }
                if (features.Consume(TimeSpan.Zero) is { IsPartitionEOF: false, Message.Value: not null } f)
                {
                    snapshotsRead++;
                    var snapshot = ContractCodecs.Features.Deserialize(f.Message.Value);
                    if (snapshot.State >= KeyState.WARNED) escalated.Add(snapshot.ApiKeyId);
                    continue;
                }
                var r = reader.Consume(TimeSpan.FromMilliseconds(20));
                if (r is { IsPartitionEOF: false, Message.Value: not null })
                {
                    lastChange = clock.ElapsedMilliseconds;
                    if (r.Topic == options.Topics.Alerts) alerts.Add(ContractCodecs.Alert.Deserialize(r.Message.Value));
                    else commands.Add(ContractCodecs.Command.Deserialize(r.Message.Value));
                    continue;
                }
                long counted = detector.Metrics.CommandsByAction.Values.Sum();
                // Settled: every input read (the per-key stage runs in the same task as the parser), every command the
                // per-key stage decided has passed the breaker and been read back, and nothing new for a moment.
                if (detector.Metrics.RecordsIn >= total && snapshotsRead >= detector.Metrics.Snapshots && counted >= decided && commands.Count >= counted && clock.ElapsedMilliseconds - lastChange > 1_000)
                {
                    completed = true;
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Deadline reached: report what there is, marked incomplete.
        }
        finally
        {
            try
            {
                if (Directory.Exists(options.StateDir)) Directory.Delete(options.StateDir, recursive: true);
            }
            catch (IOException)
            {
                // A temp directory left behind is harmless.
            }
        }
        return new ReplayResult(commands, alerts, detector.Metrics.RecordsIn, detector.Metrics.CommandsByAction.Values.Sum(), decided, detector.Metrics.LateRecords, detector.Metrics.DeadLetters, detector.Metrics.Snapshots, clock.Elapsed, completed,
            escalated.Except(commands.Select(c => c.ApiKeyId), StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList());
    }

    private static IConsumer<string, byte[]> Consumer(string bootstrap, string group) => new ConsumerBuilder<string, byte[]>(new ConsumerConfig
    {
        BootstrapServers = bootstrap, GroupId = group, EnableAutoCommit = false, IsolationLevel = IsolationLevel.ReadCommitted,
    }).Build();
}
