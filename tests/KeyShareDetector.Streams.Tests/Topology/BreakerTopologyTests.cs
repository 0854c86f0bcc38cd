using System.Net;
using System.Text;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Detection;
using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Fleet;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Streams.Observability;
using KeyShareDetector.Streams.Policy;
using KeyShareDetector.Streams.Topology;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Mock;
using Streamiz.Kafka.Net.SerDes;

namespace KeyShareDetector.Streams.Tests.Topology;

public sealed class BreakerTopologyTests : IDisposable
{
    private const long T0 = 1_767_225_600_000;
    // The synchronous test driver gives every internal-topic record offset 0 (see DetectorOptions.SkipRedelivered).
    private readonly DetectorMetrics _metrics = new();
    private readonly DetectorOptions _options = new() { BootstrapServers = "unused:9092", ApplicationId = "breaker-test", SkipRedelivered = false };
    private readonly CommandSigner _signer = new("test-key", Encoding.UTF8.GetBytes("breaker-test-secret-1234567"));
    private readonly TopologyTestDriver _driver;
    private readonly TestInputTopic<byte[], byte[]> _access;
    private readonly TestInputTopic<byte[], byte[]> _registry;
    private readonly TestOutputTopic<string, byte[]> _commands;
    private readonly TestOutputTopic<string, byte[]> _shadow;
    private readonly TestOutputTopic<string, byte[]> _alerts;

    /// <summary>81.2.69.0/24 is at home in Korea, everything else in Germany.</summary>
    private sealed class TwoCountries : IGeoLookup
    {
        public GeoInfo Lookup(IPAddress address) => address.ToString().StartsWith("81.2.69.", StringComparison.Ordinal)
            ? new GeoInfo("KR", 37.56, 126.97, 4766, "KT", false)
            : new GeoInfo("DE", 50.11, 8.68, 3320, "DTAG", false);
    }

    public BreakerTopologyTests() : this(shadow: false)
    {
    }

    private BreakerTopologyTests(bool shadow)
    {
        var policy = DetectionPolicy.Default with
        {
            Version = "breaker-test-1",
            Shadow = shadow,
            Breaker = new BreakerRule { MaxRevokes = 10, WindowMs = 60_000 },
            Ladder = new LadderRule { HardEvidenceJumps = new Dictionary<string, KeyState> { ["UNREGISTERED_IP"] = KeyState.REVOKED } },
            // Every key withdraws from one IP, which is cross-account evidence of its own; this test is about the breaker.
            CrossAccount = new CrossAccountRule { MinAccountsPerIp = 0, MinAccountsPerPrefix = 0, MinAccountsPerFingerprint = 0 },
        };
        var topology = DetectorTopology.Build(_options, new LivePolicy(PolicyBook.Single(policy, _signer, new TwoCountries())), _metrics, WireCodecs.Create());
        _driver = TestDrivers.For(topology, _options);
        _access = _driver.CreateInputTopic<byte[], byte[]>(_options.Topics.Access, new ByteArraySerDes(), new ByteArraySerDes());
        _registry = _driver.CreateInputTopic<byte[], byte[]>(_options.Topics.Registry, new ByteArraySerDes(), new ByteArraySerDes());
        _commands = _driver.CreateOutputTopic<string, byte[]>(_options.Topics.Enforcement, TimeSpan.FromSeconds(1), new StringSerDes(), new ByteArraySerDes());
        _shadow = _driver.CreateOutputTopic<string, byte[]>(_options.Topics.EnforcementShadow, TimeSpan.FromSeconds(1), new StringSerDes(), new ByteArraySerDes());
        _alerts = _driver.CreateOutputTopic<string, byte[]>(_options.Topics.Alerts, TimeSpan.FromSeconds(1), new StringSerDes(), new ByteArraySerDes());
    }

    public static BreakerTopologyTests InShadowMode() => new(shadow: true);

    public void Dispose() => _driver.Dispose();

    /// <summary>Each key: registered at home, then a withdrawal from abroad (hard evidence the policy lets jump to REVOKE).</summary>
    private void Withdrawals(int keys, long spreadMs)
    {
        for (int i = 0; i < keys; i++)
        {
            string key = $"k{i:D4}";
            long ts = T0 + (i * spreadMs / keys);
            _registry.PipeInput(Encoding.UTF8.GetBytes(key), ContractCodecs.Registry.SerializeJson(new KeyRegistryRecord
            {
                ApiKeyId = key, AccountId = "a" + key, AllowedCidrs = ["81.2.69.0/24"], Permissions = [Permission.WITHDRAW], CreatedAt = T0 - 1,
            }), DateTime.UnixEpoch.AddMilliseconds(ts));
            Pipe(key, "81.2.69.10", "/v1/account", ts);
            Pipe(key, "5.6.7.8", "/v1/withdraw", ts + 1);
        }
    }

    private void Pipe(string key, string ip, string endpoint, long ts) =>
        _access.PipeInput(Encoding.UTF8.GetBytes(key), ContractCodecs.Access.SerializeJson(new AccessEvent
        {
            EventId = $"{key}-{ts}", Ts = ts, ApiKeyId = key, AccountId = "a" + key, Ip = ip, UserAgent = "ua", Endpoint = endpoint,
        }), DateTime.UnixEpoch.AddMilliseconds(ts));

    private static List<T> Read<T>(TestOutputTopic<string, byte[]> topic, Func<byte[], T> decode) =>
        topic.ReadKeyValueList().Select(r => decode(r.Message.Value)).ToList();

    [Fact]
    public void A_policy_that_would_revoke_500_keys_in_a_minute_revokes_at_most_the_limit_downgrades_the_rest_and_pages_once()
    {
        Withdrawals(500, spreadMs: 50_000);

        var commands = Read(_commands, b => ContractCodecs.Command.Deserialize(b));
        var alerts = Read(_alerts, b => ContractCodecs.Alert.Deserialize(b));

        Assert.Equal(500, commands.Count);
        Assert.Equal(10, commands.Count(c => c.Action == EnforcementAction.REVOKE));
        Assert.Equal(490, commands.Count(c => c.Action == EnforcementAction.REAUTH));
        Assert.All(commands.Where(c => c.Action == EnforcementAction.REAUTH), c =>
        {
            Assert.Equal(KeyState.REAUTH_REQUIRED, c.NewState);
            Assert.Contains(c.Reasons, r => r.Code == "BREAKER_DOWNGRADE");
        });
        Assert.All(commands, c => Assert.True(_signer.Verify(c)));
        var critical = Assert.Single(alerts, a => a.Severity == AlertSeverity.CRITICAL);
        Assert.Equal("BREAKER_TRIPPED", critical.Kind);
        Assert.Equal(10, alerts.Count(a => a.Kind == "REVOKE_ISSUED"));
    }

    [Fact]
    public void A_downgraded_key_follows_the_rung_the_exchange_was_told_and_can_complete_reauthentication()
    {
        Withdrawals(11, spreadMs: 1_000);
        var last = Read(_commands, b => ContractCodecs.Command.Deserialize(b)).Single(c => c.ApiKeyId == "k0010");
        Assert.Equal(EnforcementAction.REAUTH, last.Action);

        var lifecycle = _driver.CreateInputTopic<byte[], byte[]>(_options.Topics.Lifecycle, new ByteArraySerDes(), new ByteArraySerDes());
        var features = _driver.CreateOutputTopic<string, byte[]>(_options.Topics.Features, TimeSpan.FromSeconds(1), new StringSerDes(), new ByteArraySerDes());
        features.ReadKeyValueList().ToList();
        lifecycle.PipeInput(Encoding.UTF8.GetBytes("k0010"), ContractCodecs.Lifecycle.SerializeJson(new KeyLifecycleEvent
        {
            EventId = "l1", Ts = T0 + 5_000, ApiKeyId = "k0010", AccountId = "ak0010", Kind = LifecycleKind.REAUTH_COMPLETED, CommandId = last.CommandId,
        }), DateTime.UnixEpoch.AddMilliseconds(T0 + 5_000));

        var snapshot = ContractCodecs.Features.Deserialize(features.ReadKeyValueList().Last().Message.Value);
        Assert.Equal(KeyState.MONITORED, snapshot.State);
    }

    /// <summary>
    /// A command decided again (the per-key state write of a crashed transaction was lost while the command reached the
    /// breaker topic) arrives at another offset with the same id: it is published once, and counts once toward the breaker.
    /// </summary>
    [Fact]
    public void A_command_that_reaches_the_breaker_twice_is_published_once()
    {
        Withdrawals(1, spreadMs: 1_000);
        var first = Assert.Single(Read(_commands, b => ContractCodecs.Command.Deserialize(b)));
        var breakerTopic = _driver.CreateInputTopic<string, byte[]>($"{_options.ApplicationId}-{DetectorTopology.BreakerTopicName}-repartition", new StringSerDes(), new ByteArraySerDes());

        breakerTopic.PipeInput(BreakerTransformer.FleetKey, ContractCodecs.Command.SerializeJson(first), DateTime.UnixEpoch.AddMilliseconds(first.IssuedAt));
        Assert.Empty(_commands.ReadKeyValueList());
        // Handled by the breaker, not published: a reader that waits for every published command waits for one.
        var counts = _metrics.Counts();
        Assert.Equal(2, counts.CommandsPassed);
        Assert.Equal(1, counts.CommandsWithheld);
        Assert.Equal(1, counts.CommandsPublished);

        // Another command still passes.
        var other = first with { CommandId = "another-id", ApiKeyId = "k9999" };
        breakerTopic.PipeInput(BreakerTransformer.FleetKey, ContractCodecs.Command.SerializeJson(other), DateTime.UnixEpoch.AddMilliseconds(first.IssuedAt));
        Assert.Equal("another-id", Assert.Single(Read(_commands, b => ContractCodecs.Command.Deserialize(b))).CommandId);
    }

    [Fact]
    public void In_shadow_mode_commands_go_to_the_shadow_topic_and_none_to_the_live_one()
    {
        using var shadow = InShadowMode();
        shadow.Withdrawals(3, spreadMs: 1_000);
        Assert.Empty(shadow._commands.ReadKeyValueList());
        var commands = Read(shadow._shadow, b => ContractCodecs.Command.Deserialize(b));
        Assert.Equal(3, commands.Count);
        Assert.All(commands, c => Assert.True(c.Shadow));
    }
}
