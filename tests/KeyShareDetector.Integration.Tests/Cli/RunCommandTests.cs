using System.Diagnostics;
using System.Net.Http;
using Confluent.Kafka;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Integration.Tests.Support;
using KeyShareDetector.Streams;
using KeyShareDetector.Streams.Embedded;
using KeyShareDetector.Streams.Topology;

namespace KeyShareDetector.Integration.Tests.Cli;

/// <summary>`keyshare run` as a child process against an embedded broker this test owns.</summary>
public sealed class RunCommandTests : IDisposable
{
    private const string Secret = "run-command-test-secret-0123456789";
    private readonly EmbeddedKafkaCluster _cluster = new();
    private readonly string _stateDir = Path.Combine(Path.GetTempPath(), "keyshare-run-test-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        _cluster.Dispose();
        if (Directory.Exists(_stateDir)) Directory.Delete(_stateDir, recursive: true);
    }

    private static async Task<(int Exit, string Stderr)> RunToExitAsync(string[] args, string? secret = Secret)
    {
        var start = KeyshareCli.Start(["run", .. args]);
        if (secret is not null) start.Environment["KEYSHARE_SIGNING_SECRET"] = secret;
        using var p = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stderr = p.StandardError.ReadToEndAsync(timeout.Token);
        _ = p.StandardOutput.ReadToEndAsync(timeout.Token);
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stderr);
    }

    private void CreateTopics(int accessPartitions = 2, int otherPartitions = 2)
    {
        var options = new DetectorOptions { BootstrapServers = _cluster.BootstrapServers, ApplicationId = "run-it", InputPartitions = otherPartitions };
        _cluster.CreateTopic(options.Topics.Access, accessPartitions);
        _cluster.EnsureAsync(DetectorTopology.RequiredTopics(options), CancellationToken.None).GetAwaiter().GetResult();
    }

    [Fact]
    public async Task Missing_bootstrap_servers_fail_at_start_with_one_line_naming_the_setting()
    {
        var (exit, stderr) = await RunToExitAsync([]);
        Assert.Equal(2, exit);
        Assert.Equal("configuration error: Kafka:BootstrapServers is required (or KAFKA_BOOTSTRAP_SERVERS)", stderr.Trim());
    }

    [Fact]
    public async Task An_unknown_sasl_mechanism_fails_at_start()
    {
        var (exit, stderr) = await RunToExitAsync([$"--Kafka:BootstrapServers={_cluster.BootstrapServers}", "--Kafka:SecurityProtocol=SaslSsl", "--Kafka:SaslMechanism=KERBEROS", "--Kafka:SaslUsername=u"]);
        Assert.Equal(2, exit);
        Assert.Contains("Kafka:SaslMechanism 'KERBEROS' is not one of", Assert.Single(stderr.Trim().Split('\n')), StringComparison.Ordinal);
    }

    /// <summary>A detector setting out of its bounds: exit 2 and exactly one line, naming the setting and its bound.</summary>
    [Theory]
    [InlineData("--Detector:SessionTimeoutMs=500", "configuration error: Detector:SessionTimeoutMs must be 0 (the client default) or >= 3000")]
    [InlineData("--Detector:StallTimeoutSeconds=2", "configuration error: Detector:StallTimeoutSeconds must be at least 5 (tasks beat once a second)")]
    [InlineData("--Detector:KeyStateFormat=7", "configuration error: Detector:KeyStateFormat must be 8 (while upgrading from a release that does not read 9) or 9")]
    [InlineData("--Detector:FleetPartitions=-1", "configuration error: Detector:FleetPartitions must be >= 0 (0 = as many as the inputs)")]
    public async Task A_detector_setting_out_of_bounds_fails_at_start_with_one_line_naming_it(string setting, string line)
    {
        var (exit, stderr) = await RunToExitAsync([$"--Kafka:BootstrapServers={_cluster.BootstrapServers}", setting]);
        Assert.Equal(2, exit);
        Assert.Equal(line, Assert.Single(stderr.Trim().Split('\n')));
    }

    [Fact]
    public async Task An_unreadable_signing_secret_file_fails_at_start_without_printing_a_secret()
    {
        var (exit, stderr) = await RunToExitAsync([$"--Kafka:BootstrapServers={_cluster.BootstrapServers}", "--Signing:SecretFile=/nonexistent/secret"], secret: null);
        Assert.Equal(2, exit);
        Assert.Contains("Signing:SecretFile: '/nonexistent/secret' cannot be read", Assert.Single(stderr.Trim().Split('\n')), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_client_setting_of_the_wrong_type_fails_at_start_with_one_line_naming_it()
    {
        var (exit, stderr) = await RunToExitAsync([$"--Kafka:BootstrapServers={_cluster.BootstrapServers}", "--Kafka:Streamiz:fetch.wait.max.ms=soon"]);
        Assert.Equal(2, exit);
        Assert.StartsWith("configuration error: Kafka:Streamiz:fetch.wait.max.ms: ", Assert.Single(stderr.Trim().Split('\n')), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fleet_topics_made_with_another_count_than_Detector_FleetPartitions_are_refused_naming_it()
    {
        // Made as `topics create` makes them by default: the fleet stage as many partitions as the inputs (2).
        CreateTopics();
        var (exit, stderr) = await RunToExitAsync([$"--Kafka:BootstrapServers={_cluster.BootstrapServers}", "--Detector:ApplicationId=run-it", "--Detector:FleetPartitions=1"]);
        Assert.Equal(2, exit);
        Assert.Equal(
            ["configuration error: topic run-it-fleet-repartition has 2 partitions; it must have exactly 1 (Detector:FleetPartitions is 1)",
             "configuration error: topic run-it-fleet-state-changelog has 2 partitions; it must have exactly 1 (Detector:FleetPartitions is 1)"],
            stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task Inputs_that_are_not_co_partitioned_are_refused()
    {
        CreateTopics(accessPartitions: 4, otherPartitions: 2);
        // The application id the topics were made for: the run requires the key feedback topic, which it only names.
        var (exit, stderr) = await RunToExitAsync([$"--Kafka:BootstrapServers={_cluster.BootstrapServers}", "--Detector:ApplicationId=run-it"]);
        Assert.Equal(2, exit);
        Assert.Equal("configuration error: inputs are not co-partitioned: exchange.api-access.v1 has 4, exchange.orders.v1 has 2, exchange.key-registry.v1 has 2, exchange.key-lifecycle.v1 has 2 partitions;"
            + " they must be equal (a key's records from every input must meet in one task)", Assert.Single(stderr.Trim().Split('\n')));
    }

    [Fact]
    public async Task An_internal_topic_merged_with_the_inputs_but_not_co_partitioned_with_them_is_refused()
    {
        var options = new DetectorOptions { BootstrapServers = _cluster.BootstrapServers, ApplicationId = "run-it", InputPartitions = 2 };
        _cluster.CreateTopic(options.KeyFeedbackTopic, 3);
        await _cluster.EnsureAsync(DetectorTopology.RequiredTopics(options), CancellationToken.None);
        var (exit, stderr) = await RunToExitAsync([$"--Kafka:BootstrapServers={_cluster.BootstrapServers}", "--Detector:ApplicationId=run-it"]);
        Assert.Equal(2, exit);
        Assert.Equal("configuration error: topic run-it-key-feedback has 3 partitions but the inputs it is co-partitioned with have 2; they must be equal",
            Assert.Single(stderr.Trim().Split('\n')));
    }

    [Fact]
    public async Task It_becomes_ready_processes_traffic_serves_metrics_with_lag_latency_and_store_sizes_and_exits_0_on_SIGTERM()
    {
        CreateTopics();
        using var run = RunProcess.Start(new Dictionary<string, string>
        {
            ["Kafka:BootstrapServers"] = _cluster.BootstrapServers, ["Detector:ApplicationId"] = "run-it", ["Detector:StateDir"] = _stateDir, ["Detector:ReplicationFactor"] = "1",
        }, Secret);
        await run.WaitReadyAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(200, run.Status("/healthz"));

        int partition;
        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = _cluster.BootstrapServers, Partitioner = Partitioner.Murmur2Random }).Build())
        {
            long ts = 1_767_225_600_000;
            partition = -1;
            foreach (var ip in new[] { "81.2.69.10", "203.0.113.7", "198.51.100.23" })
            {
                var e = new AccessEvent { EventId = "e-" + ip, Ts = ts++, ApiKeyId = "k1", AccountId = "a1", Ip = ip, UserAgent = "ua", Endpoint = "/v1/orders" };
                var report = await producer.ProduceAsync(Topics.Access, new Message<string, byte[]> { Key = "k1", Value = ContractCodecs.Access.SerializeJson(e), Timestamp = new Timestamp(e.Ts, TimestampType.CreateTime) });
                partition = report.Partition.Value;
            }
        }
        string lagSeries = $"keyshare_consumer_lag_records{{topic=\"{Topics.Access}\",partition=\"{partition}\"}}";
        string metrics = "";
        await Eventually.WaitAsync(() =>
        {
            metrics = run.Metrics();
            return metrics.Contains("keyshare_commands_total{action=\"WARN\"} 1", StringComparison.Ordinal) && RunProcess.Value(metrics, lagSeries) == 0
                // The breaker's state, the command id it passed and that id's ring slot (RecentCommandIds).
                && RunProcess.Value(metrics, "keyshare_state_store_entries{store=\"breaker-state\"}") == 3;
        }, TimeSpan.FromSeconds(60), "/metrics counted the WARN, the access partition caught up and the breaker stored its state");
        Assert.Contains("keyshare_records_in_total{topic=\"exchange.api-access.v1\"} 3", metrics, StringComparison.Ordinal);
        Assert.Equal(3, RunProcess.Value(metrics, "keyshare_stage_duration_seconds_count{stage=\"parse\"}"));
        Assert.True(RunProcess.Value(metrics, "keyshare_stage_duration_seconds_count{stage=\"key_risk\"}") >= 3);
        Assert.Equal(1, RunProcess.Value(metrics, "keyshare_stage_duration_seconds_count{stage=\"breaker\"}"));
        Assert.True(RunProcess.Value(metrics, "keyshare_stage_duration_seconds_sum{stage=\"parse\"}") > 0);
        Assert.Equal(1, RunProcess.Value(metrics, "keyshare_event_age_seconds_count{point=\"enforcement\"}"));
        // The events are from 2026-01-01: older than the last bound, so every one is in +Inf only.
        Assert.Equal(0, RunProcess.Value(metrics, "keyshare_event_age_seconds_bucket{point=\"parse\",le=\"3600\"}"));
        Assert.Equal(3, RunProcess.Value(metrics, "keyshare_event_age_seconds_bucket{point=\"parse\",le=\"+Inf\"}"));
        Assert.Equal(1, RunProcess.Value(metrics, "keyshare_state_store_entries{store=\"key-risk-state\"}"));
        // Every task's thread comes round: not stalled, and alive.
        Assert.Equal(0, RunProcess.Value(metrics, "keyshare_stream_stalled_seconds"));
        Assert.Equal(200, run.Status("/healthz"));

        Assert.Equal(0, await run.TerminateAsync(TimeSpan.FromSeconds(30)));
    }
}
