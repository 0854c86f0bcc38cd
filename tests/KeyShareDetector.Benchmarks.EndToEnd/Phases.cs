using System.Diagnostics;
using Confluent.Kafka;
using KeyShareDetector.Simulator;
using KeyShareDetector.Streams;
using KeyShareDetector.Streams.Provisioning;

namespace KeyShareDetector.Benchmarks.EndToEnd;

internal sealed record PreloadResult(long Records, double Seconds, long DeliveryErrors, IReadOnlyList<TopicCheck> Topics, long PartitionsOffPrediction, long FullestPartitionBytes)
{
    /// <summary>Every record delivered, no partition trimmed (log start 0), and every partition holding exactly the records sent to it.</summary>
    public bool NothingDropped => DeliveryErrors == 0 && PartitionsOffPrediction == 0 && Topics.All(t => t.Marks.Low == 0 && t.Marks.High == t.Expected);
}

internal sealed record TopicCheck(TopicMarks Marks, long Expected);

internal sealed record ReadResult(long Records, long Events, long Bytes, double Seconds, double SecondsFromFirstRecord, double CpuSeconds)
{
    public double RecordsPerSecond => Records / Seconds;
    public double EventsPerSecond => Events / Seconds;
}

/// <summary>Phases 1 and 2: the records onto the broker, then a bare consumer reading all of them.</summary>
internal static class LoadPhases
{
    /// <summary>Produces every record (registry first, as simulated) as fast as the producer goes, then checks that the broker kept all of them.</summary>
    public static PreloadResult Preload(string bootstrap, RecordLog log, TopicNames topics, int partitions, Action<string> say)
    {
        var clock = Stopwatch.StartNew();
        long errors = 0;
        Action<DeliveryReport<string, byte[]>> handler = r =>
        {
            if (r.Error.IsError) Interlocked.Increment(ref errors);
        };
        using (var producer = new ProducerBuilder<string, byte[]>(Kafka.ProducerConfig(bootstrap)).Build())
        {
            for (int i = 0; i < log.Count; i++)
            {
                var t = log.Topic(i);
                Kafka.Produce(producer, RecordLog.TopicName(topics, t), new Message<string, byte[]>
                {
                    Key = log.Key(i), Value = log.ValueArray(i), Timestamp = new Timestamp(log.Ts(i), TimestampType.CreateTime),
                }, handler);
                if (i % 200_000 == 0 && i > 0) say($"preload: {i:N0}/{log.Count:N0}");
            }
            producer.Flush(TimeSpan.FromMinutes(5));
        }
        double seconds = clock.Elapsed.TotalSeconds;
        var checks = new List<TopicCheck>();
        var (predicted, bytes) = Partitioning.Spread(log, partitions);
        long off = 0;
        foreach (SimTopic t in Enum.GetValues<SimTopic>())
        {
            var spec = new TopicSpec(RecordLog.TopicName(topics, t), partitions, 1);
            checks.Add(new TopicCheck(Kafka.Marks(bootstrap, spec), log.Records.GetValueOrDefault(t)));
            // Per partition: the input topics are not transactional, so the high watermark is the record count.
            var perPartition = Kafka.PartitionMarks(bootstrap, spec);
            for (int p = 0; p < partitions; p++)
            {
                if (perPartition[p].Low != 0 || perPartition[p].High != predicted[(int)t, p]) off++;
            }
        }
        long fullest = 0;
        foreach (long b in bytes) fullest = Math.Max(fullest, b);
        return new PreloadResult(log.Count, seconds, Interlocked.Read(ref errors), checks, off, fullest);
    }

    /// <summary>A plain Confluent.Kafka consumer, assigned every input partition from the start, reading until it has every record.</summary>
    public static ReadResult BareConsumer(string bootstrap, RecordLog log, TopicNames topics, int partitions, TimeSpan deadline)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "bench-bare-" + Guid.NewGuid().ToString("N")[..8],
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            IsolationLevel = IsolationLevel.ReadCommitted,
        }).Build();
        consumer.Assign(Enum.GetValues<SimTopic>()
            .SelectMany(t => Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(RecordLog.TopicName(topics, t), p, Offset.Beginning))));
        long n = 0, bytes = 0;
        double first = -1;
        string[] eventTopics = [topics.Access, topics.Orders];
        long events = 0;
        while (n < log.Count && clock.Elapsed < deadline)
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (r?.Message is null) continue;
            if (first < 0) first = clock.Elapsed.TotalSeconds;
            n++;
            bytes += r.Message.Value.Length + (r.Message.Key?.Length ?? 0);
            if (r.Topic == eventTopics[0] || r.Topic == eventTopics[1]) events++;
        }
        double seconds = clock.Elapsed.TotalSeconds;
        if (n < log.Count) throw new InvalidOperationException($"the bare consumer read {n:N0} of {log.Count:N0} records before its deadline");
        consumer.Close();
        return new ReadResult(n, events, bytes, seconds, seconds - first, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
    }
}
