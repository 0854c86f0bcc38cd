using System.Text;
using Confluent.Kafka;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Integration.Tests.Support;
using KeyShareDetector.Simulator;

namespace KeyShareDetector.Integration.Tests;

[Collection(KafkaCollection.Name)]
public sealed class DetectorEndToEndTests(KafkaEnvironment kafka)
{
    private const long T0 = 1_767_225_600_000;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    private static string Json(string key, string ip, long ts) =>
        $$"""{"event_id":"{{key}}-{{ts}}","ts":{{ts}},"api_key_id":"{{key}}","account_id":"acct-{{key}}","ip":"{{ip}}","user_agent":"curl/8.5","endpoint":"/v1/orders"}""";

    /// <summary>Produces values the way `kcat -P` does: no key, raw bytes. Returns where each record landed.</summary>
    private static async Task<List<TopicPartitionOffset>> ProduceRawAsync(string bootstrap, string topic, IEnumerable<(string Value, long Ts)> values)
    {
        using var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig { BootstrapServers = bootstrap }).Build();
        var placed = new List<TopicPartitionOffset>();
        foreach (var (value, ts) in values)
        {
            var report = await producer.ProduceAsync(topic, new Message<Null, byte[]> { Value = Encoding.UTF8.GetBytes(value), Timestamp = new Timestamp(ts, TimestampType.CreateTime) });
            placed.Add(report.TopicPartitionOffset);
        }
        return placed;
    }

    [Fact]
    public async Task Json_typed_like_kcat_is_processed_and_a_malformed_record_goes_to_the_DLQ_while_later_records_still_count()
    {
        await using var run = await DetectorRun.StartAsync(kafka);
        var t = run.Options.Topics;
        var placed = await ProduceRawAsync(kafka.BootstrapServers, t.Access,
        [
            (Json("kcat-1", "81.2.69.10", T0), T0),
            ("{\"event_id\": 42, \"ts\": \"yesterday\"", T0 + 1),
            (Json("kcat-1", "203.0.113.7", T0 + 2), T0 + 2),
            (Json("kcat-1", "198.51.100.23", T0 + 3), T0 + 3),
        ]);

        var dead = TopicReader.ReadUntil(kafka.BootstrapServers, t.DeadLetters, run.Options.InputPartitions, r => r.Count >= 1, Deadline);
        var letter = ContractCodecs.DeadLetter.Deserialize(Assert.Single(dead).Message.Value);
        Assert.Equal(t.Access, letter.SourceTopic);
        Assert.Equal(placed[1].Partition.Value, letter.SourcePartition);
        Assert.Equal(placed[1].Offset.Value, letter.SourceOffset);
        Assert.Equal("PARSE_ERROR", letter.ErrorCode);
        Assert.False(string.IsNullOrWhiteSpace(letter.Reason));

        var commands = TopicReader.ReadUntil(kafka.BootstrapServers, t.Enforcement, run.Options.InputPartitions, r => r.Count >= 1, Deadline);
        var command = ContractCodecs.Command.Deserialize(Assert.Single(commands).Message.Value);
        Assert.Equal(EnforcementAction.WARN, command.Action);
        Assert.Equal("kcat-1", command.ApiKeyId);
        Assert.Equal("IP_DIVERSITY", command.Reasons[0].Code);
        Assert.True(DetectorRun.Signer.Verify(command));
    }

    [Fact]
    public async Task On_a_simulated_mix_exactly_the_lent_keys_are_warned()
    {
        await using var run = await DetectorRun.StartAsync(kafka);
        var traffic = new DemoTraffic(seed: 7, retailKeys: 30, lentKeys: 2, DemoTraffic.DefaultStart, durationMs: 8 * 60_000);
        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers, EnableIdempotence = true, Partitioner = Partitioner.Murmur2Random }).Build())
        {
            foreach (var e in traffic.Events)
            {
                producer.Produce(run.Options.Topics.Access, new Message<string, byte[]>
                {
                    Key = e.ApiKeyId, Value = ContractCodecs.Access.SerializeAvro(e), Timestamp = new Timestamp(e.Ts, TimestampType.CreateTime),
                });
            }
            producer.Flush(TimeSpan.FromSeconds(30));
        }

        await Eventually.WaitAsync(() => run.Service.Metrics.RecordsIn >= traffic.Events.Count, Deadline, "detector read every event");
        var lent = traffic.Labels.Where(l => l.Population == Populations.Lent).Select(l => l.ApiKeyId).Order(StringComparer.Ordinal).ToList();
        // Read until every command the detector counted is there and each lent key has one.
        var records = TopicReader.ReadUntil(kafka.BootstrapServers, run.Options.Topics.Enforcement, run.Options.InputPartitions,
            r => r.Count >= run.Service.Metrics.CommandsByAction.Values.Sum() &&
                 lent.All(k => r.Any(x => x.Message.Key == k)), Deadline);
        var commands = records.Select(r => ContractCodecs.Command.Deserialize(r.Message.Value)).ToList();
        string seen = string.Join("; ", commands.Select(c => $"{c.ApiKeyId} {c.Action}"));

        Assert.True(lent.SequenceEqual(commands.Select(c => c.ApiKeyId).Distinct().Order(StringComparer.Ordinal)), "actioned keys differ from the lent keys: " + seen);
        Assert.All(lent, k => Assert.Equal(EnforcementAction.WARN, commands.First(c => c.ApiKeyId == k).Action));
        Assert.Equal(0, run.Service.Metrics.DeadLetters);
    }
}
