using System.Globalization;
using Confluent.Kafka;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Integration.Tests.Support;
using KeyShareDetector.Streams;
using KeyShareDetector.Streams.Embedded;
using KeyShareDetector.Streams.Topology;

namespace KeyShareDetector.Integration.Tests.Cli;

/// <summary>
/// `keyshare run` processes a first batch, gets SIGTERM, restarts with the same application id and state
/// directory and processes a second batch: it resumes from the committed position (the first batch is not read
/// again) and from the restored per-key state (a key half-seen before the restart is decided on both halves).
/// </summary>
public sealed class RunRestartTests : IDisposable
{
    private const string Secret = "run-restart-test-secret-0123456789";
    private const string AppId = "restart-it";
    private const long T0 = 1_767_225_600_000;
    private const int Partitions = 2;
    private readonly EmbeddedKafkaCluster _cluster = new();
    private readonly string _stateDir = Path.Combine(Path.GetTempPath(), "keyshare-restart-test-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        _cluster.Dispose();
        if (Directory.Exists(_stateDir)) Directory.Delete(_stateDir, recursive: true);
    }

    /// <summary>Three accesses of one key from three networks (its own IPs, so no fleet finding links keys): one WARN.</summary>
    private static IEnumerable<AccessEvent> ThreeNetworks(string key, int n, long ts) =>
        new[] { $"81.2.69.{10 + n}", $"203.0.113.{10 + n}", $"198.51.100.{10 + n}" }.Select((ip, i) => new AccessEvent
        {
            EventId = $"{key}-{i}", Ts = ts + i, ApiKeyId = key, AccountId = "acct-" + key, Ip = ip, UserAgent = "ua", Endpoint = "/v1/orders",
        });

    /// <summary>Produces keyed by api key id; returns the partitions the records landed on.</summary>
    private async Task<HashSet<int>> ProduceAsync(IEnumerable<AccessEvent> events) => [.. (await AccessProducer.ProduceAsync(_cluster.BootstrapServers, events)).Values];

    private RunProcess Start(bool exactlyOnce) => RunProcess.Start(new Dictionary<string, string>(RunProcess.QuickRebalance)
    {
        ["Kafka:BootstrapServers"] = _cluster.BootstrapServers,
        ["Detector:ApplicationId"] = AppId,
        ["Detector:StateDir"] = _stateDir,
        ["Detector:ReplicationFactor"] = "1",
        ["Detector:ExactlyOnce"] = exactlyOnce ? "true" : "false",
    }, Secret);

    private static async Task<string> WaitForMetricsAsync(RunProcess run, long recordsIn, long warns, string what)
    {
        string metrics = "";
        await Eventually.WaitAsync(() =>
        {
            metrics = run.Metrics();
            return RunProcess.Value(metrics, $"keyshare_records_in_total{{topic=\"{Topics.Access}\"}}") >= recordsIn
                && RunProcess.Value(metrics, "keyshare_commands_total{action=\"WARN\"}") >= warns;
        }, TimeSpan.FromSeconds(90), what);
        return metrics;
    }

    private long[] CommittedOffsets() => TopicReader.CommittedOffsets(_cluster.BootstrapServers, AppId, Topics.Access, Partitions);

    private long[] EndOffsets() => TopicReader.EndOffsets(_cluster.BootstrapServers, Topics.Access, Partitions);

    /// <summary>Every record of the enforcement topic, read to the end of each partition (the detector has stopped).</summary>
    private List<(EnforcementCommand Command, byte[] Bytes)> AllCommands() =>
        [.. TopicReader.ReadToEnd(_cluster.BootstrapServers, Topics.Enforcement, Partitions, TimeSpan.FromSeconds(30))
            .Select(r => (ContractCodecs.Command.Deserialize(r.Message.Value), r.Message.Value))];

    private async Task ProvisionAsync() =>
        await _cluster.EnsureAsync(DetectorTopology.RequiredTopics(new DetectorOptions { BootstrapServers = _cluster.BootstrapServers, ApplicationId = AppId, InputPartitions = Partitions }), CancellationToken.None);

    // Batch A: keys a0..a5 complete (a WARN each) and h0, h1 half-seen (two networks, no command yet).
    // Batch B: keys b0..b3 complete and the third network of h0, h1 (a WARN each only if their state survived).
    private static readonly string[] AKeys = ["a0", "a1", "a2", "a3", "a4", "a5"];
    private static readonly string[] HKeys = ["h0", "h1"];
    private static readonly string[] BKeys = ["b0", "b1", "b2", "b3"];

    private static List<AccessEvent> BatchA() =>
        [.. AKeys.SelectMany((k, i) => ThreeNetworks(k, i, T0 + i * 10)), .. HKeys.SelectMany((k, i) => ThreeNetworks(k, 20 + i, T0 + 100 + i * 10).Take(2))];

    private static List<AccessEvent> BatchB() =>
        [.. HKeys.SelectMany((k, i) => ThreeNetworks(k, 20 + i, T0 + 100 + i * 10).Skip(2).Select(e => e with { Ts = T0 + 60_000 + i })),
         .. BKeys.SelectMany((k, i) => ThreeNetworks(k, 30 + i, T0 + 60_100 + i * 10))];

    /// <summary>What one restart showed: the group's committed input offsets after the first run, the second run's counters, the enforcement topic.</summary>
    private sealed record Restart(long[] EndAfterFirst, long[] CommittedAfterFirst, string SecondMetrics, List<(EnforcementCommand Command, byte[] Bytes)> Enforcement)
    {
        public double? Second(string series) => RunProcess.Value(SecondMetrics, series);
    }

    /// <param name="secondIn">Access records the second run reads in all.</param>
    /// <param name="secondWarns">WARN commands the second run publishes in all.</param>
    private async Task<Restart> RestartAsync(bool exactlyOnce, long secondIn, long secondWarns)
    {
        await ProvisionAsync();
        using (var first = Start(exactlyOnce))
        {
            await first.WaitReadyAsync(TimeSpan.FromSeconds(90));
            await ProduceAsync(BatchA());
            await WaitForMetricsAsync(first, BatchA().Count, AKeys.Length, "the first run read batch A and warned its complete keys");
            Assert.Equal(0, await first.TerminateAsync(TimeSpan.FromSeconds(30)));
        }
        var endAfterFirst = EndOffsets();
        var committedAfterFirst = CommittedOffsets();
        string metrics;
        using (var second = Start(exactlyOnce))
        {
            await second.WaitReadyAsync(TimeSpan.FromSeconds(90));
            // Batch B lands on every partition, after whatever batch A left there: once all of B is decided, any
            // replay of A has been read already, so the counters below are final for the inputs.
            Assert.Equal(Partitions, (await ProduceAsync(BatchB())).Count);
            metrics = await WaitForMetricsAsync(second, secondIn, secondWarns, "the second run read its records and published its commands");
            Assert.Equal(0, await second.TerminateAsync(TimeSpan.FromSeconds(30)));
        }
        return new Restart(endAfterFirst, committedAfterFirst, metrics, AllCommands());
    }

    private static string Series(string name, string labels = "") => labels.Length == 0 ? name : $"{name}{{{labels}}}";

    [Fact]
    public async Task At_least_once_a_restart_resumes_from_the_committed_position_and_the_restored_state_with_no_command_repeated_or_lost()
    {
        var run = await RestartAsync(exactlyOnce: false, BatchB().Count, HKeys.Length + BKeys.Length);

        // SIGTERM committed exactly what the first run had read.
        Assert.Equal(run.EndAfterFirst, run.CommittedAfterFirst);
        Assert.Equal(BatchA().Count, run.CommittedAfterFirst.Sum());
        // After the restart only batch B was read; the half-seen keys were decided on both halves (state restored).
        Assert.Equal(BatchB().Count, run.Second(Series("keyshare_records_in_total", $"topic=\"{Topics.Access}\"")));
        Assert.Equal(HKeys.Length + BKeys.Length, run.Second(Series("keyshare_commands_decided_total")));
        Assert.Equal(HKeys.Length + BKeys.Length, run.Second(Series("keyshare_commands_total", "action=\"WARN\"")));

        var expected = AKeys.Concat(HKeys).Concat(BKeys).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, run.Enforcement.Select(c => c.Command.ApiKeyId).Order(StringComparer.Ordinal));
        Assert.All(run.Enforcement, c => Assert.Equal(EnforcementAction.WARN, c.Command.Action));
        Assert.Equal(run.Enforcement.Count, run.Enforcement.Select(c => c.Command.CommandId).Distinct(StringComparer.Ordinal).Count());
    }

    /// <summary>
    /// Exactly-once across a restart on the embedded broker, whose TxnOffsetCommit (what SendOffsetsToTransaction
    /// sends) stores nothing: no input position survives and the restarted instance reads every topic again from the
    /// start. Every stage remembers, in its changelogged state, the highest source offset it applied per partition,
    /// so the replayed inputs and the replayed breaker topic are skipped: nothing is decided or published twice. On a
    /// real broker the transactional offsets are stored and nothing is replayed in the first place.
    /// </summary>
    [Fact]
    public async Task Exactly_once_on_the_embedded_broker_replays_from_the_start_and_skips_what_it_had_applied()
    {
        var run = await RestartAsync(exactlyOnce: true, BatchA().Count + BatchB().Count, HKeys.Length + BKeys.Length);

        Assert.All(run.CommittedAfterFirst, o => Assert.Equal(Offset.Unset.Value, o));
        Assert.Equal(BatchA().Count + BatchB().Count, run.Second(Series("keyshare_records_in_total", $"topic=\"{Topics.Access}\"")));
        // Batch A read again and skipped by the per-key stage; its six commands read again and skipped by the breaker.
        Assert.Equal(BatchA().Count, run.Second(Series("keyshare_redelivered_skipped_total", "stage=\"key_risk\"")));
        Assert.Equal(AKeys.Length, run.Second(Series("keyshare_redelivered_skipped_total", "stage=\"breaker\"")));
        Assert.Equal(HKeys.Length + BKeys.Length, run.Second(Series("keyshare_commands_decided_total")));
        Assert.Equal(HKeys.Length + BKeys.Length, run.Second(Series("keyshare_commands_total", "action=\"WARN\"")));

        var expected = AKeys.Concat(HKeys).Concat(BKeys).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, run.Enforcement.Select(c => c.Command.ApiKeyId).Order(StringComparer.Ordinal));
        Assert.Equal(run.Enforcement.Count, run.Enforcement.Select(c => c.Command.CommandId).Distinct(StringComparer.Ordinal).Count());
    }
}
