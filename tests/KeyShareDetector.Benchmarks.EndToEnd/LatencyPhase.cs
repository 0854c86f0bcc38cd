using System.Diagnostics;
using Confluent.Kafka;
using HdrHistogram;
using KeyShareDetector.Simulator;
using KeyShareDetector.Streams;

namespace KeyShareDetector.Benchmarks.EndToEnd;

internal sealed record LatencyResult(
    double TargetEventsPerSecond,
    double AchievedEventsPerSecond,
    long Events,
    long Commands,
    long Matched,
    long Unmatched,
    long AmbiguousTriggers,
    double P50Ms,
    double P90Ms,
    double P99Ms,
    double P999Ms,
    double MaxMs,
    Stage Decide,
    Stage Breaker,
    double ReadBehindSeconds,
    IReadOnlyList<LatencySlice> Slices,
    DetectorOutcome Detector)
{
    /// <summary>CPU seconds of the broker process during the phase.</summary>
    public double BrokerCpuSeconds { get; init; }

    public int LingerMs { get; init; }
}

/// <summary>Latency of the commands whose trigger was acknowledged in one 10-second slice of the paced phase (ms).</summary>
internal sealed record LatencySlice(double FromSeconds, long Commands, double P50Ms, double MaxMs, double DecideMaxMs, double BreakerMaxMs);

/// <summary>Percentiles of one part of the latency (ms).</summary>
internal sealed record Stage(long Count, double P50Ms, double P99Ms, double MaxMs);

/// <summary>
/// Phase 4: a fresh detector, the same records with event time rebased to now, produced at a fixed rate (registry first,
/// unpaced, then the events paced). Latency of a command = when the bench's read_committed consumer received it minus
/// when the producer got the delivery acknowledgement (the broker's append) of the event that triggered it; the
/// trigger is the event of the command's key whose event time equals the command's issued_at.
/// </summary>
internal static class LatencyPhase
{
    public static async Task<LatencyResult> RunAsync(DetectorRun run, RecordLog log, double eventsPerSecond, int lingerMs, TimeSpan deadline, Action<string> say, CancellationToken ct)
    {
        var topics = run.Options.Topics;
        var acks = new long[log.Count];
        long produced = 0, errors = 0, firstEventIndex = -1, paceStart = 0;
        double producingSeconds = 0, producedAllAt = 0;
        var producing = Task.Run(() =>
        {
            using var producer = new ProducerBuilder<string, byte[]>(Kafka.ProducerConfig(run.Options.BootstrapServers, lingerMs)).Build();
            void Send(int i)
            {
                Kafka.Produce(producer, RecordLog.TopicName(topics, log.Topic(i)), new Message<string, byte[]>
                {
                    Key = log.Key(i), Value = log.ValueArray(i), Timestamp = new Timestamp(log.Ts(i), TimestampType.CreateTime),
                }, r =>
                {
                    if (r.Error.IsError) Interlocked.Increment(ref errors);
                    else acks[i] = Stopwatch.GetTimestamp();
                });
                Interlocked.Increment(ref produced);
            }
            // Registrations first, and read, as an exchange's registry is there before the traffic it governs.
            int i = 0;
            for (; i < log.Count && log.Topic(i) == SimTopic.Registry; i++) Send(i);
            producer.Flush(ct);
            while (run.Metrics.RecordsIn < i) ct.WaitHandle.WaitOne(5);
            say($"latency: {i:N0} registry records read; producing {log.Count - i:N0} records at {eventsPerSecond:N0}/s");
            firstEventIndex = i;
            var pace = Stopwatch.StartNew();
            paceStart = Stopwatch.GetTimestamp();
            for (long n = 0; i < log.Count; i++, n++)
            {
                ct.ThrowIfCancellationRequested();
                if (n % 50 == 0)
                {
                    double ahead = (n / eventsPerSecond) - pace.Elapsed.TotalSeconds;
                    if (ahead > 0.001) Thread.Sleep(TimeSpan.FromSeconds(ahead));
                }
                Send(i);
            }
            producer.Flush(ct);
            producingSeconds = pace.Elapsed.TotalSeconds;
            producedAllAt = run.Elapsed.TotalSeconds;
        }, ct);

        var outcome = await run.SettleAsync(() => Interlocked.Read(ref produced) < log.Count ? long.MaxValue : log.Count, producing, deadline, say, ct);
        if (errors > 0) throw new InvalidOperationException($"{errors:N0} records of the latency phase were not delivered");

        // The trigger of a command: its key's input with event time = issued_at. Two inputs of one key in the same
        // millisecond make that ambiguous; the earlier acknowledgement is taken (the longer latency).
        var trigger = new Dictionary<(string, long), long>();
        long ambiguous = 0;
        for (int i = (int)firstEventIndex; i < log.Count; i++)
        {
            var k = (log.Key(i), log.Ts(i));
            if (trigger.TryGetValue(k, out long t))
            {
                ambiguous++;
                if (acks[i] < t) trigger[k] = acks[i];
            }
            else
            {
                trigger[k] = acks[i];
            }
        }
        var histogram = NewHistogram();
        var decideHistogram = NewHistogram();
        var breakerHistogram = NewHistogram();
        // A command read twice (a retried transaction's first copy: the mock broker does not hide aborted records)
        // counts once, at its last receipt, which is the copy a read_committed consumer of a real broker would get.
        var decidedAt = new Dictionary<(string, long), long>();
        foreach (var d in LastReceipts(outcome.Decided)) decidedAt.TryAdd((d.ApiKeyId, d.IssuedAt), d.ReceivedTicks);
        long matched = 0, unmatched = 0;
        var slices = new SortedDictionary<long, (List<long> Total, long DecideMax, long BreakerMax)>();
        foreach (var c in LastReceipts(outcome.Commands))
        {
            if (!trigger.TryGetValue((c.ApiKeyId, c.IssuedAt), out long ack))
            {
                unmatched++;
                continue;
            }
            Record(histogram, c.ReceivedTicks - ack);
            matched++;
            long slice = Math.Max(0, (ack - paceStart) / (Stopwatch.Frequency * SliceSeconds));
            var s = slices.TryGetValue(slice, out var found) ? found : ([], 0, 0);
            s.Total.Add(c.ReceivedTicks - ack);
            if (decidedAt.TryGetValue((c.ApiKeyId, c.IssuedAt), out long decided))
            {
                Record(decideHistogram, decided - ack);
                Record(breakerHistogram, c.ReceivedTicks - decided);
                s = (s.Total, Math.Max(s.DecideMax, decided - ack), Math.Max(s.BreakerMax, c.ReceivedTicks - decided));
            }
            slices[slice] = s;
        }
        double Ms(double percentile) => matched == 0 ? double.NaN : histogram.GetValueAtPercentile(percentile) / 1000.0;
        long events = log.EventCount;
        return new LatencyResult(eventsPerSecond, (log.Count - firstEventIndex) / producingSeconds, events, outcome.DistinctCommands, matched, unmatched, ambiguous,
            Ms(50), Ms(90), Ms(99), Ms(99.9), matched == 0 ? double.NaN : histogram.GetMaxValue() / 1000.0, StageOf(decideHistogram), StageOf(breakerHistogram),
            outcome.LastInputSeconds - producedAllAt, slices.Select(kv => SliceOf(kv.Key, kv.Value.Total, kv.Value.DecideMax, kv.Value.BreakerMax)).ToList(), outcome);
    }

    private const long SliceSeconds = 10;

    private static LatencySlice SliceOf(long slice, List<long> ticks, long decideMax, long breakerMax)
    {
        ticks.Sort();
        static double Ms(long t) => t * 1000.0 / Stopwatch.Frequency;
        return new LatencySlice(slice * SliceSeconds, ticks.Count, Ms(ticks[ticks.Count / 2]), Ms(ticks[^1]), Ms(decideMax), Ms(breakerMax));
    }

    private static IEnumerable<ReceivedCommand> LastReceipts(IEnumerable<ReceivedCommand> commands) =>
        commands.GroupBy(c => c.CommandId, StringComparer.Ordinal).Select(g => g.MaxBy(c => c.ReceivedTicks));

    private static LongHistogram NewHistogram() => new(TimeSpan.FromMinutes(10).Ticks / 10, 3);

    /// <summary>Records a Stopwatch-tick interval in microseconds.</summary>
    private static void Record(LongHistogram h, long ticks)
    {
        long micros = Math.Max(0, ticks * 1_000_000 / Stopwatch.Frequency);
        h.RecordValue(Math.Min(micros, h.HighestTrackableValue));
    }

    private static Stage StageOf(LongHistogram h) => h.TotalCount == 0
        ? new Stage(0, double.NaN, double.NaN, double.NaN)
        : new Stage(h.TotalCount, h.GetValueAtPercentile(50) / 1000.0, h.GetValueAtPercentile(99) / 1000.0, h.GetMaxValue() / 1000.0);
}
