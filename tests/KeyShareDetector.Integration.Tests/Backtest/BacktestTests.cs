using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Simulator;
using KeyShareDetector.Streams;
using KeyShareDetector.Streams.Embedded;
using KeyShareDetector.Streams.Observability;
using KeyShareDetector.Streams.Topology;

namespace KeyShareDetector.Integration.Tests.Backtest;

/// <summary>`keyshare backtest` run as a child process (issue 6 item 1 acceptance).</summary>
[Collection(BacktestCollection.Name)]
public sealed partial class BacktestTests(BacktestFixture fixture)
{
    /// <summary>The CLI's demo signer (public on purpose): the live run must sign exactly as the backtest does.</summary>
    private static readonly CommandSigner DemoSigner = new("demo", Encoding.UTF8.GetBytes("keyshare-demo-secret-not-for-production"));

    [Fact]
    public async Task The_same_backtest_twice_gives_byte_identical_jsonl()
    {
        string second = Path.Combine(fixture.Root, "run-2");
        var run = await BacktestFixture.RunCliAsync(["backtest", "--input", fixture.InputDir, "--out", second]);
        Assert.True(run.Exit == 0, run.Stderr);

        byte[] commands = File.ReadAllBytes(Path.Combine(fixture.FirstRunDir, "commands.jsonl"));
        Assert.NotEmpty(commands);
        Assert.Equal(commands, File.ReadAllBytes(Path.Combine(second, "commands.jsonl")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(fixture.FirstRunDir, "alerts.jsonl")), File.ReadAllBytes(Path.Combine(second, "alerts.jsonl")));
        Assert.True(File.Exists(Path.Combine(second, "quality.json")));
    }

    [Fact]
    public async Task The_backtest_equals_what_the_live_topology_emitted_for_the_same_input_on_the_embedded_broker()
    {
        byte[] fromFiles = File.ReadAllBytes(Path.Combine(fixture.FirstRunDir, "commands.jsonl"));
        int expected = fromFiles.Count(b => b == (byte)'\n');
        Assert.True(expected > 0);

        // The live topology on an embedded broker, fed the same traffic as `simulate` wrote (JSON values, record time = event time).
        using var cluster = new EmbeddedKafkaCluster();
        string id = Guid.NewGuid().ToString("N")[..8];
        var options = new DetectorOptions
        {
            ApplicationId = "backtest-live-" + id,
            BootstrapServers = cluster.BootstrapServers,
            InputPartitions = 4,
            StateDir = Path.Combine(Path.GetTempPath(), "keyshare-backtest-live-" + id),
            WatchPolicyTopic = false,
        };
        await cluster.EnsureAsync(DetectorTopology.RequiredTopics(options), CancellationToken.None);
        var traffic = new DemoTraffic(BacktestFixture.Seed, 200, 3, DemoTraffic.DefaultStart, 10 * 60_000);
        long outside = DemoTraffic.DefaultStart + 86_400_000;
        var book = PolicyBook.Single(DetectionPolicy.Default, DemoSigner, BuiltInGeoTable.Default);
        var live = new List<EnforcementCommand>();
        await using (var detector = await DetectorService.StartAsync(options, book, WireCodecs.Create(WireFormatKind.Json), TimeSpan.FromSeconds(60)))
        {
            using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
            {
                BootstrapServers = cluster.BootstrapServers, EnableIdempotence = true, LingerMs = 5, Partitioner = Partitioner.Murmur2Random,
            }).Build())
            {
                foreach (var e in traffic.Events)
                {
                    producer.Produce(options.Topics.Access, new Message<string, byte[]>
                    {
                        Key = e.ApiKeyId, Value = ContractCodecs.Access.SerializeJson(e), Timestamp = new Timestamp(e.Ts, TimestampType.CreateTime),
                    });
                }
                // A record after the backtest's --to: the live detector sees it, the backtest must leave it out.
                var late = traffic.Events[0] with { EventId = "outside-range", ApiKeyId = "k-outside-range", Ts = outside };
                producer.Produce(options.Topics.Access, new Message<string, byte[]>
                {
                    Key = late.ApiKeyId, Value = ContractCodecs.Access.SerializeJson(late), Timestamp = new Timestamp(outside, TimestampType.CreateTime),
                });
                producer.Flush(TimeSpan.FromSeconds(30));
            }
            int total = traffic.Events.Count + 1;
            using var reader = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
            {
                BootstrapServers = cluster.BootstrapServers, GroupId = "backtest-live-reader-" + id, EnableAutoCommit = false, IsolationLevel = IsolationLevel.ReadCommitted,
            }).Build();
            reader.Assign(Enumerable.Range(0, options.InputPartitions).Select(p => new TopicPartitionOffset(options.Topics.Enforcement, p, Offset.Beginning)));
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            // Done when the topology has finished with every input, nothing waits on an internal topic and every command
            // that passed the breaker was read back, in two looks in a row (the settle condition of the CLI's runner).
            PipelineCounts? caughtUpAt = null;
            while (true)
            {
                var counts = detector.Metrics.Counts();
                bool caughtUp = counts.InputsDone >= total && counts.InternalHopsIdle && live.Count >= counts.CommandsPublished;
                if (caughtUp && caughtUpAt == counts) break;
                caughtUpAt = caughtUp ? counts : null;
                Assert.False(deadline.IsCancellationRequested, $"live run did not settle: {counts}; read back {live.Count} commands");
                var r = reader.Consume(TimeSpan.FromMilliseconds(100));
                if (r is { IsPartitionEOF: false, Message.Value: not null }) live.Add(ContractCodecs.Command.Deserialize(r.Message.Value));
            }
        }
        TryDelete(options.StateDir);

        string liveJsonl = Jsonl(live);
        Assert.Equal(Encoding.UTF8.GetString(fromFiles), liveJsonl);

        // The same input read back from the broker's topics over a time range.
        string fromKafka = Path.Combine(fixture.Root, "from-kafka");
        var run = await BacktestFixture.RunCliAsync(["backtest", "--bootstrap-servers", cluster.BootstrapServers,
            "--from", "2026-01-01T00:00:00Z", "--to", outside.ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", fromKafka]);
        Assert.True(run.Exit == 0, run.Stderr + run.Stdout);
        Assert.Equal(liveJsonl, File.ReadAllText(Path.Combine(fromKafka, "commands.jsonl")));
        Assert.Contains($"{traffic.Events.Count:N0} events", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void The_report_embeds_every_chart_as_a_decodable_png_and_fetches_nothing()
    {
        string html = File.ReadAllText(Path.Combine(fixture.FirstRunDir, "report.html"));
        var images = EmbeddedPng().Matches(html);
        // Commands over time, risk-score distribution, top reasons, per-population outcomes (labels.jsonl is present).
        Assert.Equal(4, images.Count);
        Assert.Equal(4, Regex.Count(html, "<img ", RegexOptions.CultureInvariant));
        foreach (Match m in images)
        {
            byte[] png = Convert.FromBase64String(m.Groups[1].Value);
            Assert.True(png.Length > 1000, $"chart of {png.Length} bytes");
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
            Assert.Equal("IHDR", Encoding.ASCII.GetString(png, 12, 4));
            Assert.True(BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)) > 0);
            Assert.True(BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)) > 0);
            Assert.Contains("IEND", Encoding.ASCII.GetString(png, png.Length - 8, 4), StringComparison.Ordinal);
        }
        Assert.DoesNotContain("http://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Commands by issued_at then command_id, exact duplicates once, one JSON wire form a line: the backtest's sort.</summary>
    private static string Jsonl(IEnumerable<EnforcementCommand> commands)
    {
        var sb = new StringBuilder();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in commands.OrderBy(c => c.IssuedAt).ThenBy(c => c.CommandId, StringComparer.Ordinal))
        {
            string json = Encoding.UTF8.GetString(ContractCodecs.Command.SerializeJson(c));
            if (seen.Add(json)) sb.Append(json).Append('\n');
        }
        return sb.ToString();
    }

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // Temp state left behind is harmless.
        }
    }

    [GeneratedRegex("<img [^>]*src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"", RegexOptions.CultureInvariant)]
    private static partial Regex EmbeddedPng();
}
