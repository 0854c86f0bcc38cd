using System.Diagnostics;
using KeyShareDetector.Simulator;
using KeyShareDetector.Streams;
using KeyShareDetector.Streams.Provisioning;
using Microsoft.Extensions.Logging.Abstractions;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Processors;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.Table;

namespace KeyShareDetector.Benchmarks.EndToEnd;

/// <summary>What Streamiz itself reads with the detector's configuration and a topology that does (almost) nothing.</summary>
internal sealed record FloorResult(string Topology, long Records, long Events, double Seconds, double SecondsToFirstRecord, double SecondsFromFirstRecord, double CpuSeconds, double StreamThreadCpuSeconds)
{
    public double EventsPerSecond => Events / Seconds;
    public double EventsPerSecondFromFirstRecord => Events / SecondsFromFirstRecord;
    public double StreamCpuMicrosPerRecord => Records == 0 ? 0 : StreamThreadCpuSeconds * 1e6 / Records;
}

/// <summary>
/// The last phases, after the detector's two: the same four input topics read by a Streamiz stream with the detector's
/// own stream configuration (<see cref="DetectorService.StreamConfigFor"/>: exactly-once, threads, poll, fetch wait,
/// commit interval, producer defaults) and the detector's input shape (one source per topic, merged into one
/// sub-topology, so as many tasks as input partitions), doing <see cref="Nothing"/> but counting what it is given, or
/// also a <see cref="CountPerKey"/>. What they read is the most such a topology on Streamiz reads here, measured in the
/// same run as the bare consumer, so the table shows how much of the gap to the bare consumer is Streamiz's and how
/// much the detector's.
/// </summary>
internal static class StreamizFloor
{
    /// <summary>The processor only counts the records it is given.</summary>
    public const string Nothing = "nothing";

    /// <summary>
    /// The records also go to a per-key count (<c>GroupByKey().Count()</c>) in an in-memory store logged to its changelog,
    /// as the detector's per-key state is: one store read and one store write with a changelog record per input record,
    /// the least a per-key stateful topology does. The changelog topic is created through <c>createTopic</c> first.
    /// </summary>
    public const string CountPerKey = "count per key";

    private const string CountStore = "floor-count";

    /// <summary>Longest the floor's stream may take to close (see <see cref="DetectorService.DisposeAsync"/>: a close can hang).</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(30);

    public static async Task<FloorResult> RunAsync(string topology, DetectorOptions detectorOptions, RecordLog log, Action<TopicSpec> createTopic, TimeSpan deadline, Action<string> say, CancellationToken ct)
    {
        var options = detectorOptions with { ApplicationId = "bench-floor-" + Guid.NewGuid().ToString("N")[..8] };
        options = options with { StateDir = Path.Combine(Path.GetTempPath(), options.ApplicationId) };
        var topics = options.Topics;
        int partitions = options.InputPartitions;
        // Done when every input partition's last offset has been processed (the preload is not transactional, so a
        // partition's offsets are 0 .. count - 1), not after a number of records: a task that moves to the other
        // thread before its commit processes some records again.
        var (perPartition, _) = Partitioning.Spread(log, partitions);
        string[] names = Enum.GetValues<SimTopic>().Select(t => RecordLog.TopicName(topics, t)).ToArray();
        var lastOffset = new long[names.Length * partitions];
        var done = new int[names.Length * partitions];
        int remaining = 0;
        for (int t = 0; t < names.Length; t++)
        {
            for (int p = 0; p < partitions; p++)
            {
                lastOffset[t * partitions + p] = perPartition[t, p] - 1;
                if (perPartition[t, p] > 0) remaining++;
                else done[t * partitions + p] = 1;
            }
        }
        var builder = new StreamBuilder();
        var bytes = new ByteArraySerDes();
        long records = 0, firstTicks = 0, lastTicks = 0;
        var inputs = builder.Stream<byte[], byte[]>(topics.Access, bytes, bytes)
            .Merge(builder.Stream<byte[], byte[]>(topics.Orders, bytes, bytes))
            .Merge(builder.Stream<byte[], byte[]>(topics.Registry, bytes, bytes))
            .Merge(builder.Stream<byte[], byte[]>(topics.Lifecycle, bytes, bytes));
        void Tally(byte[] key, byte[] value, IRecordContext context)
        {
            if (Interlocked.Increment(ref records) == 1) Interlocked.Exchange(ref firstTicks, Stopwatch.GetTimestamp());
            int t = Array.IndexOf(names, context.Topic);
            int slot = t * partitions + context.Partition;
            if (t >= 0 && context.Offset == lastOffset[slot] && Interlocked.Exchange(ref done[slot], 1) == 0 && Interlocked.Decrement(ref remaining) == 0)
            {
                Interlocked.Exchange(ref lastTicks, Stopwatch.GetTimestamp());
            }
        }
        switch (topology)
        {
            case Nothing:
                inputs.Foreach(Tally);
                break;
            case CountPerKey:
                // Tallied before the store's update; the update follows in the same call, so the last one is a few
                // microseconds after the last record is tallied.
                inputs.Peek(Tally).GroupByKey().Count(InMemory.As<byte[], long>(CountStore).WithKeySerdes(bytes).WithValueSerdes(new Int64SerDes()));
                createTopic(new TopicSpec($"{options.ApplicationId}-{CountStore}-changelog", partitions, 1));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(topology), topology, "a floor topology");
        }
        var config = DetectorService.StreamConfigFor(options, NullLoggerFactory.Instance);
        string? failure = null;
        config.InnerExceptionHandler = e =>
        {
            Volatile.Write(ref failure, DetectorService.Describe(e));
            return ExceptionHandlerResponse.FAIL;
        };
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        long startTicks = Stopwatch.GetTimestamp();
        var stream = new KafkaStream(builder.Build(), config);
        // Whatever stops the stream (a failed start, a production or deserialization error) ends its wait at once.
        stream.StateChanged += (_, now) =>
        {
            if ((now == KafkaStream.State.ERROR || now == KafkaStream.State.NOT_RUNNING) && Volatile.Read(ref lastTicks) == 0)
                Volatile.Write(ref failure, Volatile.Read(ref failure) ?? $"the stream went to {now}");
        };
        try
        {
            await stream.StartAsync(ct);
            double lastSay = 0;
            while (Interlocked.Read(ref lastTicks) == 0)
            {
                ct.ThrowIfCancellationRequested();
                if (Volatile.Read(ref failure) is { } why) throw new InvalidOperationException("the Streamiz floor's stream failed: " + why);
                var elapsed = Stopwatch.GetElapsedTime(startTicks);
                if (elapsed > deadline) throw new TimeoutException($"the Streamiz floor read {Interlocked.Read(ref records):N0} of {log.Count:N0} records within {deadline}");
                if (elapsed.TotalSeconds - lastSay >= 5)
                {
                    lastSay = elapsed.TotalSeconds;
                    say($"streamiz floor ({topology}): {lastSay:F0} s, read {Interlocked.Read(ref records):N0}/{log.Count:N0}");
                }
                await Task.Delay(5, ct);
            }
            // From the start to the last partition's last record, and from the start to the first record.
            double seconds = Stopwatch.GetElapsedTime(startTicks, Interlocked.Read(ref lastTicks)).TotalSeconds;
            double toFirst = Stopwatch.GetElapsedTime(startTicks, Interlocked.Read(ref firstTicks)).TotalSeconds;
            double streamCpu = ThreadCpu.StreamThreadSeconds(options.ApplicationId);
            return new FloorResult(topology, Interlocked.Read(ref records), log.EventCount, seconds, toFirst, seconds - toFirst,
                (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds, streamCpu);
        }
        finally
        {
            // Closed off this thread and waited for at most CloseTimeout: a consumer close can hang in a rebalance
            // callback (librdkafka #4041); a stream left behind in a process about to end is harmless.
            try
            {
                await Task.Run(stream.Dispose).WaitAsync(CloseTimeout);
                DetectorRun.TryDelete(options.StateDir);
            }
            catch (TimeoutException)
            {
                say($"streamiz floor ({topology}): the stream did not close within {CloseTimeout.TotalSeconds:F0} s; left behind");
            }
        }
    }
}
