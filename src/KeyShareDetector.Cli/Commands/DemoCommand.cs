using System.CommandLine;
using System.Diagnostics;
using Confluent.Kafka;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Simulator;
using KeyShareDetector.Streams;
using KeyShareDetector.Streams.Embedded;
using KeyShareDetector.Streams.Topology;
using Spectre.Console;

namespace KeyShareDetector.Cli.Commands;

/// <summary>
/// `keyshare demo`: embedded Kafka + the detector + a small labelled traffic mix. Prints commands as they
/// arrive and a summary, then exits by itself within --duration seconds.
/// </summary>
internal static class DemoCommand
{
    /// <summary>Exit code when the run finished but the detector did not catch exactly the lent keys.</summary>
    public const int VerdictFailed = 3;

    public static Command Create()
    {
        var duration = new Option<int>("--duration") { Description = "seconds to run at most (1-600)", DefaultValueFactory = _ => 45 };
        var seed = new Option<int>("--seed") { Description = "traffic seed: the same seed gives the same traffic", DefaultValueFactory = _ => 1 };
        var normal = new Option<int>("--normal-keys") { Description = "legitimate retail keys", DefaultValueFactory = _ => 200 };
        var shared = new Option<int>("--shared-keys") { Description = "keys lent to people on other networks", DefaultValueFactory = _ => 3 };
        var brokers = new Option<int>("--brokers") { Description = "embedded brokers", DefaultValueFactory = _ => 1 };
        var command = new Command("demo", "run the detector on an embedded Kafka against simulated traffic and show what it catches")
        {
            duration, seed, normal, shared, brokers,
        };
        command.SetAction(async (parse, ct) =>
        {
            int seconds = parse.GetValue(duration);
            if (seconds is < 1 or > 600)
            {
                Console.Error.WriteLine("--duration must be between 1 and 600 seconds");
                return 2;
            }
            return await RunAsync(TimeSpan.FromSeconds(seconds), parse.GetValue(seed), parse.GetValue(normal), parse.GetValue(shared), parse.GetValue(brokers), ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(TimeSpan duration, int seed, int normalKeys, int sharedKeys, int brokerCount, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(duration);

        var traffic = new DemoTraffic(seed, normalKeys, sharedKeys, DemoTraffic.DefaultStart, durationMs: 10 * 60_000);
        var labels = traffic.Labels.ToDictionary(l => l.ApiKeyId, StringComparer.Ordinal);
        AnsiConsole.MarkupLine($"[bold]KeyShareDetector demo[/]: {normalKeys} retail keys, {sharedKeys} lent keys, {traffic.Events.Count:N0} access events (seed {seed})");

        using var cluster = new EmbeddedKafkaCluster(brokerCount);
        string stateDir = Path.Combine(Path.GetTempPath(), $"keyshare-demo-{Environment.ProcessId}");
        var options = new DetectorOptions
        {
            ApplicationId = "keyshare-demo",
            BootstrapServers = cluster.BootstrapServers,
            StateDir = stateDir,
            InputPartitions = 4,
        };
        await cluster.EnsureAsync(DetectorTopology.RequiredTopics(options), ct);
        AnsiConsole.MarkupLine($"embedded Kafka on [blue]{cluster.BootstrapServers}[/]; starting the detector...");

        var commands = new List<EnforcementCommand>();
        DetectorService? detector = null;
        try
        {
            detector = await DetectorService.StartAsync(options, DemoSetup.Policies(), WireCodecs.Create(), TimeSpan.FromSeconds(30), cancellationToken: deadline.Token);
            using var viewer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
            {
                BootstrapServers = cluster.BootstrapServers,
                GroupId = "keyshare-demo-viewer",
                AutoOffsetReset = AutoOffsetReset.Earliest,
                IsolationLevel = IsolationLevel.ReadCommitted,
                EnableAutoCommit = false,
            }).Build();
            viewer.Assign(Enumerable.Range(0, options.InputPartitions).Select(p => new TopicPartitionOffset(options.Topics.Enforcement, p, Offset.Beginning)));

            var producing = Task.Run(() => ProduceAsync(cluster.BootstrapServers, options.Topics.Access, traffic.Events, duration / 3, deadline.Token), deadline.Token);
            bool announced = false;
            while (!deadline.IsCancellationRequested)
            {
                if (producing.IsCompleted && !announced)
                {
                    int count = await producing;
                    AnsiConsole.MarkupLine($"produced {count:N0} events in {clock.Elapsed.TotalSeconds:F1} s; waiting for the detector to finish...");
                    announced = true;
                }
                var result = viewer.Consume(TimeSpan.FromMilliseconds(200));
                if (result is { IsPartitionEOF: false, Message.Value: not null })
                {
                    var c = ContractCodecs.Command.Deserialize(result.Message.Value);
                    commands.Add(c);
                    Print(c, labels);
                    continue;
                }
                if (announced && detector.Metrics.RecordsIn >= traffic.Events.Count && CaughtUp(viewer, options)) break;
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            AnsiConsole.MarkupLine("[yellow]duration reached before the detector finished[/]");
        }
        finally
        {
            if (detector is not null) await detector.DisposeAsync();
            TryDelete(stateDir);
        }

        bool ok = Summarize(traffic, commands, detector, clock.Elapsed);
        return ok ? 0 : VerdictFailed;
    }

    private static async Task<int> ProduceAsync(string bootstrap, string topic, IReadOnlyList<AccessEvent> events, TimeSpan spread, CancellationToken ct)
    {
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrap,
            EnableIdempotence = true,
            LingerMs = 5,
            // Java's default partitioner: the exchange's producers and the detector place keys alike.
            Partitioner = Partitioner.Murmur2Random,
        }).Build();
        // Events go out in event-time order, spread over part of the run so commands appear while it runs.
        int chunks = 20;
        int perChunk = Math.Max(1, events.Count / chunks);
        var pause = spread / chunks;
        int sent = 0;
        foreach (var e in events)
        {
            producer.Produce(topic, new Message<string, byte[]>
            {
                Key = e.ApiKeyId,
                Value = ContractCodecs.Access.SerializeJson(e),
                Timestamp = new Timestamp(e.Ts, TimestampType.CreateTime),
            });
            if (++sent % perChunk == 0)
            {
                producer.Flush(ct);
                await Task.Delay(pause, ct);
            }
        }
        producer.Flush(ct);
        return sent;
    }

    /// <summary>True when the viewer has read every committed command (its position reached each partition's end).</summary>
    private static bool CaughtUp(IConsumer<string, byte[]> viewer, DetectorOptions options)
    {
        foreach (var tp in viewer.Assignment)
        {
            var end = viewer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(5)).High;
            var position = viewer.Position(tp);
            if (end.Value > 0 && (position == Offset.Unset || position.Value < end.Value)) return false;
        }
        return true;
    }

    private static void Print(EnforcementCommand c, IReadOnlyDictionary<string, KeyLabel> labels)
    {
        string population = labels.TryGetValue(c.ApiKeyId, out var l) ? l.Population : "?";
        var reason = c.Reasons.Count > 0 ? c.Reasons[0].Summary : "";
        AnsiConsole.MarkupLine($"[red]{c.Action}[/] {Markup.Escape(c.ApiKeyId)} ({population}) {c.PreviousState}->{c.NewState} score {c.RiskScore:F1}: {Markup.Escape(reason)}");
    }

    private static bool Summarize(DemoTraffic traffic, List<EnforcementCommand> commands, DetectorService? detector, TimeSpan elapsed)
    {
        var lent = traffic.Labels.Where(l => Populations.IsAbusive(l.Population)).Select(l => l.ApiKeyId).ToHashSet(StringComparer.Ordinal);
        var warned = commands.Where(c => c.Action == EnforcementAction.WARN).Select(c => c.ApiKeyId).ToHashSet(StringComparer.Ordinal);
        int caught = lent.Count(warned.Contains);
        int falsePositives = warned.Count(k => !lent.Contains(k));

        var table = new Table().Title("summary").AddColumn("what").AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("events produced", traffic.Events.Count.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("events read by the detector", (detector?.Metrics.RecordsIn ?? 0).ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("dead letters", (detector?.Metrics.DeadLetters ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("late records", (detector?.Metrics.LateRecords ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var group in commands.GroupBy(c => c.Action).OrderBy(g => g.Key))
        {
            table.AddRow($"{group.Key} commands", group.Count().ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        table.AddRow("lent keys warned", $"{caught} of {lent.Count}: {string.Join(", ", lent.Order(StringComparer.Ordinal))}");
        table.AddRow("retail keys actioned (false positives)", falsePositives.ToString(System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("wall time", $"{elapsed.TotalSeconds:F1} s");
        AnsiConsole.Write(table);

        bool ok = caught == lent.Count && falsePositives == 0;
        AnsiConsole.MarkupLine(ok
            ? "[green]verdict: every lent key was warned and no retail key was actioned[/]"
            : "[red]verdict: the detector missed lent keys or actioned retail keys[/]");
        return ok;
    }

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind is harmless.
        }
    }
}
