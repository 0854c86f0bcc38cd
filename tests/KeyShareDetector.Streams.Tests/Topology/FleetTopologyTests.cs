using System.Text;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Streams.Observability;
using KeyShareDetector.Streams.Policy;
using KeyShareDetector.Streams.Topology;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Mock;
using Streamiz.Kafka.Net.SerDes;

namespace KeyShareDetector.Streams.Tests.Topology;

public sealed class FleetTopologyTests : IDisposable
{
    private const long T0 = 1_767_225_600_000;
    // The synchronous test driver gives every internal-topic record offset 0 (see DetectorOptions.SkipRedelivered).
    private readonly DetectorOptions _options = new() { BootstrapServers = "unused:9092", ApplicationId = "fleet-test", SkipRedelivered = false };
    private readonly TopologyTestDriver _driver;
    private readonly TestInputTopic<byte[], byte[]> _access;
    private readonly TestOutputTopic<string, byte[]> _features;
    private readonly TestOutputTopic<string, byte[]> _alerts;

    public FleetTopologyTests()
    {
        var signer = new CommandSigner("test-key", Encoding.UTF8.GetBytes("fleet-test-secret-12345678"));
        var topology = DetectorTopology.Build(_options, new LivePolicy(PolicyBook.Single(DetectionPolicy.Default, signer, new Networks())), new DetectorMetrics(), WireCodecs.Create());
        _driver = TestDrivers.For(topology, _options);
        _access = _driver.CreateInputTopic<byte[], byte[]>(_options.Topics.Access, new ByteArraySerDes(), new ByteArraySerDes());
        _features = _driver.CreateOutputTopic<string, byte[]>(_options.Topics.Features, TimeSpan.FromSeconds(1), new StringSerDes(), new ByteArraySerDes());
        _alerts = _driver.CreateOutputTopic<string, byte[]>(_options.Topics.Alerts, TimeSpan.FromSeconds(1), new StringSerDes(), new ByteArraySerDes());
    }

    public void Dispose() => _driver.Dispose();

    /// <summary>45.9.0.0/16 is a hosting provider (an attacker's rented servers); 81.k.x.x is home ISP number k in Korea.</summary>
    private sealed class Networks : Detection.Geo.IGeoLookup
    {
        public Detection.Geo.GeoInfo Lookup(System.Net.IPAddress address)
        {
            var b = address.GetAddressBytes();
            return b[0] == 45 ? new Detection.Geo.GeoInfo("NL", 52.37, 4.9, 14061, "DigitalOcean", true)
                : new Detection.Geo.GeoInfo("KR", 37.56, 126.97, 64_500 + b[1], "ISP", false);
        }
    }

    private void Pipe(string key, string account, string ip, long ts) =>
        _access.PipeInput(Encoding.UTF8.GetBytes(key), ContractCodecs.Access.SerializeJson(new AccessEvent
        {
            EventId = $"{key}-{ts}", Ts = ts, ApiKeyId = key, AccountId = account, Ip = ip, UserAgent = "ua", Endpoint = "/v1/ticker",
        }), DateTime.UnixEpoch.AddMilliseconds(ts));

    private List<FeatureSnapshot> Snapshots() => _features.ReadKeyValueList().Select(r => ContractCodecs.Features.Deserialize(r.Message.Value)).ToList();

    [Fact]
    public void Three_accounts_behind_one_ip_each_get_the_cross_account_evidence()
    {
        Pipe("k1", "alice", "81.2.69.10", T0);
        Pipe("k2", "bob", "81.2.69.10", T0 + 1000);
        Pipe("k3", "carol", "81.2.69.10", T0 + 2000);
        // The test driver moves records through the fleet loop (repartition, then feedback topic) as later input
        // arrives; one unrelated record drains it.
        Pipe("k9", "zed", "198.51.100.1", T0 + 3000);

        var snapshots = Snapshots();
        foreach (var key in new[] { "k1", "k2", "k3" })
        {
            Assert.Contains(snapshots, s => s.ApiKeyId == key && s.Findings.Any(f => f.Code == "CROSS_ACCOUNT_IP" && f.Subjects.Contains("81.2.69.10")));
        }
    }

    [Fact]
    public void Keys_of_one_account_behind_one_ip_are_not_cross_account()
    {
        Pipe("k1", "alice", "81.2.69.10", T0);
        Pipe("k2", "alice", "81.2.69.10", T0 + 1000);
        Pipe("k3", "alice", "81.2.69.10", T0 + 2000);
        Pipe("k9", "zed", "198.51.100.1", T0 + 3000);
        Assert.DoesNotContain(Snapshots(), s => s.Findings.Any(f => f.Code.StartsWith("CROSS_ACCOUNT", StringComparison.Ordinal)));
    }

    [Fact]
    public void Many_keys_suddenly_used_from_one_new_network_raise_a_mass_compromise_alert()
    {
        // 25 keys with ordinary history, each from its own home network...
        for (int k = 0; k < 25; k++)
        {
            for (int i = 0; i < 8; i++) Pipe($"key{k:D2}", $"acct{k:D2}", $"81.{k}.1.{i + 1}", T0 + (i * 1000));
        }
        // ...then all of them from one network none of them had used (a leaked key list in one attacker's hands).
        for (int k = 0; k < 25; k++) Pipe($"key{k:D2}", $"acct{k:D2}", $"45.9.1.{k + 1}", T0 + 60_000 + (k * 5_000));

        var alerts = _alerts.ReadKeyValueList().Select(r => ContractCodecs.Alert.Deserialize(r.Message.Value)).ToList();
        var alert = Assert.Single(alerts, a => a.Kind == "MASS_COMPROMISE");
        Assert.Equal(AlertSeverity.CRITICAL, alert.Severity);
        Assert.Contains("AS14061", alert.Summary, StringComparison.Ordinal);
        Assert.Contains(Snapshots(), s => s.Findings.Any(f => f.Code == "MASS_COMPROMISE"));
    }

    /// <summary>
    /// Regression (hostile key): every IP ever seen kept an entry in the fleet store, so a key spraying thousands of IPs
    /// a second grew it without end. Entries dormant for two windows are swept as stream time passes.
    /// </summary>
    [Fact]
    public void Fleet_entries_of_ips_not_seen_for_two_windows_are_swept()
    {
        var fleet = _driver.GetKeyValueStore<string, byte[]>(DetectorOptions.FleetStore);
        for (int i = 0; i < 500; i++) Pipe("spray", "mallory", $"81.{1 + (i % 50)}.{i / 50}.{1 + (i % 200)}", T0 + i);
        long sprayed = fleet.ApproximateNumEntries();
        Assert.True(sprayed >= 500, $"{sprayed} fleet entries after 500 distinct IPs");

        // Only the calm key's IP stays active; stream time moves on past two windows, then past the next sweep.
        for (long t = T0 + 60_000; t <= T0 + 35 * 60_000; t += 60_000) Pipe("calm", "alice", "198.51.100.7", t);
        Assert.InRange(fleet.ApproximateNumEntries(), 1, 2);

        // A swept IP seen again starts afresh and still counts accounts.
        Pipe("k1", "alice", "81.2.0.2", T0 + (36 * 60_000));
        Pipe("k2", "bob", "81.2.0.2", T0 + (36 * 60_000) + 1000);
        Pipe("k3", "carol", "81.2.0.2", T0 + (36 * 60_000) + 2000);
        Pipe("k9", "zed", "198.51.100.1", T0 + (36 * 60_000) + 3000);
        Assert.Contains(Snapshots(), s => s.ApiKeyId == "k3" && s.Findings.Any(f => f.Code == "CROSS_ACCOUNT_IP" && f.Subjects.Contains("81.2.0.2")));
    }
}

