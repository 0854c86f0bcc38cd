using KeyShareDetector.Streams.Provisioning;
using KeyShareDetector.Streams.Topology;

namespace KeyShareDetector.Streams.Tests.Provisioning;

public sealed class TopicAuditTests
{
    private static readonly DetectorOptions Options = new() { BootstrapServers = "unused:9092", ApplicationId = "app", InputPartitions = 4 };
    private static readonly IReadOnlyList<TopicSpec> Required = DetectorTopology.RequiredTopics(Options);

    /// <summary>A cluster holding exactly the required topics, as `topics create` would make them.</summary>
    private static Dictionary<string, ObservedTopic> Healthy() => Made(Required);

    /// <summary>A cluster holding <paramref name="specs"/> as `topics create` would make them, or with <paramref name="partitions"/> each.</summary>
    private static Dictionary<string, ObservedTopic> Made(IEnumerable<TopicSpec> specs, Func<TopicSpec, int>? partitions = null) =>
        specs.ToDictionary(t => t.Name, t => new ObservedTopic(t.Name, partitions?.Invoke(t) ?? t.Partitions, t.Compacted ? "compact" : "delete"), StringComparer.Ordinal);

    private static Dictionary<string, ObservedTopic> With(Dictionary<string, ObservedTopic> cluster, string name, int? partitions = null, string? policy = "keep")
    {
        var t = cluster[name];
        cluster[name] = t with { Partitions = partitions ?? t.Partitions, CleanupPolicy = policy == "keep" ? t.CleanupPolicy : policy };
        return cluster;
    }

    [Fact]
    public void A_cluster_made_from_the_required_topics_has_no_problem()
    {
        Assert.Empty(TopicAudit.Problems(Required, Healthy(), AuditScope.Check));
    }

    [Fact]
    public void Registry_policy_and_every_changelog_are_compacted_and_nothing_else_is()
    {
        var compacted = Required.Where(t => t.Compacted).Select(t => t.Name).Order(StringComparer.Ordinal);
        Assert.Equal(
            new[] { "app-breaker-state-changelog", "app-fleet-state-changelog", "app-key-risk-state-changelog", "exchange.key-registry.v1", "keyshare.policy.v1" },
            compacted);
    }

    [Fact]
    public void The_four_inputs_and_the_internal_topics_merged_with_them_form_one_co_partitioned_group()
    {
        var perKey = Required.Where(t => t.CoPartitionGroup == DetectorTopology.PerKeyGroup).Select(t => t.Name).Order(StringComparer.Ordinal);
        Assert.Equal(
            new[] { "app-key-feedback", "app-key-risk-state-changelog", "app-rekeyed-input-repartition", "exchange.api-access.v1", "exchange.key-lifecycle.v1", "exchange.key-registry.v1", "exchange.orders.v1" },
            perKey);
        Assert.All(Required.Where(t => t.Role == TopicRole.Input), t => Assert.Equal(DetectorTopology.PerKeyGroup, t.CoPartitionGroup));
    }

    [Fact]
    public void On_an_empty_cluster_every_required_topic_is_one_line_naming_it_and_its_shape()
    {
        var problems = TopicAudit.Problems(Required, new Dictionary<string, ObservedTopic>(), AuditScope.Check);
        Assert.Equal(Required.Count, problems.Count);
        Assert.Contains("topic exchange.key-registry.v1 is missing (keyshare topics create makes it: 4 partitions, compacted)", problems);
        Assert.Contains("topic app-breaker-repartition is missing (keyshare topics create makes it: 1 partition)", problems);
    }

    [Fact]
    public void At_run_start_missing_internal_topics_are_left_to_Streamiz_but_a_missing_input_is_not()
    {
        var cluster = Healthy();
        foreach (var t in Required.Where(t => t.Role == TopicRole.Internal && t.CreatedByStreamiz)) cluster.Remove(t.Name);
        cluster.Remove(Options.Topics.Orders);
        var problems = TopicAudit.Problems(Required, cluster, AuditScope.Run);
        Assert.Equal("topic exchange.orders.v1 is missing (keyshare topics create makes it: 4 partitions)", Assert.Single(problems));
    }

    /// <summary>The feedback topic is written and read by name (sink and source of the topology): Streamiz does not make it.</summary>
    [Fact]
    public void At_run_start_the_feedback_topic_the_topology_only_names_must_exist()
    {
        var cluster = Healthy();
        cluster.Remove(Options.KeyFeedbackTopic);
        cluster.Remove("app-breaker-repartition");
        var problems = TopicAudit.Problems(Required, cluster, AuditScope.Run);
        Assert.Equal("topic app-key-feedback is missing (keyshare topics create makes it: 4 partitions)", Assert.Single(problems));
    }

    [Fact]
    public void Inputs_with_different_partition_counts_are_one_line_naming_each_input_and_its_count()
    {
        var cluster = With(Healthy(), Options.Topics.Orders, partitions: 2);
        var problem = Assert.Single(TopicAudit.Problems(Required, cluster, AuditScope.Run));
        Assert.Equal("inputs are not co-partitioned: exchange.api-access.v1 has 4, exchange.orders.v1 has 2, exchange.key-registry.v1 has 4, exchange.key-lifecycle.v1 has 4 partitions;"
            + " they must be equal (a key's records from every input must meet in one task)", problem);
    }

    [Fact]
    public void An_internal_topic_merged_with_the_inputs_must_have_their_partition_count()
    {
        var cluster = With(Healthy(), Options.KeyFeedbackTopic, partitions: 8);
        Assert.Equal("topic app-key-feedback has 8 partitions but the inputs it is co-partitioned with have 4; they must be equal",
            Assert.Single(TopicAudit.Problems(Required, cluster, AuditScope.Run)));
    }

    [Fact]
    public void By_default_the_fleet_topics_must_have_the_inputs_partition_count()
    {
        var cluster = With(Healthy(), "app-fleet-state-changelog", partitions: 2);
        Assert.Equal("topic app-fleet-state-changelog has 2 partitions; it must have exactly 4 (Detector:FleetPartitions is 0: as many as the inputs)",
            Assert.Single(TopicAudit.Problems(Required, cluster, AuditScope.Check)));
    }

    [Fact]
    public void While_the_inputs_disagree_the_fleet_topics_that_follow_them_are_not_judged_but_a_configured_count_is()
    {
        // Access has 4 (the count a run takes), everything else was made with 2: the inputs' line is the one problem.
        var cluster = Healthy();
        foreach (var t in Required.Where(t => t.Name != Options.Topics.Access && t.CoPartitionGroup != DetectorTopology.BreakerGroup)) cluster = With(cluster, t.Name, partitions: 2);
        Assert.StartsWith("inputs are not co-partitioned: ", Assert.Single(TopicAudit.Problems(Required, cluster, AuditScope.Run)), StringComparison.Ordinal);

        var configured = DetectorTopology.RequiredTopics(Options with { FleetPartitions = 3 });
        var problems = TopicAudit.Problems(configured, cluster, AuditScope.Run);
        Assert.Equal(3, problems.Count);
        Assert.Contains("topic app-fleet-repartition has 2 partitions; it must have exactly 3 (Detector:FleetPartitions is 3)", problems);
    }

    [Fact]
    public void Fleet_topics_that_follow_the_inputs_are_judged_against_the_inputs_as_they_are_not_as_configured()
    {
        // The run was told 4 but the cluster's inputs (and fleet topics) all have 6: no fleet line, whatever the setting says
        // (RunCommand reports the InputPartitions mismatch itself).
        var six = Made(Required, t => t.CoPartitionGroup == DetectorTopology.BreakerGroup ? 1 : 6);
        Assert.DoesNotContain(TopicAudit.Problems(Required, six, AuditScope.Run), p => p.Contains("fleet", StringComparison.Ordinal));
        var fleetOff = With(six, "app-fleet-repartition", partitions: 4);
        Assert.Equal("topic app-fleet-repartition has 4 partitions; it must have exactly 6 (Detector:FleetPartitions is 0: as many as the inputs)",
            Assert.Single(TopicAudit.Problems(Required, fleetOff, AuditScope.Run), p => p.Contains("fleet", StringComparison.Ordinal)));
    }

    [Fact]
    public void With_FleetPartitions_set_the_fleet_topics_take_that_count_and_a_topic_of_another_is_a_problem_naming_the_setting()
    {
        var required = DetectorTopology.RequiredTopics(Options with { FleetPartitions = 2 });
        Assert.Equal([2, 2], required.Where(t => t.CoPartitionGroup == DetectorTopology.FleetGroup).Select(t => t.Partitions));
        // Nothing else moves: the per-key topics keep the inputs' count.
        Assert.All(required.Where(t => t.CoPartitionGroup == DetectorTopology.PerKeyGroup), t => Assert.Equal(4, t.Partitions));
        Assert.Empty(TopicAudit.Problems(required, Made(required), AuditScope.Run));

        // A cluster made before the setting (fleet topics as many as the inputs) is refused at start, in one line per topic.
        var problems = TopicAudit.Problems(required, Healthy(), AuditScope.Run);
        Assert.Equal(
            ["topic app-fleet-repartition has 4 partitions; it must have exactly 2 (Detector:FleetPartitions is 2)",
             "topic app-fleet-state-changelog has 4 partitions; it must have exactly 2 (Detector:FleetPartitions is 2)"],
            problems);
    }

    [Fact]
    public void FleetPartitions_below_zero_is_a_configuration_error_naming_it()
    {
        Assert.Contains("FleetPartitions must be >= 0 (0 = as many as the inputs)", (Options with { FleetPartitions = -1 }).Validate());
        Assert.DoesNotContain((Options with { FleetPartitions = 0 }).Validate(), e => e.Contains("FleetPartitions", StringComparison.Ordinal));
    }

    [Fact]
    public void The_breaker_topics_must_have_exactly_one_partition()
    {
        var cluster = With(Healthy(), "app-breaker-repartition", partitions: 3);
        Assert.Equal("topic app-breaker-repartition has 3 partitions; it must have exactly 1 (its stage sees every record in order)",
            Assert.Single(TopicAudit.Problems(Required, cluster, AuditScope.Run)));
    }

    [Fact]
    public void A_registry_topic_that_deletes_instead_of_compacting_is_reported()
    {
        var cluster = With(Healthy(), Options.Topics.Registry, policy: "delete");
        Assert.Equal("topic exchange.key-registry.v1 has cleanup.policy=delete; it must be compacted (cleanup.policy=compact) so the latest record per key is kept",
            Assert.Single(TopicAudit.Problems(Required, cluster, AuditScope.Check)));
    }

    [Fact]
    public void A_compacted_enforcement_topic_is_reported_because_compaction_would_drop_commands()
    {
        var cluster = With(Healthy(), Options.Topics.Enforcement, policy: "compact");
        Assert.StartsWith("topic keyshare.enforcement.v1 has cleanup.policy=compact; it must keep every record (cleanup.policy=delete)",
            Assert.Single(TopicAudit.Problems(Required, cluster, AuditScope.Check)), StringComparison.Ordinal);
    }

    [Fact]
    public void Compact_and_delete_together_count_as_compacted_and_as_keeping_records_by_time()
    {
        var cluster = With(With(Healthy(), Options.KeyStateChangelog, policy: "compact,delete"), Options.Topics.Access, policy: "delete,compact");
        Assert.Empty(TopicAudit.Problems(Required, cluster, AuditScope.Check));
    }

    [Fact]
    public void Cleanup_policies_are_not_judged_at_run_start_nor_when_the_broker_did_not_tell_them()
    {
        var cluster = With(Healthy(), Options.Topics.Registry, policy: "delete");
        Assert.Empty(TopicAudit.Problems(Required, cluster, AuditScope.Run));
        Assert.Empty(TopicAudit.Problems(Required, With(Healthy(), Options.Topics.Registry, policy: null), AuditScope.Check));
    }

    [Fact]
    public void Topics_to_create_take_the_existing_inputs_partition_count()
    {
        var cluster = new Dictionary<string, ObservedTopic>(StringComparer.Ordinal) { [Options.Topics.Access] = new(Options.Topics.Access, 6) };
        string[] inputs = [Options.Topics.Access, Options.Topics.Orders, Options.Topics.Registry, Options.Topics.Lifecycle];
        Assert.Equal(6, TopicAudit.PartitionsToCreate(0, inputs, cluster, out var none));
        Assert.Null(none);
        Assert.Null(TopicAudit.PartitionsToCreate(4, inputs, cluster, out var disagree));
        Assert.Equal("Detector:InputPartitions (--partitions) is 4 but the existing inputs have 6 partitions; topics create does not change partition counts", disagree);
        Assert.Null(TopicAudit.PartitionsToCreate(0, inputs, new Dictionary<string, ObservedTopic>(), out var unknown));
        Assert.Equal("Detector:InputPartitions (--partitions) is required: no input topic exists yet to take the count from", unknown);
        Assert.Equal(12, TopicAudit.PartitionsToCreate(12, inputs, new Dictionary<string, ObservedTopic>(), out _));
    }

    [Fact]
    public void The_create_request_names_the_cleanup_policy_of_every_topic_explicitly()
    {
        var specs = ClusterTopics.Specifications(Required);
        Assert.All(specs, s => Assert.Equal(Required.Single(r => r.Name == s.Name).Compacted ? "compact" : "delete", s.Configs["cleanup.policy"]));
        Assert.Equal(4, specs.Single(s => s.Name == Options.Topics.Lifecycle).NumPartitions);
        Assert.Equal(1, specs.Single(s => s.Name == "app-breaker-state-changelog").NumPartitions);
    }
}
