using System.Diagnostics;
using KeyShareDetector.Simulator;
using KeyShareDetector.Streams;

namespace KeyShareDetector.Benchmarks.EndToEnd;

/// <summary>Memory the detector added, measured in this process (the broker runs in its own).</summary>
internal sealed record MemoryResult(long RssBefore, long RssAfter, long RssAfterGc, long ManagedBefore, long ManagedAfter, int ActiveKeys, long BrokerRss)
{
    /// <summary>RssAnon, RssFile and RssShmem before the detector and after it settled (both after the full GC): where the delta lives.</summary>
    public ResidentSplit SplitBefore { get; init; }

    /// <inheritdoc cref="SplitBefore"/>
    public ResidentSplit SplitAfterGc { get; init; }

    /// <summary>
    /// The delta in anonymous pages only (heaps and stacks: the detector's data), per 100,000 keys. Leaves out code:
    /// assemblies and native libraries mapped from files, and JIT-compiled code (shared memory), which the first
    /// detector in a process loads once whatever the number of keys.
    /// </summary>
    public double AnonMbPer100KKeys => (SplitAfterGc.Anon - SplitBefore.Anon) / 1048576.0 * 100_000 / ActiveKeys;

    public long Delta => RssAfterGc - RssBefore;
    public double MbPer100KKeys => Delta / 1048576.0 * 100_000 / ActiveKeys;

    /// <summary>The same from the reading taken before the full GC (includes garbage and freed native heap not yet given back).</summary>
    public double RawMbPer100KKeys => (RssAfter - RssBefore) / 1048576.0 * 100_000 / ActiveKeys;
}

/// <summary>One memory reading of this process, taken after <see cref="ProcessMemory.Collect"/>.</summary>
internal readonly record struct MemoryReading(long Rss, ResidentSplit Split, long Managed, long GcCommitted)
{
    public static MemoryReading Take()
    {
        ProcessMemory.Collect();
        return new MemoryReading(ProcessMemory.ResidentBytes(), ProcessMemory.Split(), GC.GetTotalMemory(false), GC.GetGCMemoryInfo(GCKind.Any).TotalCommittedBytes);
    }
}

/// <summary>
/// What grows with keys, apart from what a detector instance costs with none: the latency phase's detector (a fresh
/// instance in a process whose code is already loaded and compiled) read before it gets any input and after its
/// last command, both after a full GC. <see cref="MbPer100KKeys"/> is the slope; <see cref="InstanceMb"/> the
/// intercept (clients, tasks, stores and metrics of an empty instance).
/// </summary>
internal sealed record GrowthResult(MemoryReading BeforeInstance, MemoryReading Started, MemoryReading Settled, int Keys)
{
    private static double Mb(long bytes) => bytes / 1048576.0;

    public double MbPer100KKeys => Mb(Settled.Rss - Started.Rss) * 100_000 / Keys;

    public double ManagedMbPer100KKeys => Mb(Settled.Managed - Started.Managed) * 100_000 / Keys;

    public double InstanceMb => Mb(Started.Rss - BeforeInstance.Rss);
}

/// <summary>Everything one run measured. <see cref="Floors"/>: Streamiz doing nothing, then counting per key.</summary>
internal sealed record E2eResult(
    E2eSettings Settings,
    ScenarioOptions Scenario,
    int Partitions,
    RecordLog Log,
    PreloadResult Preload,
    ReadResult Bare,
    IReadOnlyList<FloorResult> Floors,
    DetectorOutcome Detector,
    IReadOnlyList<TopicMarks> DetectorTopics,
    MemoryResult Memory,
    LatencyResult Latency,
    GrowthResult Growth,
    DateTimeOffset Started,
    DateTimeOffset Finished,
    string LoadAverageStart,
    string LoadAverageEnd,
    double GenerateSeconds,
    double BrokerCpuSecondsDuringDetector,
    double KeyStateBytes)
{
    /// <summary>
    /// Topics that someone reads back in this run (the detector its repartition and feedback topics, the bench the
    /// commands): the broker must not have trimmed any of them. Changelogs (no restore here) and output-only topics
    /// (features, alerts, DLQ) may lose their oldest records to the 5 MB cap without harm to the run.
    /// </summary>
    public IReadOnlyList<TopicMarks> TrimmedReadBack => DetectorTopics
        .Where(m => m.Low > 0 && (m.Topic.EndsWith("-repartition", StringComparison.Ordinal) || m.Topic.EndsWith("-key-feedback", StringComparison.Ordinal)
            || m.Topic.StartsWith(Contracts.Topics.Enforcement, StringComparison.Ordinal) || m.Topic.StartsWith(Contracts.Topics.EnforcementShadow, StringComparison.Ordinal)))
        .ToList();

    public IReadOnlyList<TopicMarks> TrimmedOther => DetectorTopics.Where(m => m.Low > 0).Except(TrimmedReadBack).ToList();
}

/// <summary>A heap dump of this process for `dotnet-dump analyze` (profiling aid, BENCH_E2E_DUMP).</summary>
internal static class HeapDump
{
    public static void Write(string path, Action<string> say)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("dotnet-dump", ["collect", "-p", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--type", "Heap", "-o", path]) { RedirectStandardOutput = true });
            p!.StandardOutput.ReadToEnd();
            p.WaitForExit();
            say(p.ExitCode == 0 ? $"heap dump written to {path}" : $"dotnet-dump exited with {p.ExitCode}; no heap dump");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            say($"no heap dump: dotnet-dump did not start ({e.Message}; dotnet tool install -g dotnet-dump)");
        }
    }
}

/// <summary>Runs the phases in order: preload, bare consumer, detector at full speed (with memory), detector at half load (latency), the two Streamiz floors.</summary>
internal static class Harness
{
    /// <summary>
    /// Generates and encodes in a frame of its own: the scenario's objects (hundreds of MB) must be unreachable before
    /// the memory baseline, and a reference left in the caller's frame (an async method's first segment is still
    /// running then) would keep them alive until its first await.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (RecordLog Log, ScenarioOptions Options) Prepare(E2eSettings settings, Action<string> say)
    {
        var (scenario, options) = BenchScenario.Generate(settings.Keys, settings.Events, settings.Seed, say);
        return (RecordLog.Encode(scenario.Records), options);
    }

    public static async Task<E2eResult> RunAsync(E2eSettings settings, Action<string> say, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        string loadStart = Machine.LoadAverage();
        var clock = Stopwatch.StartNew();

        // 1. Realistic events, encoded once.
        var (log, scenarioOptions) = Prepare(settings, say);
        double generateSeconds = clock.Elapsed.TotalSeconds;
        say($"generated and encoded {log.Count:N0} records ({log.EventCount:N0} events, {log.DistinctKeys:N0} keys) in {generateSeconds:F0} s");

        int partitions = settings.Partitions > 0 ? settings.Partitions : Partitioning.Choose(log);
        long biggest = Partitioning.Largest(log, partitions);
        using var broker = BrokerProcess.Start();
        string id = Guid.NewGuid().ToString("N")[..8];
        var throughputOptions = DetectorRun.OptionsFor(broker.BootstrapServers, "bench-" + id, new TopicNames(), partitions, settings);
        var throughputTopics = DetectorRun.Topics(throughputOptions);
        broker.CreateTopics(throughputTopics);
        say($"broker pid {broker.Pid} at {broker.BootstrapServers}; {throughputTopics.Count} topics, {partitions} partitions each but the fleet stage's {throughputOptions.FleetPartitionCount} (fullest input partition {biggest / 1048576.0:F1} MB of the broker's 5 MB)");

        var preload = LoadPhases.Preload(broker.BootstrapServers, log, throughputOptions.Topics, partitions, say);
        say($"preloaded {preload.Records:N0} records in {preload.Seconds:F1} s; nothing dropped: {preload.NothingDropped}");
        if (!preload.NothingDropped) throw new InvalidOperationException("the broker dropped preloaded records (see the watermarks): raise --partitions");

        // 2. A bare consumer.
        var bare = LoadPhases.BareConsumer(broker.BootstrapServers, log, throughputOptions.Topics, partitions, settings.PhaseDeadline);
        say($"bare consumer: {bare.RecordsPerSecond:N0} records/s ({bare.Seconds:F1} s)");

        // 3. The detector over the same records, to the last command; memory before and after.
        ProcessMemory.Collect();
        long rssBefore = ProcessMemory.ResidentBytes();
        var splitBefore = ProcessMemory.Split();
        long managedBefore = GC.GetTotalMemory(false);
        DetectorOutcome detector;
        MemoryResult memory;
        var brokerCpu = broker.CpuTime;
        await using (var run = await DetectorRun.StartAsync(throughputOptions, ct))
        {
            detector = await run.SettleAsync(() => log.Count, Task.CompletedTask, settings.PhaseDeadline, say, ct);
            long rssAfter = ProcessMemory.ResidentBytes();
            ProcessMemory.Collect();
            memory = new MemoryResult(rssBefore, rssAfter, ProcessMemory.ResidentBytes(), managedBefore, GC.GetTotalMemory(false), log.DistinctKeys, broker.ResidentBytes)
            {
                SplitBefore = splitBefore,
                SplitAfterGc = ProcessMemory.Split(),
            };
            if (Environment.GetEnvironmentVariable("BENCH_E2E_DUMP") is { Length: > 0 } dump) HeapDump.Write(dump, say);
        }
        double brokerCpuSeconds = (broker.CpuTime - brokerCpu).TotalSeconds;
        say($"detector: {log.Count / detector.Seconds:N0} records/s ({detector.Seconds:F1} s), {detector.Commands.Count:N0} commands");
        var detectorTopics = throughputTopics.Select(t => Kafka.Marks(broker.BootstrapServers, t)).ToList();
        double keyStateBytes = Kafka.AverageValueBytes(broker.BootstrapServers, throughputOptions.KeyStateChangelog, 0);

        // 4. Half load, event time rebased to now, a fresh detector on fresh topics.
        // Half of the steady rate (from the first record read to the last command), the start-up left out.
        double rate = settings.Load * log.EventCount / detector.SecondsFromFirstRecord;
        int latencyPartitions = settings.LatencyPartitionsFor(partitions);
        if (latencyPartitions < partitions)
        {
            say($"latency phase on {latencyPartitions} partitions: the broker keeps {Partitioning.MockPartitionBytes / 1048576} MB per partition, so a detector that falls more than that behind loses input there and the phase runs into its deadline");
        }
        var latencyOptions = DetectorRun.OptionsFor(broker.BootstrapServers, "bench-lat-" + id, new TopicNames().WithSuffix(".lat"), latencyPartitions, settings);
        broker.CreateTopics(DetectorRun.Topics(latencyOptions));
        long shift = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - log.Ts(0);
        var rebased = log.Shifted(shift, settings.LatencyEvents > 0 ? settings.LatencyEvents : int.MaxValue);
        LatencyResult latency;
        GrowthResult growth;
        var beforeInstance = MemoryReading.Take();
        var brokerCpuAtLatency = broker.CpuTime;
        await using (var run = await DetectorRun.StartAsync(latencyOptions, ct))
        {
            var empty = MemoryReading.Take();
            latency = await LatencyPhase.RunAsync(run, rebased, rate, settings.LingerMs, settings.PhaseDeadline, say, ct);
            growth = new GrowthResult(beforeInstance, empty, MemoryReading.Take(), rebased.DistinctKeys);
        }
        say($"memory growth in the latency phase's detector: {growth.MbPer100KKeys:F0} MB per 100,000 keys (instance with no keys {growth.InstanceMb:F0} MB)");
        latency = latency with { BrokerCpuSeconds = (broker.CpuTime - brokerCpuAtLatency).TotalSeconds, LingerMs = settings.LingerMs };
        say($"latency: p50 {latency.P50Ms:F0} ms, p99 {latency.P99Ms:F0} ms over {latency.Matched:N0} commands");

        // 5. Streamiz with the detector's configuration over the preloaded inputs again, with a topology that does
        // nothing (the most any topology on Streamiz reads here) and one that only counts per key in a logged store
        // (the most a per-key stateful one reads). Last, so that they cannot disturb the detector's figures.
        var floors = new List<FloorResult>();
        foreach (string topology in new[] { StreamizFloor.Nothing, StreamizFloor.CountPerKey })
        {
            var floor = await StreamizFloor.RunAsync(topology, throughputOptions, log, spec => broker.CreateTopics([spec]), settings.PhaseDeadline, say, ct);
            say($"streamiz floor ({topology}): {floor.EventsPerSecond:N0} events/s ({floor.Seconds:F1} s, first record after {floor.SecondsToFirstRecord:F1} s)");
            floors.Add(floor);
        }

        return new E2eResult(settings, scenarioOptions, partitions, log, preload, bare, floors, detector, detectorTopics, memory, latency, growth, started, DateTimeOffset.UtcNow,
            loadStart, Machine.LoadAverage(), generateSeconds, brokerCpuSeconds, keyStateBytes);
    }
}
