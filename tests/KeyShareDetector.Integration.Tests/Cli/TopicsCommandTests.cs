using System.Diagnostics;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using KeyShareDetector.Integration.Tests.Support;
using KeyShareDetector.Streams;
using KeyShareDetector.Streams.Embedded;
using KeyShareDetector.Streams.Topology;

namespace KeyShareDetector.Integration.Tests.Cli;

/// <summary>
/// `keyshare topics create|check` as a child process. The embedded broker (librdkafka's mock cluster) answers
/// metadata but has no controller, so CreateTopics and DescribeConfigs time out on it: these tests check what it
/// can show (missing topics, partition counts, co-partitioning, the exact failure lines) and
/// <see cref="TopicsOnTheTestClusterTests"/> checks creation and compaction where a real broker is configured.
/// </summary>
public sealed class TopicsCommandTests : IDisposable
{
    private const string AppId = "topics-it";
    private readonly EmbeddedKafkaCluster _cluster = new();

    public void Dispose() => _cluster.Dispose();

    private DetectorOptions Options(int partitions = 2) => new() { BootstrapServers = _cluster.BootstrapServers, ApplicationId = AppId, InputPartitions = partitions };

    internal static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var p = Process.Start(KeyshareCli.Start(["topics", .. args]))!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var stdout = p.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = p.StandardError.ReadToEndAsync(timeout.Token);
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private string[] Args(params string[] more) => ["--bootstrap-servers", _cluster.BootstrapServers, "--application-id", AppId, "--timeout", "2", .. more];

    [Fact]
    public async Task Check_passes_on_a_provisioned_cluster_and_says_that_cleanup_policies_were_not_verified()
    {
        await _cluster.EnsureAsync(DetectorTopology.RequiredTopics(Options()), CancellationToken.None);
        var (exit, stdout, stderr) = await RunAsync(["check", .. Args("--skip-cleanup-policy")]);
        Assert.Equal(0, exit);
        Assert.Equal("", stderr);
        var lines = Lines(stdout);
        Assert.StartsWith("note: cleanup.policy not verified (", lines[0], StringComparison.Ordinal);
        Assert.Equal("ok: all 17 topics exist; partitions by co-partitioned group: per-key 2, breaker 1, fleet 2", lines[1]);
    }

    [Fact]
    public async Task Check_fails_when_the_broker_cannot_tell_cleanup_policies_unless_told_to_accept_that()
    {
        await _cluster.EnsureAsync(DetectorTopology.RequiredTopics(Options()), CancellationToken.None);
        var (exit, _, stderr) = await RunAsync(["check", .. Args()]);
        Assert.Equal(1, exit);
        Assert.StartsWith("problem: cleanup.policy not verified: ", Assert.Single(Lines(stderr)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_names_every_input_and_its_partition_count_when_inputs_are_not_co_partitioned()
    {
        var options = Options();
        _cluster.CreateTopic(options.Topics.Registry, 3);
        await _cluster.EnsureAsync(DetectorTopology.RequiredTopics(options), CancellationToken.None);
        var (exit, _, stderr) = await RunAsync(["check", .. Args("--skip-cleanup-policy")]);
        Assert.Equal(1, exit);
        Assert.Equal("problem: inputs are not co-partitioned: exchange.api-access.v1 has 2, exchange.orders.v1 has 2, exchange.key-registry.v1 has 3, exchange.key-lifecycle.v1 has 2 partitions;"
            + " they must be equal (a key's records from every input must meet in one task)", Assert.Single(Lines(stderr)));
    }

    [Fact]
    public async Task Check_reports_each_missing_topic_on_its_own_line()
    {
        var options = Options();
        await _cluster.EnsureAsync(DetectorTopology.RequiredTopics(options).Where(t => t.Name != options.Topics.Lifecycle && t.Name != options.KeyStateChangelog), CancellationToken.None);
        var (exit, _, stderr) = await RunAsync(["check", .. Args("--skip-cleanup-policy")]);
        Assert.Equal(1, exit);
        Assert.Equal(
            [
                "problem: topic exchange.key-lifecycle.v1 is missing (keyshare topics create makes it: 2 partitions)",
                "problem: topic topics-it-key-risk-state-changelog is missing (keyshare topics create makes it: 2 partitions, compacted)",
            ],
            Lines(stderr));
    }

    [Fact]
    public async Task Create_with_nothing_missing_creates_nothing_and_checks_the_rest()
    {
        await _cluster.EnsureAsync(DetectorTopology.RequiredTopics(Options()), CancellationToken.None);
        var (exit, stdout, stderr) = await RunAsync(["create", .. Args("--skip-cleanup-policy")]);
        Assert.Equal(0, exit);
        Assert.Equal("", stderr);
        Assert.Equal("nothing to create: every topic exists", Lines(stdout)[0]);
        Assert.StartsWith("ok: all 17 topics exist", Lines(stdout)[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_takes_the_partition_count_of_existing_inputs_and_refuses_another()
    {
        _cluster.CreateTopic(Options().Topics.Access, 3);
        var (exit, _, stderr) = await RunAsync(["create", .. Args("--partitions", "5")]);
        Assert.Equal(2, exit);
        Assert.Equal("configuration error: Detector:InputPartitions (--partitions) is 5 but the existing inputs have 3 partitions; topics create does not change partition counts",
            Assert.Single(Lines(stderr)));
    }

    [Fact]
    public async Task Create_on_the_embedded_broker_reports_each_topic_it_could_not_create()
    {
        var options = Options();
        await _cluster.EnsureAsync(DetectorTopology.RequiredTopics(options).Where(t => t.Role != Streams.Provisioning.TopicRole.Internal), CancellationToken.None);
        var (exit, stdout, stderr) = await RunAsync(["create", .. Args()]);
        Assert.Equal(1, exit);
        var internalTopics = DetectorTopology.RequiredTopics(options).Where(t => t.Role == Streams.Provisioning.TopicRole.Internal).Select(t => t.Name).ToList();
        var failed = Lines(stderr);
        Assert.Equal(internalTopics.Count, failed.Length);
        Assert.All(internalTopics, name => Assert.Contains(failed, l => l.StartsWith($"problem: could not create topic {name}: ", StringComparison.Ordinal)));
        Assert.DoesNotContain("created ", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_broker_is_a_configuration_error_in_one_line()
    {
        var (exit, _, stderr) = await RunAsync("check", "--bootstrap-servers", "127.0.0.1:1", "--timeout", "2");
        Assert.Equal(2, exit);
        Assert.StartsWith("configuration error: Kafka:BootstrapServers: cannot read metadata from 127.0.0.1:1", Assert.Single(Lines(stderr)), StringComparison.Ordinal);
    }
}

/// <summary>
/// `topics create` then `topics check` on the test cluster (<see cref="KafkaEnvironment"/>): on a real broker
/// (KAFKA_BOOTSTRAP_SERVERS or Testcontainers) every topic is created with its partitions and cleanup.policy and
/// the check passes with cleanup policies verified; on the embedded broker creation fails topic by topic.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class TopicsOnTheTestClusterTests(KafkaEnvironment kafka)
{
    [Fact]
    public async Task Create_makes_every_topic_with_its_partitions_and_cleanup_policy_where_the_broker_can()
    {
        string appId = "topics-" + Guid.NewGuid().ToString("N")[..8];
        var options = new DetectorOptions { BootstrapServers = kafka.BootstrapServers, ApplicationId = appId, InputPartitions = 3 };
        var required = DetectorTopology.RequiredTopics(options);
        // Shared clusters keep the default input names; this test owns only its internal topics, so the inputs
        // and outputs exist first (as they would in production, made by the exchange's own tooling).
        await kafka.Provisioner.EnsureAsync(required.Where(t => t.Role != Streams.Provisioning.TopicRole.Internal), CancellationToken.None);
        string[] args = ["--bootstrap-servers", kafka.BootstrapServers, "--application-id", appId, "--replication-factor", "1", "--timeout", "5"];

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = kafka.BootstrapServers }).Build();
        // An earlier run may have made the default-named inputs with another count: created topics follow the inputs.
        int inputs = admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.Single(m => m.Topic == options.Topics.Access).Partitions.Count;
        var internalTopics = DetectorTopology.RequiredTopics(options with { InputPartitions = inputs }).Where(t => t.Role == Streams.Provisioning.TopicRole.Internal).ToList();

        var (exit, stdout, stderr) = await TopicsCommandTests.RunAsync(["create", .. args]);
        if (kafka.Kind == "embedded")
        {
            Assert.Equal(1, exit);
            Assert.Equal(internalTopics.Count, stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            return;
        }
        Assert.True(exit == 0, $"topics create exited {exit}: {stderr}");
        foreach (var t in internalTopics) Assert.Contains($"created {t.Name}: {t.Partitions} partition{(t.Partitions == 1 ? "" : "s")}, replication factor 1", stdout, StringComparison.Ordinal);

        var configs = await admin.DescribeConfigsAsync(internalTopics.Select(t => new ConfigResource { Type = ResourceType.Topic, Name = t.Name }).ToList());
        foreach (var t in internalTopics)
        {
            var policy = configs.Single(c => c.ConfigResource.Name == t.Name).Entries["cleanup.policy"].Value;
            Assert.Equal(t.Compacted ? "compact" : "delete", policy);
        }
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        foreach (var t in internalTopics) Assert.Equal(t.Partitions, metadata.Topics.Single(m => m.Topic == t.Name).Partitions.Count);

        var check = await TopicsCommandTests.RunAsync(["check", .. args]);
        Assert.True(check.Exit == 0, $"topics check exited {check.Exit}: {check.Stderr}");
        Assert.DoesNotContain("not verified", check.Stdout, StringComparison.Ordinal);
    }
}
