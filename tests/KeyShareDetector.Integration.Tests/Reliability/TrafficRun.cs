using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Integration.Tests.Support;
using KeyShareDetector.Simulator;
using KeyShareDetector.Streams;

namespace KeyShareDetector.Integration.Tests.Reliability;

/// <summary>What one run of simulated traffic (and any hostile records mixed in) through a detector produced.</summary>
public sealed record TrafficRunResult(
    IReadOnlyList<EnforcementCommand> Commands,
    IReadOnlyList<(string Coordinates, DeadLetter Letter)> DeadLetters,
    IReadOnlyList<Alert> Alerts,
    IReadOnlyDictionary<string, HostileRecord> Hostile,
    long Valid,
    long InputsApplied,
    long LateRecords,
    long MetricDeadLetters,
    bool EverFailed,
    bool RunningAtEnd,
    int Drains,
    TimeSpan Elapsed);

/// <summary>
/// Plays simulated records through one <see cref="DetectorRun"/>, the way the exchange would: registrations first,
/// then events in event-time order (record timestamp = event time, key = api key id), never more than
/// <see cref="MaxAhead"/> records ahead of the detector (the embedded broker keeps only the newest 5 MB of a
/// partition). A mixer may add hostile records after any valid one. Reads the enforcement, DLQ and alert topics
/// (read_committed) until every record was read, every decided command came back and nothing moved for a moment.
/// </summary>
/// <remarks>
/// A stream task takes its partitions of the four input topics in whatever order the fetches return, so a key's
/// records on two topics may be applied in another order than produced, and the per-key decisions (and command ids)
/// follow that order. Before a key's record on another topic than the key's previous one, the run therefore waits
/// until the detector has read everything sent so far: a key's records are applied in the order given.
/// </remarks>
public static class TrafficRun
{
    public const long MaxAhead = 20_000;

    public static async Task<TrafficRunResult> PlayAsync(KafkaEnvironment kafka, DetectorRun run, IReadOnlyList<SimRecord> records,
        Func<SimRecord, IEnumerable<HostileRecord>>? mix, TimeSpan deadline)
    {
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(deadline);
        var t = run.Options.Topics;
        var metrics = run.Service.Metrics;
        var hostile = new ConcurrentDictionary<string, HostileRecord>(StringComparer.Ordinal);
        var produceErrors = new ConcurrentQueue<string>();
        long valid = 0;
        long bad = 0;
        int drains = 0;

        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            EnableIdempotence = true,
            LingerMs = 5,
            BatchNumMessages = 10_000,
            QueueBufferingMaxMessages = 500_000,
            Partitioner = Confluent.Kafka.Partitioner.Murmur2Random,
        }).Build();

        string TopicOf(SimTopic topic) => topic switch
        {
            SimTopic.Access => t.Access,
            SimTopic.Orders => t.Orders,
            SimTopic.Registry => t.Registry,
            _ => t.Lifecycle,
        };

        void Send(string topic, byte[]? key, byte[]? value, long ts, Action<DeliveryReport<byte[], byte[]>> delivered)
        {
            var message = new Message<byte[], byte[]> { Key = key!, Value = value!, Timestamp = new Timestamp(ts, TimestampType.CreateTime) };
            while (true)
            {
                try
                {
                    producer.Produce(topic, message, delivered);
                    return;
                }
                catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(50));
                }
            }
        }

        // Waits until the detector has read (and, keyed records being applied in the same task, applied) all sent records.
        void Drain()
        {
            drains++;
            producer.Flush(stop.Token);
            long sent = Interlocked.Read(ref valid) + Interlocked.Read(ref bad);
            while (metrics.RecordsIn < sent) stop.Token.WaitHandle.WaitOne(2);
        }

        void Produce()
        {
            int index = 0;
            bool registryRead = false;
            var lastTopic = new Dictionary<string, (SimTopic Topic, int Index)>(StringComparer.Ordinal);
            int drainedBefore = 0;
            foreach (var r in records)
            {
                stop.Token.ThrowIfCancellationRequested();
                if (!registryRead && r.Topic != SimTopic.Registry)
                {
                    // Registrations are read before the traffic they govern, as the exchange's compacted registry is.
                    Drain();
                    registryRead = true;
                    drainedBefore = index;
                }
                if (lastTopic.TryGetValue(r.Key, out var last) && last.Topic != r.Topic && last.Index >= drainedBefore)
                {
                    Drain();
                    drainedBefore = index;
                }
                lastTopic[r.Key] = (r.Topic, index);
                Send(TopicOf(r.Topic), Encoding.UTF8.GetBytes(r.Key), Valid(r, index++), r.Ts, d =>
                {
                    if (d.Error.IsError) produceErrors.Enqueue(d.Error.Reason);
                });
                Interlocked.Increment(ref valid);
                foreach (var h in mix?.Invoke(r) ?? [])
                {
                    Send(TopicOf(h.Topic), h.Key, h.Value, h.Timestamp, d =>
                    {
                        if (d.Error.IsError) produceErrors.Enqueue(d.Error.Reason);
                        else hostile[Coordinates(d.TopicPartitionOffset)] = h;
                    });
                    Interlocked.Increment(ref bad);
                }
                long n = Interlocked.Read(ref valid) + Interlocked.Read(ref bad);
                if (n - metrics.RecordsIn > MaxAhead)
                {
                    producer.Flush(stop.Token);
                    while (n - metrics.RecordsIn > MaxAhead / 2) stop.Token.WaitHandle.WaitOne(5);
                }
            }
            producer.Flush(stop.Token);
        }

        using var reader = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            GroupId = "traffic-run-reader-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            IsolationLevel = IsolationLevel.ReadCommitted,
        }).Build();
        int partitions = run.Options.InputPartitions;
        reader.Assign(Enumerable.Range(0, partitions)
            .SelectMany(p => new[] { new TopicPartitionOffset(t.Enforcement, p, Offset.Beginning), new TopicPartitionOffset(t.DeadLetters, p, Offset.Beginning) })
            .Append(new TopicPartitionOffset(t.Alerts, 0, Offset.Beginning)));

        var commands = new List<EnforcementCommand>();
        var deadLetters = new List<(string, DeadLetter)>();
        var alerts = new List<Alert>();
        bool everFailed = false;
        var producing = Task.Run(Produce, stop.Token);
        long lastChange = clock.ElapsedMilliseconds;
        while (true)
        {
            if (stop.IsCancellationRequested)
            {
                throw new TimeoutException($"run did not settle within {deadline.TotalSeconds:F0} s: produced {valid} valid and {bad} hostile, " +
                    $"detector read {metrics.RecordsIn}, applied {metrics.InputsApplied}, dead-lettered {metrics.DeadLetters}; read back {deadLetters.Count} dead letters, " +
                    $"{commands.Count} of {metrics.CommandsDecided} commands; produce errors: {string.Join("; ", produceErrors.Take(3))}");
            }
            everFailed |= run.Service.Failed;
            var r = reader.Consume(TimeSpan.FromMilliseconds(20));
            if (r is { IsPartitionEOF: false, Message.Value: not null })
            {
                lastChange = clock.ElapsedMilliseconds;
                if (r.Topic == t.Enforcement) commands.Add(ContractCodecs.Command.Deserialize(r.Message.Value));
                else if (r.Topic == t.Alerts) alerts.Add(ContractCodecs.Alert.Deserialize(r.Message.Value));
                else deadLetters.Add((r.Message.Key, ContractCodecs.DeadLetter.Deserialize(r.Message.Value)));
                continue;
            }
            if (!producing.IsCompleted) continue;
            await producing;
            long total = valid + bad;
            if (metrics.RecordsIn >= total && metrics.InputsApplied + metrics.DeadLetters >= total && deadLetters.Count >= bad &&
                commands.Count >= metrics.CommandsDecided && clock.ElapsedMilliseconds - lastChange > 1_500)
            {
                break;
            }
        }
        Assert.True(produceErrors.IsEmpty, "produce failed: " + string.Join("; ", produceErrors.Take(3)));
        return new TrafficRunResult(commands, deadLetters, alerts, hostile, valid, metrics.InputsApplied, metrics.LateRecords, metrics.DeadLetters,
            everFailed || run.Service.Failed, run.Service.IsRunning, drains, clock.Elapsed);
    }

    /// <summary>The DLQ key of a record: "topic/partition/offset".</summary>
    public static string Coordinates(TopicPartitionOffset tpo)
    {
        ArgumentNullException.ThrowIfNull(tpo);
        return $"{tpo.Topic}/{tpo.Partition.Value}/{tpo.Offset.Value}";
    }

    /// <summary>The valid record's bytes: mostly Avro single-object, every fourth one JSON (both are the contract).</summary>
    private static byte[] Valid(SimRecord r, int index)
    {
        bool json = index % 4 == 0;
        return r.Topic switch
        {
            SimTopic.Access => json ? ContractCodecs.Access.SerializeJson(r.Access!) : ContractCodecs.Access.SerializeAvro(r.Access!),
            SimTopic.Orders => json ? ContractCodecs.Order.SerializeJson(r.Order!) : ContractCodecs.Order.SerializeAvro(r.Order!),
            SimTopic.Registry => json ? ContractCodecs.Registry.SerializeJson(r.Registry!) : ContractCodecs.Registry.SerializeAvro(r.Registry!),
            _ => json ? ContractCodecs.Lifecycle.SerializeJson(r.Lifecycle!) : ContractCodecs.Lifecycle.SerializeAvro(r.Lifecycle!),
        };
    }
}
