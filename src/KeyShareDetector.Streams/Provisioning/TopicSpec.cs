namespace KeyShareDetector.Streams.Provisioning;

/// <summary>A topic the detector needs, with how it must be created.</summary>
public sealed record TopicSpec(string Name, int Partitions, short ReplicationFactor, bool Compacted = false);

/// <summary>Creates missing topics before any stream starts (the embedded broker cannot auto-create them).</summary>
public interface ITopicProvisioner
{
    Task EnsureAsync(IEnumerable<TopicSpec> topics, CancellationToken cancellationToken);
}
