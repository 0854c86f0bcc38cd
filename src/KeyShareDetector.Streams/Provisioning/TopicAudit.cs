namespace KeyShareDetector.Streams.Provisioning;

/// <summary>What a cluster has of one topic.</summary>
/// <param name="CleanupPolicy">The topic's cleanup.policy; null when the broker did not tell (no DescribeConfigs).</param>
public sealed record ObservedTopic(string Name, int Partitions, string? CleanupPolicy = null)
{
    public bool? Compacted => CleanupPolicy?.Split(',').Any(p => p.Trim() == "compact");

    public bool? Deletes => CleanupPolicy?.Split(',').Any(p => p.Trim() == "delete");
}

/// <summary>How strict an audit is.</summary>
public enum AuditScope
{
    /// <summary>`keyshare topics check`: every topic must exist, be co-partitioned and have the right cleanup policy.</summary>
    Check,

    /// <summary>
    /// `keyshare run` at start: inputs and outputs must exist and every group must be co-partitioned. Missing
    /// internal topics Streamiz makes are left to it (it creates them on a real cluster) and cleanup policies are not read
    /// (that needs DescribeConfigs rights the detector does not otherwise need).
    /// </summary>
    Run,
}

/// <summary>Compares the topics the detector needs with what a cluster has: one line per problem.</summary>
public static class TopicAudit
{
    public static IReadOnlyList<string> Problems(IReadOnlyList<TopicSpec> required, IReadOnlyDictionary<string, ObservedTopic> observed, AuditScope scope)
    {
        ArgumentNullException.ThrowIfNull(required);
        ArgumentNullException.ThrowIfNull(observed);
        var problems = new List<string>();
        foreach (var spec in required)
        {
            if (observed.ContainsKey(spec.Name) || (scope == AuditScope.Run && spec.Role == TopicRole.Internal && spec.CreatedByStreamiz)) continue;
            problems.Add($"topic {spec.Name} is missing (keyshare topics create makes it: {Shape(spec)})");
        }

        // A count that follows the inputs is judged against the inputs as they are (not as configured), and not at all
        // while they disagree among themselves: that is then the one problem to fix.
        var inputCounts = required.Where(s => s.Role == TopicRole.Input && observed.ContainsKey(s.Name)).Select(s => observed[s.Name].Partitions).Distinct().ToList();
        foreach (var group in required.Where(s => s.CoPartitionGroup is not null).GroupBy(s => s.CoPartitionGroup!, StringComparer.Ordinal))
        {
            var present = group.Where(s => observed.ContainsKey(s.Name)).Select(s => (Spec: s, observed[s.Name].Partitions)).ToList();
            foreach (var (spec, partitions) in present.Where(x => x.Spec.FixedPartitions))
            {
                if (spec.FollowsInputs && inputCounts.Count > 1) continue;
                int expected = spec.FollowsInputs && inputCounts.Count == 1 ? inputCounts[0] : spec.Partitions;
                if (partitions == expected) continue;
                problems.Add($"topic {spec.Name} has {partitions} partitions; it must have exactly {expected} ({spec.FixedBy ?? "its stage sees every record in order"})");
            }
            var inputs = present.Where(x => x.Spec.Role == TopicRole.Input).ToList();
            if (inputs.Select(x => x.Partitions).Distinct().Count() > 1)
            {
                problems.Add("inputs are not co-partitioned: " + string.Join(", ", inputs.Select(x => $"{x.Spec.Name} has {x.Partitions}"))
                    + " partitions; they must be equal (a key's records from every input must meet in one task)");
                continue;
            }
            if (inputs.Count > 0)
            {
                int count = inputs[0].Partitions;
                foreach (var (spec, partitions) in present.Where(x => x.Spec.Role != TopicRole.Input && x.Partitions != count))
                {
                    problems.Add($"topic {spec.Name} has {partitions} partitions but the inputs it is co-partitioned with have {count}; they must be equal");
                }
                continue;
            }
            var counted = present.Where(x => !x.Spec.FixedPartitions).ToList();
            if (counted.Select(x => x.Partitions).Distinct().Count() > 1)
            {
                problems.Add($"topics of the {group.Key} stage are not co-partitioned: " + string.Join(", ", counted.Select(x => $"{x.Spec.Name} has {x.Partitions}"))
                    + " partitions; they must be equal");
            }
        }

        if (scope == AuditScope.Check)
        {
            foreach (var spec in required)
            {
                if (!observed.TryGetValue(spec.Name, out var topic) || topic.CleanupPolicy is null) continue;
                if (spec.Compacted && topic.Compacted == false)
                {
                    problems.Add($"topic {spec.Name} has cleanup.policy={topic.CleanupPolicy}; it must be compacted (cleanup.policy=compact) so the latest record per key is kept");
                }
                else if (!spec.Compacted && topic.Deletes == false)
                {
                    problems.Add($"topic {spec.Name} has cleanup.policy={topic.CleanupPolicy}; it must keep every record (cleanup.policy=delete), compaction would drop all but the latest record per key");
                }
            }
        }
        return problems;
    }

    /// <summary>
    /// The partition count for topics still to be created: the existing inputs' count when they exist (they
    /// cannot be changed without re-keying), else the configured one. Null, with the reason, when neither works.
    /// </summary>
    public static int? PartitionsToCreate(int configured, IEnumerable<string> inputNames, IReadOnlyDictionary<string, ObservedTopic> observed, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(inputNames);
        ArgumentNullException.ThrowIfNull(observed);
        problem = null;
        var existing = inputNames.Where(observed.ContainsKey).Select(n => observed[n].Partitions).Distinct().ToList();
        if (existing.Count > 1)
        {
            problem = "the existing inputs have different partition counts (" + string.Join(", ", inputNames.Where(observed.ContainsKey).Select(n => $"{n} has {observed[n].Partitions}"))
                + "); fix them before creating the others";
            return null;
        }
        if (existing.Count == 1)
        {
            if (configured > 0 && configured != existing[0])
            {
                problem = $"Detector:InputPartitions (--partitions) is {configured} but the existing inputs have {existing[0]} partitions; topics create does not change partition counts";
                return null;
            }
            return existing[0];
        }
        if (configured > 0) return configured;
        problem = "Detector:InputPartitions (--partitions) is required: no input topic exists yet to take the count from";
        return null;
    }

    private static string Shape(TopicSpec spec) =>
        $"{spec.Partitions} partition{(spec.Partitions == 1 ? "" : "s")}{(spec.Compacted ? ", compacted" : "")}";
}
