using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace KeyShareDetector.Streams.Provisioning;

/// <summary>Creates topics on a real Kafka cluster through the AdminClient; existing topics are left as they are.</summary>
public sealed class AdminClientTopicProvisioner(string bootstrapServers, IReadOnlyDictionary<string, string>? settings = null) : ITopicProvisioner
{
    public async Task EnsureAsync(IEnumerable<TopicSpec> topics, CancellationToken cancellationToken)
    {
        var config = new AdminClientConfig(settings?.ToDictionary() ?? []) { BootstrapServers = bootstrapServers };
        using var admin = new AdminClientBuilder(config).Build();
        var specs = topics.Select(t => new TopicSpecification
        {
            Name = t.Name,
            NumPartitions = t.Partitions,
            ReplicationFactor = t.ReplicationFactor,
            Configs = t.Compacted ? new Dictionary<string, string> { ["cleanup.policy"] = "compact" } : null,
        }).ToList();
        if (specs.Count == 0) return;
        try
        {
            await admin.CreateTopicsAsync(specs).WaitAsync(cancellationToken);
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
            // Already there: provisioning is idempotent.
        }
    }
}
