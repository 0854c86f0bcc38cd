using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace KeyShareDetector.Streams.Provisioning;

/// <summary>The topics a cluster has, read with the AdminClient: partitions from metadata, cleanup.policy from DescribeConfigs.</summary>
public sealed class ClusterTopics
{
    private ClusterTopics(IReadOnlyDictionary<string, ObservedTopic> topics, string? configsUnavailable)
    {
        Topics = topics;
        ConfigsUnavailable = configsUnavailable;
    }

    public IReadOnlyDictionary<string, ObservedTopic> Topics { get; }

    /// <summary>Why cleanup policies could not be read (e.g. the embedded broker has no DescribeConfigs); null when they were.</summary>
    public string? ConfigsUnavailable { get; }

    /// <summary>Reads every topic's partition count; the cleanup.policy of those in <paramref name="withConfigs"/> too.</summary>
    /// <exception cref="KafkaException">The brokers did not answer the metadata request.</exception>
    public static async Task<ClusterTopics> ReadAsync(IAdminClient admin, IEnumerable<string> withConfigs, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentNullException.ThrowIfNull(withConfigs);
        // Metadata for all topics: asking for named topics could auto-create them on brokers that allow it.
        var metadata = admin.GetMetadata(timeout);
        var topics = metadata.Topics
            .Where(t => !t.Error.IsError)
            .ToDictionary(t => t.Topic, t => new ObservedTopic(t.Topic, t.Partitions.Count), StringComparer.Ordinal);
        var wanted = withConfigs.Where(topics.ContainsKey).Distinct(StringComparer.Ordinal).ToList();
        if (wanted.Count == 0) return new ClusterTopics(topics, null);

        var resources = wanted.Select(n => new ConfigResource { Type = ResourceType.Topic, Name = n }).ToList();
        List<DescribeConfigsReport> reports;
        try
        {
            var results = await admin.DescribeConfigsAsync(resources, new DescribeConfigsOptions { RequestTimeout = timeout });
            reports = results.Select(r => new DescribeConfigsReport { ConfigResource = r.ConfigResource, Entries = r.Entries, Error = new Error(ErrorCode.NoError) }).ToList();
        }
        catch (DescribeConfigsException e)
        {
            reports = e.Results;
        }
        catch (KafkaException e)
        {
            return new ClusterTopics(topics, "the brokers did not answer DescribeConfigs: " + e.Error.Reason);
        }

        string? unavailable = null;
        foreach (var report in reports)
        {
            if (report.Error.IsError)
            {
                unavailable ??= $"DescribeConfigs failed for {report.ConfigResource.Name}: {report.Error.Reason}";
                continue;
            }
            if (report.Entries.TryGetValue("cleanup.policy", out var entry) && topics.TryGetValue(report.ConfigResource.Name, out var t))
            {
                topics[t.Name] = t with { CleanupPolicy = entry.Value };
            }
        }
        return new ClusterTopics(topics, unavailable);
    }

    /// <summary>Creates the topics; one line per topic that could not be created (one that already exists is fine).</summary>
    public static async Task<IReadOnlyList<string>> CreateAsync(IAdminClient admin, IReadOnlyList<TopicSpec> topics, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentNullException.ThrowIfNull(topics);
        if (topics.Count == 0) return [];
        var specs = Specifications(topics);
        try
        {
            await admin.CreateTopicsAsync(specs.ToList(), new CreateTopicsOptions { RequestTimeout = timeout, OperationTimeout = timeout });
            return [];
        }
        catch (CreateTopicsException e)
        {
            return e.Results
                .Where(r => r.Error.Code is not (ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
                .Select(r => $"could not create topic {r.Topic}: {r.Error.Reason} ({r.Error.Code})")
                .ToList();
        }
        catch (KafkaException e)
        {
            return topics.Select(t => $"could not create topic {t.Name}: {e.Error.Reason} ({e.Error.Code})").ToList();
        }
    }

    /// <summary>The CreateTopics request for these topics; cleanup.policy is always explicit, never the broker's default.</summary>
    public static IReadOnlyList<TopicSpecification> Specifications(IEnumerable<TopicSpec> topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        return topics.Select(t => new TopicSpecification
        {
            Name = t.Name,
            NumPartitions = t.Partitions,
            ReplicationFactor = t.ReplicationFactor,
            Configs = new Dictionary<string, string>(StringComparer.Ordinal) { ["cleanup.policy"] = t.Compacted ? "compact" : "delete" },
        }).ToList();
    }
}
