using System.Diagnostics;
using System.Text;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Simulator;
using KeyShareDetector.Streams;
using KeyShareDetector.Streams.Observability;
using KeyShareDetector.Streams.Policy;
using KeyShareDetector.Streams.Topology;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Mock;
using Streamiz.Kafka.Net.SerDes;

namespace KeyShareDetector.Cli.Running;

/// <summary>
/// Plays a labelled scenario through the real detector topology in one thread, with Streamiz's
/// <see cref="TopologyTestDriver"/> instead of a broker: registrations first, then every record in event-time order
/// (ties in scenario order), the backend stand-in's answers inserted at their own event time. Nothing depends on
/// which topic a consumer happened to fetch first, so the same scenario gives the same commands, byte for byte,
/// every time. The broker run (<see cref="ScenarioRun"/>) is what the live view and the exactly-once path use; on
/// a broker, records of different topics (access and orders, the fleet and backend loops) interleave in arrival
/// order, which is not repeatable.
/// </summary>
/// <remarks>
/// The test driver's in-memory topics copy a topic's whole history on every read, so the cost grows with the square
/// of the records: seconds for the small scenario (about 150,000 records), hours for the default one.
/// </remarks>
public static class OrderedRun
{
    /// <summary>Runs <paramref name="scenario"/>; <paramref name="progress"/> is called about every 50,000 records.</summary>
    public static RunResult Run(Scenario scenario, RunSettings settings, Action<RunProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(settings);
        var clock = Stopwatch.StartNew();
        var options = new DetectorOptions
        {
            ApplicationId = "keyshare-ordered",
            BootstrapServers = "in-process:9092",
            InputPartitions = 1,
            ExactlyOnce = false,
            WatchPolicyTopic = false,
            // The test driver gives every internal-topic record offset 0 and reads nothing twice.
            SkipRedelivered = false,
        };
        var metrics = new DetectorMetrics();
        var topology = DetectorTopology.Build(options, new LivePolicy(settings.Policies), metrics, WireCodecs.Create(WireFormatKind.Json));
        using var driver = new TopologyTestDriver(topology, new StreamConfig<StringSerDes, ByteArraySerDes>
        {
            ApplicationId = options.ApplicationId,
            BootstrapServers = options.BootstrapServers,
            DefaultTimestampExtractor = new RecordTimestampExtractor(),
            Logger = Logging.Shared,
        });
        var topics = options.Topics;
        var inputs = new Dictionary<SimTopic, TestInputTopic<byte[], byte[]>>
        {
            [SimTopic.Access] = driver.CreateInputTopic<byte[], byte[]>(topics.Access, new ByteArraySerDes(), new ByteArraySerDes()),
            [SimTopic.Orders] = driver.CreateInputTopic<byte[], byte[]>(topics.Orders, new ByteArraySerDes(), new ByteArraySerDes()),
            [SimTopic.Registry] = driver.CreateInputTopic<byte[], byte[]>(topics.Registry, new ByteArraySerDes(), new ByteArraySerDes()),
            [SimTopic.Lifecycle] = driver.CreateInputTopic<byte[], byte[]>(topics.Lifecycle, new ByteArraySerDes(), new ByteArraySerDes()),
        };
        var commandTopic = driver.CreateOutputTopic<string, byte[]>(topics.Enforcement, TimeSpan.Zero, new StringSerDes(), new ByteArraySerDes());
        var shadowTopic = driver.CreateOutputTopic<string, byte[]>(topics.EnforcementShadow, TimeSpan.Zero, new StringSerDes(), new ByteArraySerDes());
        var alertTopic = driver.CreateOutputTopic<string, byte[]>(topics.Alerts, TimeSpan.Zero, new StringSerDes(), new ByteArraySerDes());

        var commands = new List<EnforcementCommand>();
        var shadow = new List<EnforcementCommand>();
        var alerts = new List<Alert>();
        // Backend answers wait here until the scenario reaches their event time; ties keep the order they were made in.
        var answers = new PriorityQueue<KeyLifecycleEvent, (long Ts, long Seq)>();
        long answerSeq = 0, lifecycleProduced = 0, piped = 0;
        var ordered = scenario.Records.Where(r => r.Topic == SimTopic.Registry)
            .Concat(scenario.Records.Where(r => r.Topic != SimTopic.Registry).OrderBy(r => r.Ts));
        foreach (var r in ordered)
        {
            ct.ThrowIfCancellationRequested();
            while (answers.TryPeek(out var answer, out var at) && at.Ts <= r.Ts)
            {
                answers.Dequeue();
                Pipe(inputs[SimTopic.Lifecycle], SimRecord.Of(answer));
                lifecycleProduced++;
                Collect();
            }
            Pipe(inputs[r.Topic], r);
            Collect();
            if (++piped % 50_000 == 0) progress?.Invoke(new RunProgress(piped, scenario.Records.Count, metrics.RecordsIn, metrics, commands.TakeLast(8).ToList(), alerts.TakeLast(4).ToList(), clock.Elapsed));
        }
        while (answers.TryDequeue(out var answer, out _))
        {
            Pipe(inputs[SimTopic.Lifecycle], SimRecord.Of(answer));
            lifecycleProduced++;
            Collect();
        }
        progress?.Invoke(new RunProgress(piped, scenario.Records.Count, metrics.RecordsIn, metrics, commands.TakeLast(8).ToList(), alerts.TakeLast(4).ToList(), clock.Elapsed));
        return new RunResult(commands, shadow, alerts, scenario.EventCount, lifecycleProduced, metrics, metrics.Counts(), clock.Elapsed, Completed: true);

        void Collect()
        {
            foreach (var record in commandTopic.ReadKeyValueList())
            {
                var command = ContractCodecs.Command.Deserialize(record.Message.Value);
                commands.Add(command);
                if (settings.Backend?.Invoke(command) is { } answer) answers.Enqueue(answer, (answer.Ts, answerSeq++));
            }
            foreach (var record in shadowTopic.ReadKeyValueList()) shadow.Add(ContractCodecs.Command.Deserialize(record.Message.Value));
            foreach (var record in alertTopic.ReadKeyValueList()) alerts.Add(ContractCodecs.Alert.Deserialize(record.Message.Value));
        }
    }

    private static void Pipe(TestInputTopic<byte[], byte[]> topic, SimRecord r)
    {
        byte[] value = r.Topic switch
        {
            SimTopic.Access => ContractCodecs.Access.SerializeAvro(r.Access!),
            SimTopic.Orders => ContractCodecs.Order.SerializeAvro(r.Order!),
            SimTopic.Registry => ContractCodecs.Registry.SerializeAvro(r.Registry!),
            _ => ContractCodecs.Lifecycle.SerializeAvro(r.Lifecycle!),
        };
        topic.PipeInput(Encoding.UTF8.GetBytes(r.Key), value, DateTime.UnixEpoch.AddMilliseconds(r.Ts));
    }
}
