using System.Text;
using Confluent.Kafka;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Integration.Tests.Support;
using KeyShareDetector.Streams.Policy;

namespace KeyShareDetector.Integration.Tests;

[Collection(KafkaCollection.Name)]
public sealed class LivePolicyTests(KafkaEnvironment kafka)
{
    private const long T0 = 1_767_225_600_000;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    private static Message<string, byte[]> Access(string key, string ip, long ts) => new()
    {
        Key = key,
        Value = ContractCodecs.Access.SerializeJson(new AccessEvent
        {
            EventId = $"{key}-{ts}", Ts = ts, ApiKeyId = key, AccountId = "a-" + key, Ip = ip, UserAgent = "ua", Endpoint = "/v1/ticker",
        }),
        Timestamp = new Timestamp(ts, TimestampType.CreateTime),
    };

    [Fact]
    public async Task A_policy_version_published_to_the_policy_topic_changes_decisions_after_its_effective_time_without_a_restart()
    {
        await using var run = await DetectorRun.StartAsync(kafka);
        long effective = T0 + 3_600_000;
        var strict = DetectionPolicy.Default with
        {
            Version = "strict-2",
            EffectiveFrom = effective,
            IpDiversity = DetectionPolicy.Default.IpDiversity with { MinDistinctNetworks = 2, MinDistinctIps = 2 },
        };

        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers, Partitioner = Partitioner.Murmur2Random }).Build();
        await producer.ProduceAsync(run.Options.Topics.Policy, new Message<string, byte[]> { Key = strict.Version, Value = Encoding.UTF8.GetBytes(PolicyDocuments.ToJson(strict)) });
        await Eventually.WaitAsync(() => run.Service.PolicyVersionsApplied >= 1, Deadline, "the detector applied the published version");

        // Two networks each: too few for the default version, enough for strict-2.
        foreach (var m in new[]
                 {
                     Access("before", "81.2.69.10", effective - 60_000), Access("before", "203.0.113.7", effective - 59_000),
                     Access("after", "81.2.69.10", effective + 60_000), Access("after", "203.0.113.7", effective + 61_000),
                 })
        {
            await producer.ProduceAsync(run.Options.Topics.Access, m);
        }

        await Eventually.WaitAsync(() => run.Service.Metrics.RecordsIn >= 4, Deadline, "the detector read the four events");
        var records = TopicReader.ReadUntil(kafka.BootstrapServers, run.Options.Topics.Enforcement, run.Options.InputPartitions,
            r => r.Count >= 1 && r.Count >= run.Service.Metrics.CommandsByAction.Values.Sum(), Deadline);
        var command = ContractCodecs.Command.Deserialize(Assert.Single(records).Message.Value);
        Assert.Equal("after", command.ApiKeyId);
        Assert.Equal("strict-2", command.PolicyVersion);
        Assert.Equal(EnforcementAction.WARN, command.Action);
    }
}
