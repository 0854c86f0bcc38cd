using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using KeyShareDetector.Simulator;
using Spectre.Console;

namespace KeyShareDetector.Benchmarks.EndToEnd;

/// <summary>One acceptance target of issue 8 against what the run measured.</summary>
internal sealed record Acceptance(string Name, string Target, double Measured, string Unit, bool Pass);

/// <summary>The run's table for people and its JSON for machines.</summary>
internal static class E2eReport
{
    public const string LatencyDefinition =
        "command received by a read_committed consumer of the enforcement topics (Stopwatch, after Consume returns) minus the producer's delivery acknowledgement " +
        "of the command's triggering input (the input of the command's api_key_id whose event time equals issued_at; the earlier ack when two share a millisecond)";

    public static double DetectorEventsPerSecond(E2eResult r) => r.Log.EventCount / r.Detector.Seconds;

    public static double Ratio(E2eResult r) => DetectorEventsPerSecond(r) / r.Bare.EventsPerSecond;

    /// <summary>A Streamiz floor (doing nothing, or counting per key), with the detector's configuration, against the bare consumer: the most such a topology's ratio can be here.</summary>
    public static double FloorRatio(E2eResult r, FloorResult f) => f.EventsPerSecond / r.Bare.EventsPerSecond;

    /// <summary>The detector against Streamiz doing nothing: the share of Streamiz's own rate the detector's work leaves.</summary>
    public static double RatioToFloor(E2eResult r) => DetectorEventsPerSecond(r) / r.Floors.Single(f => f.Topology == StreamizFloor.Nothing).EventsPerSecond;

    /// <summary>Stream threads' CPU microseconds per input record the detector read.</summary>
    public static double StreamCpuMicros(DetectorOutcome d) => d.RecordsIn == 0 ? 0 : d.StreamThreadCpuSeconds * 1e6 / d.RecordsIn;

    /// <summary>Bytes the process allocated per input record the detector read (load-independent, unlike CPU time).</summary>
    public static double AllocatedPerRecord(DetectorOutcome d) => d.RecordsIn == 0 ? 0 : (double)d.Gc.AllocatedBytes / d.RecordsIn;

    private static string GcText(DetectorOutcome d) =>
        $"{AllocatedPerRecord(d) / 1024:N1} KB; {d.Gc.PauseSeconds:F1} s ({d.Gc.PauseSeconds / Math.Max(d.Seconds, 1e-9):P0} of the run); {d.Gc.Gen0:N0}/{d.Gc.Gen1:N0}/{d.Gc.Gen2:N0}";

    private static JsonObject GcJson(DetectorOutcome d) => new()
    {
        ["allocated_bytes"] = d.Gc.AllocatedBytes, ["allocated_bytes_per_record"] = AllocatedPerRecord(d), ["pause_seconds"] = d.Gc.PauseSeconds,
        ["gen0_collections"] = d.Gc.Gen0, ["gen1_collections"] = d.Gc.Gen1, ["gen2_collections"] = d.Gc.Gen2,
        ["server_gc"] = System.Runtime.GCSettings.IsServerGC, ["gen0size"] = Environment.GetEnvironmentVariable("DOTNET_GCgen0size"),
    };

    private static JsonObject Reading(MemoryReading m) => new()
    {
        ["rss_bytes"] = m.Rss, ["rss_anon_bytes"] = m.Split.Anon, ["rss_file_bytes"] = m.Split.File, ["rss_shmem_bytes"] = m.Split.Shmem,
        ["managed_bytes"] = m.Managed, ["gc_committed_bytes"] = m.GcCommitted,
    };

    public static IReadOnlyList<Acceptance> Acceptance(E2eResult r) =>
    [
        new("detector / bare consumer", ">= 0.5 (goal 0.8)", Ratio(r), "x", Ratio(r) >= 0.5),
        new("detector events/s", ">= 50,000", DetectorEventsPerSecond(r), "events/s", DetectorEventsPerSecond(r) >= 50_000),
        new($"p99 latency at {r.Settings.Load:P0} load", "<= 500 ms", r.Latency.P99Ms, "ms", r.Latency.P99Ms <= 500),
        new("resident memory growth per 100,000 keys (after full GC)", "<= 100 MB", r.Growth.MbPer100KKeys, "MB", r.Growth.MbPer100KKeys <= 100),
        new($"whole first instance / {r.Memory.ActiveKeys:N0} keys, with code", "(<= 100 MB)", r.Memory.MbPer100KKeys, "MB", r.Memory.MbPer100KKeys <= 100),
        new("same, raw RSS (no GC before reading)", "(<= 100 MB)", r.Memory.RawMbPer100KKeys, "MB", r.Memory.RawMbPer100KKeys <= 100),
    ];

    public static void Print(E2eResult r, string command)
    {
        var d = r.Detector;
        AnsiConsole.MarkupLine($"[bold]keyshare end-to-end bench[/]  {Markup.Escape(command)}");
        AnsiConsole.MarkupLine(Markup.Escape($"{Environment.ProcessorCount} cores, {Machine.CpuModel()}, {Machine.MemoryTotal()}; load average {r.LoadAverageStart} at start, {r.LoadAverageEnd} at end"));
        AnsiConsole.MarkupLine(Markup.Escape($"{r.Log.DistinctKeys:N0} keys, {r.Log.EventCount:N0} events ({r.Log.Records.GetValueOrDefault(SimTopic.Access):N0} access, {r.Log.Records.GetValueOrDefault(SimTopic.Orders):N0} orders) + {r.Log.Records.GetValueOrDefault(SimTopic.Registry):N0} registry + {r.Log.Records.GetValueOrDefault(SimTopic.Lifecycle):N0} lifecycle records over {r.Scenario.DurationMs / 60_000.0:F1} min of event time; {r.Partitions} partitions per topic{(r.Settings.LatencyPartitions > 0 ? $" ({r.Settings.LatencyPartitions} in the latency phase)" : "")} ({(r.Settings.FleetPartitions > 0 ? r.Settings.FleetPartitions : r.Partitions)} for the fleet stage); {r.Settings.Threads} stream thread(s), exactly-once, fetch wait and poll {r.Settings.WaitMs} ms, commit every {r.Settings.CommitMs} ms, at most {r.Settings.MaxPollRecords} records per poll; broker group.initial.rebalance.delay.ms {BrokerHost.BrokerGroupInitialRebalanceDelayMs}; MALLOC_ARENA_MAX={Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") ?? "unset (glibc default)"}; DOTNET_TC_CallCountingDelayMs={Environment.GetEnvironmentVariable("DOTNET_TC_CallCountingDelayMs") ?? "unset (100)"}"));

        var t = new Table().AddColumns("phase", "measure", "value");
        t.AddRow("preload", "records appended (producer, idempotent)", $"{r.Preload.Records:N0} in {r.Preload.Seconds:F1} s ({r.Preload.Records / r.Preload.Seconds:N0}/s)");
        t.AddRow("", "dropped by the broker", r.Preload.NothingDropped ? "none (low watermarks 0, high = counts)" : "[red]SOME[/]");
        t.AddRow("bare consumer", "events/s (records/s)", $"{r.Bare.EventsPerSecond:N0} ({r.Bare.RecordsPerSecond:N0}) in {r.Bare.Seconds:F1} s, {r.Bare.CpuSeconds:F1} CPU s");
        foreach (var f in r.Floors)
        {
            t.AddRow(Markup.Escape($"streamiz floor: {f.Topology}"), "events/s, start to last record (from first record)", $"{f.EventsPerSecond:N0} ({f.EventsPerSecondFromFirstRecord:N0}) in {f.Seconds:F1} s, of which {f.SecondsToFirstRecord:F1} s to its first record");
            t.AddRow("", "ratio to the bare consumer; stream threads' CPU per record", $"{FloorRatio(r, f):F2}; {f.StreamCpuMicrosPerRecord:F1} µs ({f.StreamThreadCpuSeconds:F1} CPU s, process {f.CpuSeconds:F1} CPU s)");
        }
        t.AddRow("detector", "events/s (records/s), start to last command", $"{DetectorEventsPerSecond(r):N0} ({r.Log.Count / d.Seconds:N0}) in {d.Seconds:F1} s, of which start-up {d.StartupSeconds:F1} s");
        t.AddRow("", "events/s from first record read", $"{r.Log.EventCount / d.SecondsFromFirstRecord:N0}");
        t.AddRow("", "ratio to the bare consumer (to the streamiz floor doing nothing)", $"{Ratio(r):F2} ({RatioToFloor(r):F2})");
        t.AddRow("", "CPU s (detector process / broker process)", $"{d.CpuSeconds:F1} / {r.BrokerCpuSecondsDuringDetector:F1}");
        t.AddRow("", "CPU s by thread kind", Kinds(d.CpuByThreadKind));
        t.AddRow("", "stream threads' CPU per input record (less load-dependent)", $"{StreamCpuMicros(d):F1} µs ({d.StreamThreadCpuSeconds:F1} CPU s)");
        t.AddRow("", "allocated per input record; GC pauses; collections gen0/1/2", GcText(d));
        t.AddRow("", "commands received (distinct ids; decided)", $"{d.Commands.Count:N0} ({d.DistinctCommands:N0}; {d.CommandsDecided:N0}) {Actions(d.CommandsByAction)}");
        t.AddRow("", "alerts, dead letters", $"{d.AlertsBySeverity.Values.Sum():N0}, {d.DeadLetters:N0}");
        t.AddRow("", "late records (counted, not used)", $"{d.LateRecords:N0} ({(double)d.LateRecords / r.Log.Count:P1} of the input)");
        t.AddRow("", "read-back topics the broker trimmed", r.TrimmedReadBack.Count == 0 ? "none" : "[red]" + Markup.Escape(string.Join(", ", r.TrimmedReadBack.Select(m => $"{m.Topic} {m.Low:N0}"))) + "[/]");
        t.AddRow("", "unread topics trimmed (harmless here)", Markup.Escape(string.Join(", ", r.TrimmedOther.Select(m => $"{ShortName(m.Topic)} {m.Low:N0} of {m.High:N0}"))));
        t.AddRow("", "key state per changelog record", $"{r.KeyStateBytes:N0} bytes");
        t.AddRow("memory", "RSS before / after / after full GC", $"{Mb(r.Memory.RssBefore)} / {Mb(r.Memory.RssAfter)} / {Mb(r.Memory.RssAfterGc)} MB");
        t.AddRow("", $"per 100,000 active keys ({r.Memory.ActiveKeys:N0} keys)", $"{r.Memory.MbPer100KKeys:F0} MB (RSS +{Mb(r.Memory.Delta)} MB; managed heap {(r.Memory.ManagedAfter - r.Memory.ManagedBefore) / 1048576.0:+0;-0;0} MB)");
        t.AddRow("", "RSS delta: anonymous / file-backed / shared (JIT code)", $"{(r.Memory.SplitAfterGc.Anon - r.Memory.SplitBefore.Anon) / 1048576.0:+0;-0;0} / {(r.Memory.SplitAfterGc.File - r.Memory.SplitBefore.File) / 1048576.0:+0;-0;0} / {(r.Memory.SplitAfterGc.Shmem - r.Memory.SplitBefore.Shmem) / 1048576.0:+0;-0;0} MB");
        t.AddRow("", "anonymous only, per 100,000 active keys", $"{r.Memory.AnonMbPer100KKeys:F0} MB (data without code)");
        var g = r.Growth;
        t.AddRow("", $"latency phase's detector: growth per 100,000 keys ({g.Keys:N0} keys)", $"{g.MbPer100KKeys:F0} MB (RSS +{Mb(g.Settled.Rss - g.Started.Rss)} MB; managed heap +{Mb(g.Settled.Managed - g.Started.Managed)} MB, GC committed +{Mb(g.Settled.GcCommitted - g.Started.GcCommitted)} MB; anonymous +{Mb(g.Settled.Split.Anon - g.Started.Split.Anon)} MB)");
        t.AddRow("", "same detector with no keys yet (instance cost)", $"{g.InstanceMb:F0} MB (managed heap +{Mb(g.Started.Managed - g.BeforeInstance.Managed)} MB)");
        var l = r.Latency;
        t.AddRow($"latency at {r.Settings.Load:P0}", "target / achieved events/s", $"{l.TargetEventsPerSecond:N0} / {l.AchievedEventsPerSecond:N0}");
        t.AddRow("", "detector read the last input after the producer sent it", $"{l.ReadBehindSeconds:F1} s {(l.ReadBehindSeconds > 5 ? "([red]did not keep up[/])" : "(kept up)")}");
        t.AddRow("", "p50 / p90 / p99 / p99.9 / max", $"{l.P50Ms:F0} / {l.P90Ms:F0} / {l.P99Ms:F0} / {l.P999Ms:F0} / {l.MaxMs:F0} ms");
        t.AddRow("", "commands matched (unmatched)", $"{l.Matched:N0} ({l.Unmatched:N0})");
        t.AddRow("", "of which ack -> decided (breaker topic) p50 / p99", $"{l.Decide.P50Ms:F0} / {l.Decide.P99Ms:F0} ms");
        t.AddRow("", "of which breaker topic -> command p50 / p99", $"{l.Breaker.P50Ms:F0} / {l.Breaker.P99Ms:F0} ms");
        t.AddRow("", "late records (not used) at this load", $"{l.Detector.LateRecords:N0}");
        t.AddRow("", "CPU s (detector process / broker process); load producer linger", $"{l.Detector.CpuSeconds:F1} / {l.BrokerCpuSeconds:F1}; {l.LingerMs} ms");
        t.AddRow("", "detector process CPU s by thread kind", Kinds(l.Detector.CpuByThreadKind));
        t.AddRow("", "p50 / max by 10 s of trigger acks (ms)", string.Join(", ", l.Slices.Select(x => $"{x.P50Ms:F0}/{x.MaxMs:F0}")));
        AnsiConsole.Write(t);

        var a = new Table().AddColumns("acceptance (issue 8)", "target", "measured", "");
        foreach (var x in Acceptance(r)) a.AddRow(Markup.Escape(x.Name), Markup.Escape(x.Target), $"{x.Measured:N2} {x.Unit}", x.Pass ? "[green]met[/]" : "[red]not met[/]");
        AnsiConsole.Write(a);
    }

    /// <summary>
    /// JSON options for the report: a percentile with no sample (no command matched, e.g. a short latency phase) is
    /// NaN, written as the string "NaN" rather than failing the whole run at the end.
    /// </summary>
    public static readonly JsonSerializerOptions NamedFloats = new()
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static JsonObject Json(E2eResult r, string command)
    {
        var d = r.Detector;
        var l = r.Latency;
        var o = new JsonObject
        {
            ["run"] = new JsonObject
            {
                ["command"] = command,
                ["started_utc"] = r.Started.ToString("O", CultureInfo.InvariantCulture),
                ["finished_utc"] = r.Finished.ToString("O", CultureInfo.InvariantCulture),
                ["git_commit"] = Environment.GetEnvironmentVariable("BENCH_GIT_COMMIT"),
                ["settings"] = new JsonObject
                {
                    ["events"] = r.Settings.Events, ["keys"] = r.Settings.Keys, ["partitions"] = r.Partitions, ["latency_partitions"] = r.Settings.LatencyPartitionsFor(r.Partitions), ["fleet_partitions"] = r.Settings.FleetPartitions > 0 ? r.Settings.FleetPartitions : r.Partitions, ["malloc_arena_max"] = Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX"), ["dotnet_tc_call_counting_delay_ms"] = Environment.GetEnvironmentVariable("DOTNET_TC_CallCountingDelayMs"), ["stream_threads"] = r.Settings.Threads, ["fetch_wait_and_poll_ms"] = r.Settings.WaitMs, ["commit_interval_ms"] = r.Settings.CommitMs, ["max_poll_records"] = r.Settings.MaxPollRecords, ["broker_group_initial_rebalance_delay_ms"] = BrokerHost.BrokerGroupInitialRebalanceDelayMs,
                    ["seed"] = r.Settings.Seed, ["load"] = r.Settings.Load, ["load_producer_linger_ms"] = r.Settings.LingerMs, ["exactly_once"] = true, ["wire_format_out"] = "json", ["policy"] = "built-in default",
                },
            },
            ["machine"] = new JsonObject
            {
                ["cores"] = Environment.ProcessorCount,
                ["cpu_model"] = Machine.CpuModel(),
                ["memory_total"] = Machine.MemoryTotal(),
                ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
                ["dotnet"] = Environment.Version.ToString(),
                ["load_average_start"] = r.LoadAverageStart,
                ["load_average_end"] = r.LoadAverageEnd,
            },
            ["data"] = new JsonObject
            {
                ["keys"] = r.Log.DistinctKeys,
                ["events"] = r.Log.EventCount,
                ["records"] = r.Log.Count,
                ["records_by_topic"] = Obj(r.Log.Records.ToDictionary(kv => kv.Key.ToString().ToLowerInvariant(), kv => (long)kv.Value)),
                ["value_bytes_by_topic"] = Obj(r.Log.ValueBytes.ToDictionary(kv => kv.Key.ToString().ToLowerInvariant(), kv => kv.Value)),
                ["event_time_span_minutes"] = r.Scenario.DurationMs / 60_000.0,
                ["scenario"] = JsonSerializer.SerializeToNode(r.Scenario),
                ["generate_seconds"] = r.GenerateSeconds,
            },
            ["preload"] = new JsonObject
            {
                ["records"] = r.Preload.Records,
                ["seconds"] = r.Preload.Seconds,
                ["delivery_errors"] = r.Preload.DeliveryErrors,
                ["partitions_not_as_predicted"] = r.Preload.PartitionsOffPrediction,
                ["fullest_partition_bytes"] = r.Preload.FullestPartitionBytes,
                ["nothing_dropped"] = r.Preload.NothingDropped,
                ["topics"] = new JsonArray(r.Preload.Topics.Select(c => (JsonNode)new JsonObject
                {
                    ["topic"] = c.Marks.Topic, ["partitions"] = c.Marks.Partitions, ["low_watermarks_sum"] = c.Marks.Low, ["high_watermarks_sum"] = c.Marks.High, ["records_sent"] = c.Expected,
                }).ToArray()),
            },
            ["bare_consumer"] = new JsonObject
            {
                ["records"] = r.Bare.Records, ["events"] = r.Bare.Events, ["bytes"] = r.Bare.Bytes, ["seconds"] = r.Bare.Seconds,
                ["seconds_from_first_record"] = r.Bare.SecondsFromFirstRecord, ["events_per_second"] = r.Bare.EventsPerSecond,
                ["records_per_second"] = r.Bare.RecordsPerSecond, ["cpu_seconds"] = r.Bare.CpuSeconds,
            },
            ["streamiz_floors"] = new JsonArray(r.Floors.Select(f => (JsonNode)new JsonObject
            {
                ["topology"] = f.Topology,
                ["definition"] = "a Streamiz stream with the detector's stream configuration over the same four input topics, merged into one sub-topology; " +
                    (f.Topology == StreamizFloor.Nothing ? "its only processor counts records: no parsing, store or output" : "each record also counted per key (GroupByKey().Count()) in an in-memory store logged to its changelog, as the detector's per-key state is; nothing else"),
                ["records"] = f.Records, ["events"] = f.Events, ["seconds"] = f.Seconds, ["seconds_to_first_record"] = f.SecondsToFirstRecord,
                ["seconds_from_first_record"] = f.SecondsFromFirstRecord, ["events_per_second"] = f.EventsPerSecond,
                ["events_per_second_from_first_record"] = f.EventsPerSecondFromFirstRecord, ["ratio_to_bare_consumer"] = FloorRatio(r, f),
                ["cpu_seconds"] = f.CpuSeconds, ["stream_thread_cpu_seconds"] = f.StreamThreadCpuSeconds,
                ["stream_thread_cpu_us_per_record"] = f.StreamCpuMicrosPerRecord,
            }).ToArray()),
            ["detector"] = new JsonObject
            {
                ["seconds"] = d.Seconds, ["startup_seconds"] = d.StartupSeconds, ["seconds_from_first_record"] = d.SecondsFromFirstRecord,
                ["events_per_second"] = DetectorEventsPerSecond(r), ["records_per_second"] = r.Log.Count / d.Seconds,
                ["events_per_second_from_first_record"] = r.Log.EventCount / d.SecondsFromFirstRecord,
                ["ratio_to_bare_consumer"] = Ratio(r), ["ratio_to_streamiz_floor"] = RatioToFloor(r),
                ["records_in"] = d.RecordsIn, ["commands_received"] = d.Commands.Count, ["distinct_commands_received"] = d.DistinctCommands, ["commands_decided"] = d.CommandsDecided,
                ["timeline"] = Timeline(d.Timeline),
                ["commands_by_action"] = Obj(d.CommandsByAction), ["alerts_by_severity"] = Obj(d.AlertsBySeverity),
                ["dead_letters"] = d.DeadLetters, ["late_records"] = d.LateRecords,
                ["cpu_seconds"] = d.CpuSeconds, ["broker_cpu_seconds"] = r.BrokerCpuSecondsDuringDetector,
                ["stream_thread_cpu_seconds"] = d.StreamThreadCpuSeconds, ["stream_thread_cpu_seconds_each"] = Array(d.StreamThreadCpuEach), ["cpu_seconds_by_thread_kind"] = Rounded(d.CpuByThreadKind), ["stream_thread_cpu_us_per_record"] = StreamCpuMicros(d),
                ["gc"] = GcJson(d), ["commands_withheld_by_breaker"] = d.CommandsWithheld,
                ["key_state_changelog_record_bytes"] = r.KeyStateBytes,
                ["read_back_topics_trimmed"] = r.TrimmedReadBack.Count,
                ["topics"] = new JsonArray(r.DetectorTopics.Select(m => (JsonNode)new JsonObject
                {
                    ["topic"] = m.Topic, ["partitions"] = m.Partitions, ["low_watermarks_sum"] = m.Low, ["high_watermarks_sum"] = m.High,
                }).ToArray()),
            },
            ["memory"] = new JsonObject
            {
                ["rss_before_bytes"] = r.Memory.RssBefore, ["rss_after_bytes"] = r.Memory.RssAfter, ["rss_after_gc_bytes"] = r.Memory.RssAfterGc,
                ["managed_before_bytes"] = r.Memory.ManagedBefore, ["managed_after_bytes"] = r.Memory.ManagedAfter,
                ["active_keys"] = r.Memory.ActiveKeys, ["mb_per_100k_keys"] = r.Memory.MbPer100KKeys, ["raw_mb_per_100k_keys"] = r.Memory.RawMbPer100KKeys, ["broker_rss_bytes"] = r.Memory.BrokerRss,
                ["rss_anon_before_bytes"] = r.Memory.SplitBefore.Anon, ["rss_anon_after_gc_bytes"] = r.Memory.SplitAfterGc.Anon,
                ["rss_file_before_bytes"] = r.Memory.SplitBefore.File, ["rss_file_after_gc_bytes"] = r.Memory.SplitAfterGc.File,
                ["rss_shmem_before_bytes"] = r.Memory.SplitBefore.Shmem, ["rss_shmem_after_gc_bytes"] = r.Memory.SplitAfterGc.Shmem,
                ["anon_mb_per_100k_keys"] = r.Memory.AnonMbPer100KKeys,
                ["definition"] = "VmRSS of the bench process (detector, its clients, the bench's reader; the broker runs in a child process) after the detector settled and an aggressive full GC plus malloc_trim, minus VmRSS after the same just before the detector started; divided by the keys that had input, times 100,000 (raw_: the after-reading taken before that GC; anon_: the same from RssAnon only, leaving out code: file-backed assemblies and libraries, and RssShmem, where .NET keeps JIT-compiled code)",
            },
            ["memory_growth"] = new JsonObject
            {
                ["keys"] = r.Growth.Keys, ["mb_per_100k_keys"] = r.Growth.MbPer100KKeys, ["managed_mb_per_100k_keys"] = r.Growth.ManagedMbPer100KKeys, ["instance_mb"] = r.Growth.InstanceMb,
                ["before_instance"] = Reading(r.Growth.BeforeInstance), ["instance_started"] = Reading(r.Growth.Started), ["instance_settled"] = Reading(r.Growth.Settled),
                ["definition"] = "the latency phase's detector (a fresh instance in a process whose code is loaded and compiled): VmRSS after an aggressive full GC plus malloc_trim once it is running with no input yet, and the same after its last command; the difference divided by the keys it had input for, times 100,000 (memory that grows with keys). instance_mb: the first reading minus one taken just before the instance started",
            },
            ["latency"] = new JsonObject
            {
                ["load"] = r.Settings.Load,
                ["target_events_per_second"] = l.TargetEventsPerSecond, ["achieved_events_per_second"] = l.AchievedEventsPerSecond,
                ["commands"] = l.Commands, ["matched"] = l.Matched, ["unmatched"] = l.Unmatched, ["inputs_sharing_key_and_ms"] = l.AmbiguousTriggers,
                ["detector_read_last_input_seconds_after_producer"] = l.ReadBehindSeconds,
                ["p50_ms"] = l.P50Ms, ["p90_ms"] = l.P90Ms, ["p99_ms"] = l.P99Ms, ["p999_ms"] = l.P999Ms, ["max_ms"] = l.MaxMs,
                ["distinct_commands"] = l.Detector.DistinctCommands, ["timeline"] = Timeline(l.Detector.Timeline),
                ["detector_records_in"] = l.Detector.RecordsIn, ["detector_cpu_seconds"] = l.Detector.CpuSeconds, ["broker_cpu_seconds"] = l.BrokerCpuSeconds,
                ["load_producer_linger_ms"] = l.LingerMs,
                ["detector_stream_thread_cpu_seconds"] = l.Detector.StreamThreadCpuSeconds, ["detector_stream_thread_cpu_seconds_each"] = Array(l.Detector.StreamThreadCpuEach), ["detector_cpu_seconds_by_thread_kind"] = Rounded(l.Detector.CpuByThreadKind), ["late_records"] = l.Detector.LateRecords,
                ["detector_gc"] = GcJson(l.Detector), ["commands_withheld_by_breaker"] = l.Detector.CommandsWithheld,
                ["ack_to_decided"] = JsonSerializer.SerializeToNode(l.Decide, NamedFloats), ["decided_to_command"] = JsonSerializer.SerializeToNode(l.Breaker, NamedFloats),
                ["by_10s_of_trigger_ack"] = new JsonArray(l.Slices.Select(x => (JsonNode)new JsonObject
                {
                    ["from_seconds"] = x.FromSeconds, ["commands"] = x.Commands, ["p50_ms"] = Math.Round(x.P50Ms, 1), ["max_ms"] = Math.Round(x.MaxMs, 1),
                    ["ack_to_decided_max_ms"] = Math.Round(x.DecideMaxMs, 1), ["decided_to_command_max_ms"] = Math.Round(x.BreakerMaxMs, 1),
                }).ToArray()),
                ["definition"] = LatencyDefinition,
            },
            ["acceptance"] = new JsonArray(Acceptance(r).Select(x => (JsonNode)new JsonObject
            {
                ["name"] = x.Name, ["target"] = x.Target, ["measured"] = x.Measured, ["unit"] = x.Unit, ["met"] = x.Pass,
            }).ToArray()),
        };
        return o;
    }

    private static JsonArray Timeline(IReadOnlyList<Progress> timeline) => new(timeline.Select(p => (JsonNode)new JsonObject
    {
        ["seconds"] = Math.Round(p.Seconds, 1), ["records_in"] = p.RecordsIn, ["late"] = p.Late, ["decided"] = p.Decided, ["received"] = p.Received,
    }).ToArray());

    private static JsonArray Array(double[] values) => new(values.Select(v => (JsonNode)Math.Round(v, 2)).ToArray());

    private static JsonObject Rounded(IReadOnlyDictionary<string, double> d)
    {
        var o = new JsonObject();
        foreach (var (k, v) in d.OrderBy(kv => kv.Key, StringComparer.Ordinal)) o[k] = Math.Round(v, 1);
        return o;
    }

    private static JsonObject Obj(IReadOnlyDictionary<string, long> d)
    {
        var o = new JsonObject();
        foreach (var (k, v) in d.OrderBy(kv => kv.Key, StringComparer.Ordinal)) o[k] = v;
        return o;
    }

    private static string Kinds(IReadOnlyDictionary<string, double> d) =>
        string.Join(", ", d.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value:F1}"));

    private static string Actions(IReadOnlyDictionary<string, long> d) =>
        "(" + string.Join(", ", d.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value:N0}")) + ")";

    private static string ShortName(string topic) => topic.StartsWith("bench-", StringComparison.Ordinal) ? topic[(topic.IndexOf('-', 6) + 1)..] : topic;

    private static string Mb(long bytes) => (bytes / 1048576.0).ToString("F0", CultureInfo.InvariantCulture);
}
