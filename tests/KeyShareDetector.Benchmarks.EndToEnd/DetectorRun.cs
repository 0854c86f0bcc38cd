using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Streams;
using KeyShareDetector.Streams.Observability;
using KeyShareDetector.Streams.Topology;
using Microsoft.Extensions.Logging;

namespace KeyShareDetector.Benchmarks.EndToEnd;

/// <summary>A command as the bench's read_committed consumer received it.</summary>
internal readonly record struct ReceivedCommand(string CommandId, string ApiKeyId, long IssuedAt, long ReceivedTicks, string Action);

/// <summary>Where a run stood at one moment: seconds since the start, inputs read, late inputs, commands decided and received.</summary>
internal readonly record struct Progress(double Seconds, long RecordsIn, long Late, long Decided, long Received);

/// <summary>What one detector run did, up to the moment its outputs settled.</summary>
internal sealed record DetectorOutcome(
    double StartupSeconds,
    double Seconds,
    double SecondsFromFirstRecord,
    long RecordsIn,
    long CommandsDecided,
    IReadOnlyList<ReceivedCommand> Commands,
    IReadOnlyList<ReceivedCommand> Decided,
    IReadOnlyDictionary<string, long> CommandsByAction,
    IReadOnlyDictionary<string, long> AlertsBySeverity,
    long DeadLetters,
    long LateRecords,
    double CpuSeconds,
    double[] StreamThreadCpuEach,
    IReadOnlyList<Progress> Timeline,
    double LastInputSeconds,
    GcActivity Gc,
    long CommandsWithheld,
    IReadOnlyDictionary<string, double> CpuByThreadKind)
{
    /// <summary>Distinct command ids received; fewer than <see cref="Commands"/> when a retried transaction's output is read twice (the mock broker does not hide aborted records).</summary>
    /// <summary>CPU seconds of all stream threads together.</summary>
    public double StreamThreadCpuSeconds => StreamThreadCpuEach.Sum();

    public int DistinctCommands => Commands.Select(c => c.CommandId).Distinct(StringComparer.Ordinal).Count();
}

/// <summary>
/// Starts the detector as <c>ScenarioRun</c> does (DetectorService, the built-in default policy with every signal, the
/// fleet stage and the breaker, exactly-once, JSON output) and reads its commands with a read_committed consumer until
/// every input record has been read, every decided command has come out of the breaker stage, and nothing has moved
/// for a while.
/// </summary>
internal sealed class DetectorRun : IAsyncDisposable
{
    /// <summary>How long nothing may move before the outputs count as settled; not part of any measured time.</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2);

    /// <summary>How long nothing may move, with every input read, before the run stops waiting for decided commands that will not come.</summary>
    private static readonly TimeSpan Stalled = TimeSpan.FromSeconds(30);

    private static readonly Lazy<ILoggerFactory> Logs = new(() =>
        LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole(o => o.SingleLine = true)));

    private readonly DetectorService _detector;
    private readonly IConsumer<string, byte[]> _reader;
    private readonly Stopwatch _clock;
    private readonly TimeSpan _startup;
    private readonly TimeSpan _cpuAtStart;
    private readonly GcActivity _gcAtStart;
    private readonly Dictionary<int, (string Name, double Seconds)> _threadsAtStart;

    private DetectorRun(DetectorService detector, IConsumer<string, byte[]> reader, Stopwatch clock, TimeSpan startup, TimeSpan cpuAtStart, GcActivity gcAtStart, DetectorOptions options, Dictionary<int, (string Name, double Seconds)> threadsAtStart)
    {
        _threadsAtStart = threadsAtStart;
        _detector = detector;
        _reader = reader;
        _clock = clock;
        _startup = startup;
        _cpuAtStart = cpuAtStart;
        _gcAtStart = gcAtStart;
        Options = options;
    }

    public DetectorOptions Options { get; }

    public DetectorMetrics Metrics => _detector.Metrics;

    /// <summary>Time since the run's clock started (just before the detector was started).</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>The policy `keyshare demo`, `eval` and `dev-broker` run: the built-in default with the built-in geo table.</summary>
    public static PolicyBook Policies() =>
        PolicyBook.Single(DetectionPolicy.Default, new CommandSigner("bench", Encoding.UTF8.GetBytes("keyshare-bench-secret-not-for-production")), BuiltInGeoTable.Default);

    /// <summary>Starts the detector; the clock runs from before the start (start-up counts in the measured time).</summary>
    public static async Task<DetectorRun> StartAsync(DetectorOptions options, CancellationToken ct)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var gc = GcActivity.Now();
        var threads = ThreadCpu.Snapshot();
        var clock = Stopwatch.StartNew();
        var detector = await DetectorService.StartAsync(options, Policies(), WireCodecs.Create(WireFormatKind.Json), TimeSpan.FromMinutes(2), Logs.Value, ct);
        var startup = clock.Elapsed;
        var reader = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = options.BootstrapServers,
            GroupId = "bench-reader-" + Guid.NewGuid().ToString("N")[..8],
            EnableAutoCommit = false,
            IsolationLevel = IsolationLevel.ReadCommitted,
            // The reader is the measuring instrument: it should not sit on an empty fetch while a command waits.
            FetchWaitMaxMs = 5,
        }).Build();
        // The breaker's repartition topic too: a command appears there once the per-key stage decided it, which splits
        // the latency into deciding and passing the single-partition breaker stage.
        reader.Assign(Enumerable.Range(0, options.InputPartitions)
            .SelectMany(p => new[] { new TopicPartitionOffset(options.Topics.Enforcement, p, Offset.Beginning), new TopicPartitionOffset(options.Topics.EnforcementShadow, p, Offset.Beginning) })
            .Append(new TopicPartitionOffset(BreakerTopic(options), 0, Offset.Beginning)));
        return new DetectorRun(detector, reader, clock, startup, cpu, gc, options, threads);
    }

    /// <summary>
    /// Reads commands until the detector has read <paramref name="expectedInputs"/> (a number that may still grow
    /// while <paramref name="producing"/> runs) and settled. The measured time ends at the last input read or
    /// command received, whichever came later.
    /// </summary>
    public async Task<DetectorOutcome> SettleAsync(Func<long> expectedInputs, Task producing, TimeSpan deadline, Action<string> say, CancellationToken ct)
    {
        var commands = new List<ReceivedCommand>();
        var decided = new List<ReceivedCommand>();
        string breakerTopic = BreakerTopic(Options);
        var timeline = new List<Progress>();
        long lastIn = -1;
        TimeSpan lastActivity = _clock.Elapsed, firstInput = TimeSpan.Zero, lastInput = TimeSpan.Zero, lastSay = TimeSpan.Zero;
        var stopAt = _clock.Elapsed + deadline;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (_detector.Failed) throw new InvalidOperationException("the detector's stream failed");
            if (_clock.Elapsed > stopAt) throw new TimeoutException($"the detector did not settle within {deadline}: read {Metrics.RecordsIn:N0} of {expectedInputs():N0}");
            var r = _reader.Consume(TimeSpan.FromMilliseconds(20));
            long now = Stopwatch.GetTimestamp();
            if (r?.Message?.Value is { } value)
            {
                var c = ContractCodecs.Command.Deserialize(value);
                var received = new ReceivedCommand(c.CommandId, c.ApiKeyId, c.IssuedAt, now, c.Action.ToString());
                if (r.Topic == breakerTopic)
                {
                    decided.Add(received);
                }
                else
                {
                    commands.Add(received);
                    lastActivity = _clock.Elapsed;
                }
            }
            long recordsIn = Metrics.RecordsIn;
            if (recordsIn != lastIn)
            {
                if (lastIn <= 0 && recordsIn > 0) firstInput = _clock.Elapsed;
                lastIn = recordsIn;
                lastActivity = lastInput = _clock.Elapsed;
            }
            if (_clock.Elapsed - lastSay > TimeSpan.FromSeconds(5))
            {
                lastSay = _clock.Elapsed;
                timeline.Add(new Progress(_clock.Elapsed.TotalSeconds, recordsIn, Metrics.LateRecords, Metrics.CommandsDecided, commands.Count));
                long expected = expectedInputs();
                var c = Metrics.Counts();
                say($"detector: {_clock.Elapsed.TotalSeconds:F0} s, read {recordsIn:N0}{(expected == long.MaxValue ? "" : $"/{expected:N0}")}, commands {commands.Count:N0}/{Metrics.CommandsDecided:N0}{(c.CommandsWithheld > 0 ? $" ({c.CommandsWithheld:N0} withheld by the breaker)" : "")}, late {Metrics.LateRecords:N0}");
            }
            if (producing.IsFaulted) await producing;
            // The breaker withholds a command decided twice (an input re-applied after a retried transaction): every
            // decided command must have passed the breaker, and every one it published must have been read. A command
            // decided in a transaction that was aborted and decided again is counted twice but published once: when
            // everything was read and nothing moved for a long while, stop and report the shortfall.
            var counts = Metrics.Counts();
            bool allRead = producing.IsCompleted && recordsIn >= expectedInputs();
            if (allRead && counts.CommandsPassed >= counts.CommandsDecided && commands.Count >= counts.CommandsPublished && _clock.Elapsed - lastActivity > Quiet)
            {
                break;
            }
            if (allRead && _clock.Elapsed - lastActivity > Stalled)
            {
                say($"detector: stopped waiting: {commands.Count:N0} commands read, {Metrics.CommandsDecided:N0} decided, {counts.CommandsWithheld:N0} withheld by the breaker, nothing moved for {Stalled.TotalSeconds:F0} s");
                break;
            }
        }
        return new DetectorOutcome(_startup.TotalSeconds, lastActivity.TotalSeconds, (lastActivity - firstInput).TotalSeconds, Metrics.RecordsIn, Metrics.CommandsDecided,
            commands, decided, new Dictionary<string, long>(Metrics.CommandsByAction), new Dictionary<string, long>(Metrics.AlertsBySeverity), Metrics.DeadLetters, Metrics.LateRecords,
            (Process.GetCurrentProcess().TotalProcessorTime - _cpuAtStart).TotalSeconds, ThreadCpu.StreamThreadSecondsEach(Options.ApplicationId), timeline, lastInput.TotalSeconds,
            GcActivity.Now() - _gcAtStart, Metrics.Counts().CommandsWithheld,
            ThreadCpu.ByKind(_threadsAtStart, ThreadCpu.Snapshot(), Options.ApplicationId));
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Close();
        _reader.Dispose();
        await _detector.DisposeAsync();
        TryDelete(Options.StateDir);
    }

    /// <summary>Deletes a stream's state directory; one left behind in the temp directory is harmless.</summary>
    internal static void TryDelete(string dir)
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

    /// <summary>Options for one detector on the bench broker, as `keyshare run` would set them on an embedded broker.</summary>
    public static DetectorOptions OptionsFor(string bootstrap, string applicationId, TopicNames topics, int partitions, E2eSettings settings) => new()
    {
        FleetPartitions = settings.FleetPartitions,
        CommitIntervalMs = settings.CommitMs,
        PollMs = settings.WaitMs,
        FetchWaitMaxMs = settings.WaitMs,
        MaxPollRecords = settings.MaxPollRecords,
        ApplicationId = applicationId,
        BootstrapServers = bootstrap,
        Topics = topics,
        InputPartitions = partitions,
        StreamThreads = settings.Threads,
        // With more than one stream thread the group has several members; the embedded broker waits for a member
        // that has not rejoined until its session times out (45 s by default), which would stall the run.
        SessionTimeoutMs = settings.Threads > 1 ? 6000 : null,
        ExactlyOnce = true,
        StateDir = Path.Combine(Path.GetTempPath(), applicationId),
        WatchPolicyTopic = false,
        StreamSettings = ExtraSettings(),
    };

    /// <summary>Extra stream client settings for experiments: BENCH_E2E_STREAM_SETTINGS="key=value;key=value".</summary>
    private static Dictionary<string, string> ExtraSettings() =>
        (Environment.GetEnvironmentVariable("BENCH_E2E_STREAM_SETTINGS") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0].Trim(), kv => kv[1].Trim(), StringComparer.Ordinal);

    private static string BreakerTopic(DetectorOptions options) => $"{options.ApplicationId}-{DetectorTopology.BreakerTopicName}-repartition";

    /// <summary>Every topic the detector needs with these options.</summary>
    public static IReadOnlyList<Streams.Provisioning.TopicSpec> Topics(DetectorOptions options) => DetectorTopology.RequiredTopics(options);
}

/// <summary>
/// The process's garbage collections and allocations (the detector's, plus the bench's reader, which allocates little):
/// allocated bytes per record hardly move with machine load, so builds can be compared by them on a shared machine.
/// </summary>
internal readonly record struct GcActivity(long AllocatedBytes, double PauseSeconds, int Gen0, int Gen1, int Gen2)
{
    public static GcActivity Now() => new(GC.GetTotalAllocatedBytes(precise: false), GC.GetTotalPauseDuration().TotalSeconds,
        GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));

    public static GcActivity operator -(GcActivity a, GcActivity b) =>
        new(a.AllocatedBytes - b.AllocatedBytes, a.PauseSeconds - b.PauseSeconds, a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2);
}
