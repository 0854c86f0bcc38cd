using Confluent.Kafka;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Integration.Tests.Support;

namespace KeyShareDetector.Integration.Tests;

[Collection(KafkaCollection.Name)]
public sealed class StreamFailureTests(KafkaEnvironment kafka)
{
    [Fact]
    public async Task A_dead_stream_thread_pages_on_call_with_one_critical_alert()
    {
        await using var run = await DetectorRun.StartAsync(kafka);
        // Input topics never kill a thread (bad records are dead-lettered); a corrupt internal record does.
        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build())
        {
            await producer.ProduceAsync(run.Options.KeyFeedbackTopic, new Message<string, byte[]> { Key = "k", Value = [99, 1, 2] });
        }

        await Eventually.WaitAsync(() => run.Service.Failed, TimeSpan.FromSeconds(60), "the detector noticed its failed stream thread");
        var alerts = TopicReader.ReadUntil(kafka.BootstrapServers, run.Options.Topics.Alerts, 1, r => r.Count >= 1, TimeSpan.FromSeconds(60));
        var alert = ContractCodecs.Alert.Deserialize(Assert.Single(alerts).Message.Value);
        Assert.Equal("STREAM_THREAD_FAILED", alert.Kind);
        Assert.Equal(AlertSeverity.CRITICAL, alert.Severity);
        Assert.Contains(run.Options.KeyFeedbackTopic, alert.Summary, StringComparison.Ordinal);
    }
}
