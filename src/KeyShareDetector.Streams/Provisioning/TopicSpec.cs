namespace KeyShareDetector.Streams.Provisioning;

/// <summary>What a topic is to the detector.</summary>
public enum TopicRole
{
    /// <summary>Written by the exchange, read by the detector.</summary>
    Input,

    /// <summary>Written by the detector (or the policy publisher) for others.</summary>
    Output,

    /// <summary>The detector's own repartition, changelog and feedback topics ({applicationId}-...).</summary>
    Internal,
}

/// <summary>A topic the detector needs, with how it must be created.</summary>
public sealed record TopicSpec(string Name, int Partitions, short ReplicationFactor, bool Compacted = false)
{
    public TopicRole Role { get; init; } = TopicRole.Output;

    /// <summary>
    /// Topics of one group must have equal partition counts: the stage they feed reads partition N of each in
    /// one task, so a key's records from all of them must land on the same partition number.
    /// </summary>
    public string? CoPartitionGroup { get; init; }

    /// <summary>
    /// The partition count is set, not taken from the inputs: part of the design (a single-partition stage) or a
    /// setting (<see cref="FixedBy"/>). An existing topic of another count is a problem at start.
    /// </summary>
    public bool FixedPartitions { get; init; }

    /// <summary>Why a fixed count is what it is, for the audit's line; null: the stage sees every record in order.</summary>
    public string? FixedBy { get; init; }

    /// <summary>
    /// The fixed count is the inputs' count: judged against the inputs' observed count when they agree, and not at all
    /// while they disagree among themselves (that is the one problem then).
    /// </summary>
    public bool FollowsInputs { get; init; }

    /// <summary>
    /// An internal topic Streamiz makes itself when missing (its repartition and changelog topics); false for an
    /// internal topic the topology only writes to and reads from by name (the key feedback topic), which must exist
    /// before `keyshare run` starts.
    /// </summary>
    public bool CreatedByStreamiz { get; init; } = true;
}

/// <summary>Creates missing topics before any stream starts (the embedded broker cannot auto-create them).</summary>
public interface ITopicProvisioner
{
    Task EnsureAsync(IEnumerable<TopicSpec> topics, CancellationToken cancellationToken);
}
