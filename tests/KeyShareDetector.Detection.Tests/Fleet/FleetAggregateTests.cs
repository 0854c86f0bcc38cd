using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Fleet;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.Geo;
using static KeyShareDetector.Detection.Tests.TestEvents;

namespace KeyShareDetector.Detection.Tests.Fleet;

public class FleetAggregateTests
{
    private static readonly CrossAccountRule Cross = new();
    private static readonly MassCompromiseRule Mass = new();
    private const long Min = 60_000;

    private static List<FleetOutcome> Run(params FleetObservation[] observations)
    {
        var agg = FleetAggregate.For(observations[0], Cross, Mass);
        return observations.Select(o => agg.OnObservation(o, Cross, Mass)).ToList();
    }

    private static FleetObservation Ip(string account, long ts, string ip = "81.2.69.10") => new(FleetDimension.Ip, ip, "key-" + account, account, ts);

    private static FleetObservation New(int key, long ts) => new(FleetDimension.NewNetwork, "AS666", $"key-{key:D3}", $"acct-{key:D3}", ts);

    [Fact]
    public void Three_accounts_on_one_ip_within_a_window_tell_each_of_their_keys()
    {
        var outcomes = Run(Ip("a", T0), Ip("b", T0 + Min), Ip("c", T0 + (2 * Min)));
        var findings = outcomes[^1].Findings;
        Assert.Equal(["key-a", "key-b", "key-c"], findings.Select(f => f.ApiKeyId));
        Assert.All(findings, f => Assert.Equal("CROSS_ACCOUNT_IP", f.Finding.Code));
        Assert.Contains("81.2.69.10", findings[0].Finding.Reason.Subjects);
    }

    [Fact]
    public void Two_accounts_on_one_ip_are_a_household_not_a_finding()
    {
        Assert.All(Run(Ip("a", T0), Ip("b", T0 + 1), Ip("a", T0 + 2)), o => Assert.Empty(o.Findings));
    }

    [Fact]
    public void One_account_with_many_keys_on_one_ip_counts_once()
    {
        var agg = FleetAggregate.For(Ip("a", T0), Cross, Mass);
        for (int i = 0; i < 10; i++) Assert.Empty(agg.OnObservation(new FleetObservation(FleetDimension.Ip, "81.2.69.10", $"key-{i}", "acct-same", T0 + i), Cross, Mass).Findings);
    }

    [Fact]
    public void Accounts_further_apart_than_the_window_do_not_add_up()
    {
        Assert.All(Run(Ip("a", T0), Ip("b", T0 + (6 * Min)), Ip("c", T0 + (12 * Min))), o => Assert.Empty(o.Findings));
    }

    [Fact]
    public void An_out_of_order_observation_within_grace_counts()
    {
        Assert.NotEmpty(Run(Ip("a", T0 + (5 * Min)), Ip("b", T0 + (5 * Min)), Ip("c", T0 + (5 * Min) - 20_000))[^1].Findings);
    }

    [Fact]
    public void A_key_is_told_once_per_window_not_on_every_further_account()
    {
        var outcomes = Run(Ip("a", T0), Ip("b", T0 + 1), Ip("c", T0 + 2), Ip("d", T0 + 3));
        Assert.Equal(["key-d"], outcomes[^1].Findings.Select(f => f.ApiKeyId));
    }

    [Fact]
    public void Twenty_keys_on_a_network_new_to_each_raise_one_critical_alert()
    {
        var agg = FleetAggregate.For(New(0, T0), Cross, Mass);
        var outcomes = Enumerable.Range(0, 25).Select(i => agg.OnObservation(New(i, T0 + (i * 10_000)), Cross, Mass)).ToList();
        var alerts = outcomes.Where(o => o.Alert is not null).Select(o => o.Alert!).ToList();
        var alert = Assert.Single(alerts);
        Assert.Equal(AlertSeverity.CRITICAL, alert.Severity);
        Assert.Equal("MASS_COMPROMISE", alert.Kind);
        // The 20th key trips it and all 20 are told; each later key is told when it arrives.
        Assert.Equal(20, outcomes[19].Findings.Count);
        Assert.Equal(25, outcomes.SelectMany(o => o.Findings).Select(f => f.ApiKeyId).Distinct().Count());
        Assert.All(outcomes.SelectMany(o => o.Findings), f => Assert.Equal("MASS_COMPROMISE", f.Finding.Code));
    }

    [Fact]
    public void Nineteen_keys_on_a_new_network_are_not_a_mass_compromise()
    {
        var agg = FleetAggregate.For(New(0, T0), Cross, Mass);
        Assert.All(Enumerable.Range(0, 19).Select(i => agg.OnObservation(New(i, T0 + i), Cross, Mass)), o => Assert.Null(o.Alert));
    }

    [Fact]
    public void Fleet_state_survives_its_codec()
    {
        var agg = FleetAggregate.For(Ip("a", T0), Cross, Mass);
        agg.OnObservation(Ip("a", T0), Cross, Mass);
        agg.OnObservation(Ip("b", T0 + 1), Cross, Mass);
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) agg.WriteTo(w);
        ms.Position = 0;
        var restored = FleetAggregate.ReadFrom(new BinaryReader(ms));
        Assert.Equal(3, restored.OnObservation(Ip("c", T0 + 2), Cross, Mass).Findings.Count);
    }

    [Fact]
    public void Fleet_state_in_the_compact_format_reads_back_whole_and_format_1_still_reads()
    {
        var agg = FleetAggregate.For(Ip("a", T0), Cross, Mass);
        agg.OnObservation(Ip("a", T0), Cross, Mass);
        agg.OnObservation(Ip("b", T0 + 61_000), Cross, Mass);
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) agg.WriteTo(w);
        byte[] v1 = ms.ToArray();
        byte[] v2 = agg.Encode();
        Assert.Equal(2, v2[0]);
        Assert.True(v2.Length < v1.Length, $"format 2 takes {v2.Length} bytes, format 1 {v1.Length}");

        var fromV2 = FleetAggregate.Decode(v2);
        var fromV1 = FleetAggregate.Decode(v1);
        Assert.Equal(v2, fromV2.Encode());
        Assert.Equal(v2, fromV1.Encode());
        Assert.Equal(FleetAggregate.IsDormant(v1, T0 + 3_600_000), FleetAggregate.IsDormant(v2, T0 + 3_600_000));
        Assert.Equal(FleetAggregate.IsDormant(v1, T0 + 61_000), FleetAggregate.IsDormant(v2, T0 + 61_000));
        Assert.True(FleetAggregate.IsDormant(v2, T0 + 3_600_000));
        Assert.False(FleetAggregate.IsDormant(v2, T0 + 61_000));
        Assert.Equal(3, fromV2.OnObservation(Ip("c", T0 + 62_000), Cross, Mass).Findings.Count);
        Assert.Equal(3, fromV1.OnObservation(Ip("c", T0 + 62_000), Cross, Mass).Findings.Count);
    }
}

public class FleetObservationTests
{
    private readonly KeyRiskEngine _engine = new(DetectionPolicy.Default, TestSigner.Create(), new Places());

    /// <summary>81.x is a residential ISP, 22.x a mobile carrier (CGNAT), 34.x a cloud provider.</summary>
    private sealed class Places : IGeoLookup
    {
        public GeoInfo Lookup(System.Net.IPAddress address)
        {
            string ip = address.ToString();
            return ip.StartsWith("22.", StringComparison.Ordinal) ? new GeoInfo("KR", 37.5, 127, 9644, "SKT", false) { IsMobile = true }
                : ip.StartsWith("34.", StringComparison.Ordinal) ? new GeoInfo("US", 39, -77, 16509, "AWS", true)
                : new GeoInfo("KR", 37.5, 127, 4766, "KT", false);
        }
    }

    private IReadOnlyList<FleetObservation> Observe(string ip, long ts = T0)
    {
        var state = _engine.NewState("k");
        return _engine.OnAccess(state, Access("k", ip, ts)).Observations ?? [];
    }

    [Fact]
    public void A_residential_ip_is_reported_by_ip_and_the_prefix_dimension_is_off_by_default()
    {
        var dims = Observe("81.2.69.10").Select(o => o.Dimension).ToList();
        Assert.Contains(FleetDimension.Ip, dims);
        Assert.DoesNotContain(FleetDimension.Prefix, dims);
    }

    [Fact]
    public void A_policy_can_turn_the_prefix_dimension_on()
    {
        var engine = new KeyRiskEngine(DetectionPolicy.Default with { CrossAccount = new CrossAccountRule { MinAccountsPerPrefix = 5 } }, TestSigner.Create(), new Places());
        var observations = engine.OnAccess(engine.NewState("k"), Access("k", "81.2.69.10", T0)).Observations ?? [];
        Assert.Contains(observations, o => o.Dimension == FleetDimension.Prefix && o.Value == "81.2.69.0/24");
    }

    [Fact]
    public void Only_hosting_networks_count_towards_a_mass_compromise()
    {
        var state = _engine.NewState("k");
        for (int i = 0; i <= 6; i++) _engine.OnAccess(state, Access("k", "81.2.69.10", T0 + i));
        Assert.DoesNotContain(_engine.OnAccess(state, Access("k", "22.1.2.3", T0 + 100)).Observations ?? [], o => o.Dimension == FleetDimension.NewNetwork);
        Assert.Contains(_engine.OnAccess(state, Access("k", "34.1.2.3", T0 + 200)).Observations ?? [], o => o.Dimension == FleetDimension.NewNetwork);
    }

    [Fact]
    public void Mobile_carrier_cgnat_and_cloud_addresses_are_not_counted_across_accounts()
    {
        Assert.DoesNotContain(Observe("22.1.2.3"), o => o.Dimension is FleetDimension.Ip or FleetDimension.Prefix);
        Assert.DoesNotContain(Observe("34.1.2.3"), o => o.Dimension is FleetDimension.Ip or FleetDimension.Prefix);
    }

    [Fact]
    public void Traffic_from_a_platforms_published_cidrs_is_never_reported()
    {
        var state = _engine.NewState("k");
        _engine.OnRegistry(state, new KeyRegistryRecord { ApiKeyId = "k", AccountId = "a", AllowedCidrs = ["81.2.69.0/24"], PlatformId = "copybot", CreatedAt = T0 });
        Assert.Null(_engine.OnAccess(state, Access("k", "81.2.69.10", T0)).Observations);
    }

    [Fact]
    public void A_network_is_new_only_for_a_key_with_history()
    {
        var state = _engine.NewState("k");
        Assert.DoesNotContain(_engine.OnAccess(state, Access("k", "81.2.69.10", T0)).Observations ?? [], o => o.Dimension == FleetDimension.NewNetwork);
        for (int i = 1; i <= 6; i++) _engine.OnAccess(state, Access("k", "81.2.69.10", T0 + i));
        var observations = _engine.OnAccess(state, Access("k", "34.1.2.3", T0 + 100)).Observations ?? [];
        Assert.Contains(observations, o => o.Dimension == FleetDimension.NewNetwork && o.Value == "AS16509");
    }

    [Fact]
    public void The_same_ip_is_reported_once_per_hop()
    {
        var state = _engine.NewState("k");
        _engine.OnAccess(state, Access("k", "81.2.69.10", T0));
        Assert.DoesNotContain(_engine.OnAccess(state, Access("k", "81.2.69.10", T0 + 1000)).Observations ?? [], o => o.Dimension == FleetDimension.Ip);
    }
}
