using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Streams;
using KeyShareDetector.Streams.Embedded;
using KeyShareDetector.Streams.Observability;
using KeyShareDetector.Streams.Topology;

namespace KeyShareDetector.Integration.Tests.Backtest;

/// <summary>
/// `keyshare backtest` of traffic with a mass compromise (the simulator's demo mix: 24 keys swept from one rented
/// network among about 440 keys with access, order, registry and lifecycle records). Fleet findings cross two internal
/// topics and come back to each key, where they cause commands: the run must wait for all of that, and its outputs
/// must not depend on how the stream thread happened to interleave the four input topics or the feedback.
/// </summary>
[Collection(BacktestCollection.Name)]
public sealed partial class BacktestFleetTests(BacktestFixture fixture)
{
    /// <summary>The CLI's demo signer, as in <see cref="BacktestTests"/>.</summary>
    private static readonly CommandSigner DemoSigner = new("demo", Encoding.UTF8.GetBytes("keyshare-demo-secret-not-for-production"));

    /// <summary>How the backtest plays its input (RunSettings' defaults): steps of event time, each once the topology is idle.</summary>
    private const long StepMs = 10_000;
    private const int StepMaxRecords = 2_000;

    [Fact]
    public async Task A_backtest_with_a_mass_compromise_is_complete_the_same_twice_and_what_the_live_topology_emits()
    {
        string input = Path.Combine(fixture.Root, "mass-leak-input");
        var sim = await BacktestFixture.RunCliAsync(["simulate", "--scenario", "demo", "--seed", "1", "--out", input]);
        Assert.True(sim.Exit == 0, "simulate failed: " + sim.Stderr);

        string first = Path.Combine(fixture.Root, "mass-leak-1"), second = Path.Combine(fixture.Root, "mass-leak-2");
        foreach (string output in new[] { first, second })
        {
            var run = await BacktestFixture.RunCliAsync(["backtest", "--input", input, "--out", output]);
            // 0: the topology finished with every record before the deadline (1 would mean incomplete outputs).
            Assert.True(run.Exit == 0, run.Stderr + run.Stdout);
            var m = Handled().Match(run.Stderr);
            Assert.True(m.Success, "no hand-off counts in: " + run.Stderr);
            Assert.True(N(m, "fbsent") > 0, "the input sent no finding back to a key: " + m.Value);
            Assert.Equal(N(m, "fbsent"), N(m, "fbhandled"));
            Assert.Equal(N(m, "obssent"), N(m, "obshandled"));
            Assert.Equal(N(m, "decided"), N(m, "passed"));
            Assert.Equal(N(m, "passed"), N(m, "live") + N(m, "shadow"));
            Assert.Equal(N(m, "raised"), N(m, "alertsread"));
            Assert.Equal(0, N(m, "late"));
        }

        // The outputs hold the mass-compromise alert and the commands its findings caused on the swept keys.
        var massLeak = File.ReadLines(Path.Combine(input, "labels.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("population").GetString() == "mass_leak")
            .Select(e => e.GetProperty("api_key_id").GetString()!)
            .ToHashSet(StringComparer.Ordinal);
        Assert.Equal(24, massLeak.Count);
        var alerts = File.ReadLines(Path.Combine(first, "alerts.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(alerts, a => a.GetProperty("kind").GetString() == "MASS_COMPROMISE");
        var commands = File.ReadLines(Path.Combine(first, "commands.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(commands, c => massLeak.Contains(c.GetProperty("api_key_id").GetString()!) &&
                                       c.GetProperty("reasons").EnumerateArray().Any(r => r.GetProperty("code").GetString() == "MASS_COMPROMISE"));

        // The same backtest twice: the same bytes.
        string commandsJsonl = File.ReadAllText(Path.Combine(first, "commands.jsonl"));
        string alertsJsonl = File.ReadAllText(Path.Combine(first, "alerts.jsonl"));
        Assert.Equal(commandsJsonl, File.ReadAllText(Path.Combine(second, "commands.jsonl")));
        Assert.Equal(alertsJsonl, File.ReadAllText(Path.Combine(second, "alerts.jsonl")));

        // The live topology fed the files' JSON as it stands, in the same order and steps: the same bytes again.
        var (liveCommands, liveAlerts) = await RunLiveAsync(input, fleetPartitions: 0);
        Assert.Equal(commandsJsonl, liveCommands);
        Assert.Equal(alertsJsonl, liveAlerts);

        // The fleet stage on three partitions of its own (Detector:FleetPartitions) while the inputs have one: each
        // fleet key still lives in one partition, so the same bytes once more.
        var (threeCommands, threeAlerts) = await RunLiveAsync(input, fleetPartitions: 3);
        Assert.Equal(commandsJsonl, threeCommands);
        Assert.Equal(alertsJsonl, threeAlerts);
    }

    /// <summary>
    /// The detector service (the `keyshare run` topology) on its own embedded broker, fed the input files' JSON lines
    /// in the backtest's order: registrations existing at the first event first, then by event time, topic (access,
    /// orders, registry, lifecycle) and file order; a step of event time goes out once the topology is idle.
    /// </summary>
    private static async Task<(string Commands, string Alerts)> RunLiveAsync(string input, int fleetPartitions)
    {
        var records = ReadInput(input);
        using var cluster = new EmbeddedKafkaCluster();
        string id = Guid.NewGuid().ToString("N")[..8];
        var options = new DetectorOptions
        {
            ApplicationId = "backtest-fleet-live-" + id,
            BootstrapServers = cluster.BootstrapServers,
            // As the backtest runs it: one partition, so the fleet stage and the breaker see one order (see RunSettings.Partitions).
            InputPartitions = 1,
            FleetPartitions = fleetPartitions,
            StateDir = Path.Combine(Path.GetTempPath(), "keyshare-backtest-fleet-live-" + id),
            WatchPolicyTopic = false,
            // The stream thread settings a stepped replay needs (see ScenarioRun): short polls, and a task gathers a whole step before it merges it by record time.
            PollMs = 10,
            FetchWaitMaxMs = 10,
            MaxPollRecords = 100_000,
            MaxTaskIdleMs = 20,
        };
        await cluster.EnsureAsync(DetectorTopology.RequiredTopics(options), CancellationToken.None);
        var book = PolicyBook.Single(DetectionPolicy.Default, DemoSigner, BuiltInGeoTable.Default);
        var commands = new List<EnforcementCommand>();
        var alerts = new List<Alert>();
        try
        {
            await using var detector = await DetectorService.StartAsync(options, book, WireCodecs.Create(WireFormatKind.Json), TimeSpan.FromSeconds(60));
            using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
            {
                // A step goes out in one piece when it is flushed.
                BootstrapServers = cluster.BootstrapServers, EnableIdempotence = true, LingerMs = 1_000, Partitioner = Partitioner.Murmur2Random,
            }).Build();
            using var reader = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
            {
                BootstrapServers = cluster.BootstrapServers, GroupId = "backtest-fleet-live-reader-" + id, EnableAutoCommit = false,
                IsolationLevel = IsolationLevel.ReadCommitted, FetchWaitMaxMs = 10,
            }).Build();
            reader.Assign(Enumerable.Range(0, options.InputPartitions)
                .SelectMany(p => new[] { new TopicPartitionOffset(options.Topics.Enforcement, p, Offset.Beginning), new TopicPartitionOffset(options.Topics.EnforcementShadow, p, Offset.Beginning) })
                .Append(new TopicPartitionOffset(options.Topics.Alerts, 0, Offset.Beginning)));
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            long sent = 0;

            // Reads outputs until the topology has finished with everything sent and every output is read back, in two looks in a row.
            void WaitUntilIdle()
            {
                producer.Flush(TimeSpan.FromSeconds(30));
                (PipelineCounts, int, int)? seen = null;
                while (true)
                {
                    Assert.False(deadline.IsCancellationRequested, $"live run did not settle: {detector.Metrics.Counts()}; read back {commands.Count} commands, {alerts.Count} alerts");
                    var counts = detector.Metrics.Counts();
                    var look = (counts, commands.Count, alerts.Count);
                    bool idle = counts.InputsDone >= sent && counts.InternalHopsIdle && commands.Count >= counts.CommandsPublished && alerts.Count >= counts.AlertsRaised;
                    if (idle && seen == look) return;
                    seen = idle ? look : null;
                    var r = reader.Consume(TimeSpan.FromMilliseconds(idle ? 0 : 5));
                    if (r is not { IsPartitionEOF: false, Message.Value: not null }) continue;
                    if (r.Topic == options.Topics.Alerts) alerts.Add(ContractCodecs.Alert.Deserialize(r.Message.Value));
                    else commands.Add(ContractCodecs.Command.Deserialize(r.Message.Value));
                }
            }

            bool registryRead = false;
            long stepEnd = long.MinValue;
            int inStep = 0;
            foreach (var (topic, key, ts, value) in records)
            {
                if (!registryRead && topic != "registry")
                {
                    WaitUntilIdle();
                    registryRead = true;
                }
                if (registryRead && (ts >= stepEnd || inStep >= StepMaxRecords))
                {
                    WaitUntilIdle();
                    stepEnd = ts + StepMs;
                    inStep = 0;
                }
                string name = topic switch
                {
                    "access" => options.Topics.Access,
                    "orders" => options.Topics.Orders,
                    "registry" => options.Topics.Registry,
                    _ => options.Topics.Lifecycle,
                };
                producer.Produce(name, new Message<string, byte[]> { Key = key, Value = value, Timestamp = new Timestamp(ts, TimestampType.CreateTime) });
                sent++;
                inStep++;
            }
            WaitUntilIdle();

            // The fleet stage really ran on its partitions: observations reached more than one of them.
            string fleetTopic = DetectorTopology.RequiredTopics(options).Single(t => t.Name.EndsWith("-fleet-repartition", StringComparison.Ordinal)).Name;
            var filled = Enumerable.Range(0, options.FleetPartitionCount)
                .Count(p => reader.QueryWatermarkOffsets(new TopicPartition(fleetTopic, p), TimeSpan.FromSeconds(10)).High.Value > 0);
            Assert.Equal(Math.Min(options.FleetPartitionCount, 2), Math.Min(filled, 2));
        }
        finally
        {
            try
            {
                if (Directory.Exists(options.StateDir)) Directory.Delete(options.StateDir, recursive: true);
            }
            catch (IOException)
            {
                // Temp state left behind is harmless.
            }
        }
        return (Jsonl(commands.OrderBy(c => c.IssuedAt).ThenBy(c => c.CommandId, StringComparer.Ordinal), c => ContractCodecs.Command.SerializeJson(c)),
            Jsonl(alerts.OrderBy(a => a.Ts).ThenBy(a => a.AlertId, StringComparer.Ordinal), a => ContractCodecs.Alert.SerializeJson(a)));
    }

    /// <summary>Records of the input files (topic, key, record time, JSON line) in the order the backtest plays them.</summary>
    private static List<(string Topic, string Key, long Ts, byte[] Value)> ReadInput(string dir)
    {
        var all = new List<(string Topic, int Rank, int Order, string Key, long Ts, byte[] Value)>();
        int order = 0;
        foreach (var (file, topic, rank) in new[] { ("access.jsonl", "access", 0), ("orders.jsonl", "orders", 1), ("registry.jsonl", "registry", 2), ("lifecycle.jsonl", "lifecycle", 3) })
        {
            foreach (string line in File.ReadLines(Path.Combine(dir, file)))
            {
                var e = JsonDocument.Parse(line).RootElement;
                // A registration's record time is when the key was created.
                long ts = e.GetProperty(topic == "registry" ? "created_at" : "ts").GetInt64();
                all.Add((topic, rank, order++, e.GetProperty("api_key_id").GetString()!, ts, Encoding.UTF8.GetBytes(line)));
            }
        }
        long firstEvent = all.Where(r => r.Topic != "registry").Min(r => r.Ts);
        var head = all.Where(r => r.Topic == "registry" && r.Ts <= firstEvent).OrderBy(r => r.Order);
        var rest = all.Where(r => r.Topic != "registry" || r.Ts > firstEvent).OrderBy(r => r.Ts).ThenBy(r => r.Rank).ThenBy(r => r.Order);
        return head.Concat(rest).Select(r => (r.Topic, r.Key, r.Ts, r.Value)).ToList();
    }

    /// <summary>One JSON wire form a line, exact duplicates once: the backtest's JSONL.</summary>
    private static string Jsonl<T>(IEnumerable<T> sorted, Func<T, byte[]> json)
    {
        var sb = new StringBuilder();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in sorted)
        {
            string line = Encoding.UTF8.GetString(json(item));
            if (seen.Add(line)) sb.Append(line).Append('\n');
        }
        return sb.ToString();
    }

    private static long N(Match m, string group) =>
        long.Parse(new string(m.Groups[group].Value.Where(char.IsAsciiDigit).ToArray()), CultureInfo.InvariantCulture);

    /// <summary>The runner's line: "… commands decided D, passed the breaker P; fleet observations H/S; feedback H/S; alerts A; read back L live and S shadow commands, R alerts; N late; …".</summary>
    [GeneratedRegex(@"commands decided (?<decided>[\d,.]+), passed the breaker (?<passed>[\d,.]+); fleet observations (?<obshandled>[\d,.]+)/(?<obssent>[\d,.]+); feedback (?<fbhandled>[\d,.]+)/(?<fbsent>[\d,.]+); alerts (?<raised>[\d,.]+); read back (?<live>[\d,.]+) live and (?<shadow>[\d,.]+) shadow commands, (?<alertsread>[\d,.]+) alerts; (?<late>[\d,.]+) late", RegexOptions.CultureInvariant)]
    private static partial Regex Handled();
}
