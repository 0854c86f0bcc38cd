using System.Globalization;

namespace KeyShareDetector.Benchmarks.EndToEnd;

/// <summary>How big the end-to-end run is and how the detector runs; flags win over BENCH_E2E_* environment variables.</summary>
internal sealed record E2eSettings
{
    /// <summary>Access and order events to load (at least; the simulator's duration is stretched until they are there).</summary>
    public int Events { get; init; } = 1_000_000;
    /// <summary>Distinct api keys (at least).</summary>
    public int Keys { get; init; } = 50_000;
    /// <summary>Partitions of every input and internal topic; 0 = enough for the embedded broker's 5 MB per partition.</summary>
    public int Partitions { get; init; }
    /// <summary>
    /// Partitions of the fleet stage's topics (`keyshare run`: Detector:FleetPartitions; 0 = as many as the inputs).
    /// The fleet stage sees about 4 % of the input here; with 8 instead of 96 partitions an instance has 105 tasks
    /// instead of 193 for each exactly-once commit to flush. Measured at full size, back to back: 29,887 and 35,360
    /// events/s from the first record with 96 and 8, stream-thread CPU 33.6 and 32.3 µs per record, p99 1.3 s and
    /// 476 ms (docs/DECISIONS.md, "The fleet stage sized by its own traffic").
    /// </summary>
    public int FleetPartitions { get; init; } = 8;
    /// <summary>
    /// Stream threads of the detector: one per core of this 2-core machine (`keyshare run`: Detector:StreamThreads).
    /// Under exactly-once a thread waits at every commit for the broker to acknowledge what it produced (about half
    /// of a lone thread's time in the latency phase); a second thread processes while the first waits. Measured at
    /// full size: 21,812 events/s and p99 60 s at half load (the detector fell behind) with one thread, 29,281
    /// events/s and p99 13 s (kept up) with two. With more than one, the bench gives the group members a 6 s session
    /// timeout so that the embedded broker's first rebalance does not wait 45 s for the second.
    /// </summary>
    public int Threads { get; init; } = 2;
    /// <summary>
    /// The detector's librdkafka fetch.wait.max.ms and Streamiz poll (ms). The embedded broker answers an empty fetch
    /// only after the whole wait, and every hop between stages can wait that long: 10 ms, as `keyshare eval` runs it
    /// (`keyshare run`: Detector:FetchWaitMaxMs, Detector:PollMs).
    /// </summary>
    public int WaitMs { get; init; } = 10;
    /// <summary>The detector's commit interval (ms), as `keyshare run`'s Detector:CommitIntervalMs (default 100).</summary>
    public int CommitMs { get; init; } = 100;
    /// <summary>Most records a stream thread takes per poll (Streamiz's MaxPollRecords; `keyshare run`: Detector:MaxPollRecords).</summary>
    public int MaxPollRecords { get; init; } = 500;
    public int Seed { get; init; } = 1;
    /// <summary>Share of the measured detector maximum the latency phase produces at.</summary>
    public double Load { get; init; } = 0.5;
    /// <summary>
    /// linger.ms of the latency phase's load producer: its batching wait, before the broker's append that latency is
    /// measured from. The embedded broker finds a fetch's offset by walking the partition's message sets one by one
    /// (librdkafka's rdkafka_mock.c, "FIXME: Maintain an index"), and a consumer that has caught up walks them all on
    /// every fetch; with one-record batches (5 ms, librdkafka's default, at 14,000 records/s over 96 partitions per
    /// topic) the broker spent 65 % of its CPU there (perf) and every fetch got slower as the phase went on, until the
    /// detector fell behind. A real broker looks the offset up in an index. Measured at full size: 5 ms fell behind
    /// (p99 13-27 s); 250 ms fell behind after 30 s; 500 ms kept up (p99 540 ms); 1,000 ms kept up but its bursts
    /// (43 s of event time at the bench's speed-up) made 1.3 % of the input late and p99 1.1 s.
    /// </summary>
    public int LingerMs { get; init; } = 500;
    /// <summary>
    /// Partitions of the latency phase's topics (0 = as many as the throughput phase's). The throughput phase needs
    /// enough partitions to hold the whole preloaded backlog under the embedded broker's 5 MB per partition; a stream
    /// read as it arrives does not.
    /// </summary>
    public int LatencyPartitions { get; init; }

    /// <summary>The latency phase's partition count, given the one the throughput phase runs on.</summary>
    public int LatencyPartitionsFor(int throughputPartitions) => LatencyPartitions > 0 ? LatencyPartitions : throughputPartitions;
    /// <summary>Most events the latency phase plays (0 = all of them).</summary>
    public int LatencyEvents { get; init; }
    public string Out { get; init; } = Path.Combine("artifacts", "bench", "e2e.json");
    /// <summary>Longest any one phase may take before the run gives up on it.</summary>
    public TimeSpan PhaseDeadline { get; init; } = TimeSpan.FromMinutes(20);

    public static E2eSettings Parse(IReadOnlyList<string> args)
    {
        var s = new E2eSettings();
        s = s with
        {
            Events = Env("BENCH_E2E_EVENTS", s.Events),
            Keys = Env("BENCH_E2E_KEYS", s.Keys),
            Partitions = Env("BENCH_E2E_PARTITIONS", s.Partitions),
            Threads = Env("BENCH_E2E_THREADS", s.Threads),
            FleetPartitions = Env("BENCH_E2E_FLEET_PARTITIONS", s.FleetPartitions),
            WaitMs = Env("BENCH_E2E_WAIT_MS", s.WaitMs),
            CommitMs = Env("BENCH_E2E_COMMIT_MS", s.CommitMs),
            MaxPollRecords = Env("BENCH_E2E_MAX_POLL_RECORDS", s.MaxPollRecords),
            Seed = Env("BENCH_E2E_SEED", s.Seed),
            LatencyEvents = Env("BENCH_E2E_LATENCY_EVENTS", s.LatencyEvents),
            LatencyPartitions = Env("BENCH_E2E_LATENCY_PARTITIONS", s.LatencyPartitions),
            LingerMs = Env("BENCH_E2E_LINGER_MS", s.LingerMs),
        };
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value");
            s = name switch
            {
                "--events" => s with { Events = Int(name, Value()) },
                "--keys" => s with { Keys = Int(name, Value()) },
                "--partitions" => s with { Partitions = Int(name, Value()) },
                "--threads" => s with { Threads = Int(name, Value()) },
                "--fleet-partitions" => s with { FleetPartitions = Int(name, Value()) },
                "--wait-ms" => s with { WaitMs = Int(name, Value()) },
                "--commit-ms" => s with { CommitMs = Int(name, Value()) },
                "--max-poll-records" => s with { MaxPollRecords = Int(name, Value()) },
                "--seed" => s with { Seed = Int(name, Value()) },
                "--load" => s with { Load = double.Parse(Value(), CultureInfo.InvariantCulture) },
                "--latency-events" => s with { LatencyEvents = Int(name, Value()) },
                "--latency-partitions" => s with { LatencyPartitions = Int(name, Value()) },
                "--linger-ms" => s with { LingerMs = Int(name, Value()) },
                "--out" => s with { Out = Value() },
                "--phase-deadline-minutes" => s with { PhaseDeadline = TimeSpan.FromMinutes(Int(name, Value())) },
                _ => throw new ArgumentException($"unknown option {name} (known: --events --keys --partitions --fleet-partitions --threads --wait-ms --commit-ms --max-poll-records --seed --load --latency-events --latency-partitions --linger-ms --out --phase-deadline-minutes)"),
            };
        }
        var errors = s.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors));
        return s;
    }

    public IReadOnlyList<string> Validate()
    {
        var e = new List<string>();
        if (Events < 1_000) e.Add("--events (BENCH_E2E_EVENTS) must be at least 1000");
        if (Keys < 100) e.Add("--keys (BENCH_E2E_KEYS) must be at least 100");
        if (Partitions is < 0 or > 512) e.Add("--partitions (BENCH_E2E_PARTITIONS) must be within 0..512 (0 = automatic)");
        if (FleetPartitions is < 0 or > 512) e.Add("--fleet-partitions (BENCH_E2E_FLEET_PARTITIONS) must be within 0..512 (0 = as many as the inputs)");
        if (Threads is < 1 or > 16) e.Add("--threads (BENCH_E2E_THREADS) must be within 1..16");
        if (WaitMs is < 1 or > 1000) e.Add("--wait-ms (BENCH_E2E_WAIT_MS) must be within 1..1000");
        if (CommitMs is < 1 or > 60_000) e.Add("--commit-ms (BENCH_E2E_COMMIT_MS) must be within 1..60000");
        if (MaxPollRecords is < 1 or > 1_000_000) e.Add("--max-poll-records (BENCH_E2E_MAX_POLL_RECORDS) must be within 1..1000000");
        if (Load is <= 0 or > 1) e.Add("--load must be within (0, 1]");
        if (LingerMs is < 0 or > 1000) e.Add("--linger-ms (BENCH_E2E_LINGER_MS) must be within 0..1000");
        if (LatencyEvents < 0) e.Add("--latency-events (BENCH_E2E_LATENCY_EVENTS) must be >= 0");
        if (LatencyPartitions is < 0 or > 512) e.Add("--latency-partitions (BENCH_E2E_LATENCY_PARTITIONS) must be within 0..512 (0 = as the throughput phase)");
        return e;
    }

    private static int Env(string name, int fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? Int(name, v) : fallback;

    private static int Int(string name, string value) =>
        int.TryParse(value.Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n)
            ? n
            : throw new ArgumentException($"{name}: '{value}' is not a whole number");
}
