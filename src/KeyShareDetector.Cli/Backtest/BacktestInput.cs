using System.Globalization;
using System.Text.Json;
using Confluent.Kafka;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Simulator;

namespace KeyShareDetector.Cli.Backtest;

/// <summary>Input records of a backtest with where each came from, before they are put in event-time order.</summary>
internal sealed record SourcedRecord(SimRecord Record, int SourceOrder);

/// <summary>
/// Reads backtest input (JSONL files as `keyshare simulate --out` writes them, or Kafka topics over a time range) and
/// orders it as the runner plays it: registry records at or before the first event first, then every record in
/// event-time order, ties broken by topic (access, orders, registry, lifecycle) and then by file / log order.
/// </summary>
public static class BacktestInput
{
    public const string AccessFile = "access.jsonl";
    public const string OrdersFile = "orders.jsonl";
    public const string RegistryFile = "registry.jsonl";
    public const string LifecycleFile = "lifecycle.jsonl";
    public const string LabelsFile = "labels.jsonl";

    /// <summary>A scenario from a directory of JSONL files; files that are missing are empty. Labels come from labels.jsonl when present.</summary>
    public static Scenario FromDirectory(string dir)
    {
        ArgumentNullException.ThrowIfNull(dir);
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"input directory '{dir}' does not exist");
        var records = new List<SourcedRecord>();
        int order = 0;
        foreach (var (file, topic) in new[] { (AccessFile, SimTopic.Access), (OrdersFile, SimTopic.Orders), (RegistryFile, SimTopic.Registry), (LifecycleFile, SimTopic.Lifecycle) })
        {
            string path = Path.Combine(dir, file);
            if (!File.Exists(path)) continue;
            int line = 0;
            foreach (string text in File.ReadLines(path))
            {
                line++;
                if (string.IsNullOrWhiteSpace(text)) continue;
                byte[] bytes = System.Text.Encoding.UTF8.GetBytes(text);
                SimRecord r;
                try
                {
                    r = Parse(topic, bytes, recordTs: null);
                }
                catch (Exception e) when (e is ContractException or JsonException or FormatException)
                {
                    throw new InvalidDataException($"{path}:{line}: {e.Message}", e);
                }
                records.Add(new SourcedRecord(r, order++));
            }
        }
        string labels = Path.Combine(dir, LabelsFile);
        return new Scenario(File.Exists(labels) ? ReadLabels(labels) : [], Order(records));
    }

    /// <summary>
    /// A scenario from the four input topics: every partition read from the beginning to its high watermark (a
    /// broker that cannot look offsets up by time, like the embedded one, is read whole), keeping records whose
    /// record timestamp is in [from, to). Records that do not parse are skipped and counted.
    /// </summary>
    public static (Scenario Scenario, int Skipped) FromKafka(string bootstrapServers, long fromMs, long toMs, TimeSpan timeout, CancellationToken ct)
    {
        var topics = new[] { (Topics.Access, SimTopic.Access), (Topics.Orders, SimTopic.Orders), (Topics.Registry, SimTopic.Registry), (Topics.Lifecycle, SimTopic.Lifecycle) };
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "keyshare-backtest-" + Guid.NewGuid().ToString("N")[..8],
            EnableAutoCommit = false,
            EnablePartitionEof = true,
            IsolationLevel = IsolationLevel.ReadCommitted,
        }).Build();
        var end = new Dictionary<TopicPartition, long>();
        var topicOf = new Dictionary<string, SimTopic>(StringComparer.Ordinal);
        int topicRank = 0;
        var rankOf = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, kind) in topics)
        {
            topicOf[name] = kind;
            rankOf[name] = topicRank++;
            var tm = metadata.Topics.FirstOrDefault(t => t.Topic == name && t.Error.Code == ErrorCode.NoError);
            if (tm is null) continue;
            foreach (var p in tm.Partitions.OrderBy(p => p.PartitionId))
            {
                var tp = new TopicPartition(name, p.PartitionId);
                var w = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10));
                if (w.High.Value > w.Low.Value) end[tp] = w.High.Value;
            }
        }
        var collected = new List<(SimRecord Record, int Rank, int Partition, long Offset)>();
        int skipped = 0;
        consumer.Assign(end.Keys.Select(tp => new TopicPartitionOffset(tp, Offset.Beginning)));
        var pending = new HashSet<TopicPartition>(end.Keys);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        while (pending.Count > 0)
        {
            if (deadline.IsCancellationRequested) throw new TimeoutException($"reading the input topics did not reach their ends within {timeout.TotalSeconds:F0} s");
            var r = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (r is null) continue;
            if (r.IsPartitionEOF || r.Message is null)
            {
                if (r.Offset.Value >= end.GetValueOrDefault(r.TopicPartition)) pending.Remove(r.TopicPartition);
                continue;
            }
            if (r.Offset.Value + 1 >= end.GetValueOrDefault(r.TopicPartition)) pending.Remove(r.TopicPartition);
            long ts = r.Message.Timestamp.UnixTimestampMs;
            if (ts < fromMs || ts >= toMs || r.Message.Value is null) continue;
            try
            {
                collected.Add((Parse(topicOf[r.Topic], r.Message.Value, ts), rankOf[r.Topic], r.Partition.Value, r.Offset.Value));
            }
            catch (Exception e) when (e is ContractException or JsonException or FormatException)
            {
                skipped++;
            }
        }
        // Log order is only defined per partition: number the records by topic, partition, offset so ties sort the same every time.
        var sourced = collected.OrderBy(c => c.Rank).ThenBy(c => c.Partition).ThenBy(c => c.Offset).Select((c, i) => new SourcedRecord(c.Record, i)).ToList();
        return (new Scenario([], Order(sourced)), skipped);
    }

    /// <summary>Parses an ISO 8601 instant or epoch milliseconds.</summary>
    public static long ParseInstant(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long ms)) return ms;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var dto)) return dto.ToUnixTimeMilliseconds();
        throw new FormatException($"'{text}' is neither an ISO 8601 instant nor epoch milliseconds");
    }

    public static IReadOnlyList<KeyLabel> ReadLabels(string path)
    {
        var labels = new List<KeyLabel>();
        foreach (string line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            var e = doc.RootElement;
            labels.Add(new KeyLabel(
                e.GetProperty("api_key_id").GetString()!,
                e.TryGetProperty("account_id", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : "",
                e.GetProperty("population").GetString()!,
                e.TryGetProperty("abuse_starts_at", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt64() : null));
        }
        return labels;
    }

    private static SimRecord Parse(SimTopic topic, byte[] value, long? recordTs) => topic switch
    {
        SimTopic.Access => SimRecord.Of(ContractCodecs.Access.Deserialize(value)),
        SimTopic.Orders => SimRecord.Of(ContractCodecs.Order.Deserialize(value)),
        // A registry record has no event time of its own: the record timestamp, else when the key was created.
        SimTopic.Registry => ContractCodecs.Registry.Deserialize(value) is var reg ? SimRecord.Of(reg, recordTs ?? reg.CreatedAt) : throw new InvalidOperationException(),
        _ => SimRecord.Of(ContractCodecs.Lifecycle.Deserialize(value)),
    };

    private static List<SimRecord> Order(List<SourcedRecord> records)
    {
        var events = records.Where(r => r.Record.Topic != SimTopic.Registry).ToList();
        long first = events.Count == 0 ? long.MaxValue : events.Min(r => r.Record.Ts);
        // Registry records that describe keys existing when the input starts go first, so no event meets an unknown key.
        var head = records.Where(r => r.Record.Topic == SimTopic.Registry && r.Record.Ts <= first).OrderBy(r => r.SourceOrder);
        var rest = records.Where(r => r.Record.Topic != SimTopic.Registry || r.Record.Ts > first)
            .OrderBy(r => r.Record.Ts).ThenBy(r => (int)r.Record.Topic).ThenBy(r => r.SourceOrder);
        return head.Concat(rest).Select(r => r.Record).ToList();
    }
}
