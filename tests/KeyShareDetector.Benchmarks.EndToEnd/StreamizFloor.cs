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
internal sealed record FloorResult(string Topology, long Records, long Events, double Seconds, double StartupSeconds, double SecondsFromFirstRecord, double CpuSeconds, double StreamThreadCpuSeconds)
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

    public static async Task<FloorResult> RunAsync(string topology, DetectorOptions detectorOptions, RecordLog log, Action<TopicSpec> createTopic, TimeSpan deadline, Action<string> say, CancellationToken ct)
    {
        var options = detectorOptions with { ApplicationId = "bench-floor-" + Guid.NewGuid().ToString("N")[..8] };
        options = options with { StateDir = Path.Combine(Path.GetTempPath(), options.ApplicationId) };
        var topics = options.Topics;
        var builder = new StreamBuilder();
        var bytes = new ByteArraySerDes();
        long records = 0, events = 0, firstTicks = 0, lastTicks = 0;
        long expected = log.Count;
        var inputs = builder.Stream<byte[], byte[]>(topics.Access, bytes, bytes)
            .Merge(builder.Stream<byte[], byte[]>(topics.Orders, bytes, bytes))
            .Merge(builder.Stream<byte[], byte[]>(topics.Registry, bytes, bytes))
            .Merge(builder.Stream<byte[], byte[]>(topics.Lifecycle, bytes, bytes));
        void Tally(byte[] key, byte[] value, IRecordContext context)
        {
            long n = Interlocked.Increment(ref records);
            if (n == 1) Interlocked.Exchange(ref firstTicks, Stopwatch.GetTimestamp());
            if (n == expected) Interlocked.Exchange(ref lastTicks, Stopwatch.GetTimestamp());
            if (context.Topic == topics.Access || context.Topic == topics.Orders) Interlocked.Increment(ref events);
        }
        switch (topology)
        {
            case Nothing:
                inputs.Foreach(Tally);
                break;
            case CountPerKey:
                // Counted before the store's update; the update follows in the same call, so the last one is a few
                // microseconds after the last record is counted.
                inputs.Peek(Tally).GroupByKey().Count(InMemory.As<byte[], long>(CountStore).WithKeySerdes(bytes).WithValueSerdes(new Int64SerDes()));
                createTopic(new TopicSpec($"{options.ApplicationId}-{CountStore}-changelog", options.InputPartitions, 1));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(topology), topology, "a floor topology");
        }
        var config = DetectorService.StreamConfigFor(options, NullLoggerFactory.Instance);
        string? failure = null;
        config.InnerExceptionHandler = e =>
        {
            failure = DetectorService.Describe(e);
            return ExceptionHandlerResponse.FAIL;
        };
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        long startTicks = Stopwatch.GetTimestamp();
        var stream = new KafkaStream(builder.Build(), config);
        try
        {
            await stream.StartAsync(ct);
            double lastSay = 0;
            while (Interlocked.Read(ref lastTicks) == 0)
            {
                ct.ThrowIfCancellationRequested();
                if (failure is not null) throw new InvalidOperationException("the Streamiz floor's stream failed: " + failure);
                var elapsed = Stopwatch.GetElapsedTime(startTicks);
                if (elapsed > deadline) throw new TimeoutException($"the Streamiz floor read {Interlocked.Read(ref records):N0} of {log.Count:N0} records within {deadline}");
                long n = Interlocked.Read(ref records);
                if (elapsed.TotalSeconds - lastSay >= 5)
                {
                    lastSay = elapsed.TotalSeconds;
                    say($"streamiz floor ({topology}): {lastSay:F0} s, read {n:N0}/{log.Count:N0}");
                }
                await Task.Delay(5, ct);
            }
            // From the start to the last record counted, and the start-up to the first (as the detector's figures).
            double seconds = Stopwatch.GetElapsedTime(startTicks, Interlocked.Read(ref lastTicks)).TotalSeconds;
            double startup = Stopwatch.GetElapsedTime(startTicks, Interlocked.Read(ref firstTicks)).TotalSeconds;
            double streamCpu = ThreadCpu.StreamThreadSeconds(options.ApplicationId);
            return new FloorResult(topology, Interlocked.Read(ref records), Interlocked.Read(ref events), seconds, startup, seconds - startup,
                (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds, streamCpu);
        }
        finally
        {
            stream.Dispose();
            DetectorRun.TryDelete(options.StateDir);
        }
    }
}
