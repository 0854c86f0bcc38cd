using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.Signals;
using static KeyShareDetector.Detection.Tests.Signals.Ctx;

namespace KeyShareDetector.Detection.Tests.Signals;

public class IpDiversityTests
{
    private static readonly IpDiversityRule Rule = new();
    private const long Min = 60_000;

    private static List<SignalFinding> Run(params AccessContext[] contexts)
    {
        var agg = new IpDiversityAggregate(Rule);
        var findings = new List<SignalFinding>();
        long streamTime = long.MinValue;
        foreach (var c in contexts)
        {
            streamTime = Math.Max(streamTime, c.Event.Ts);
            agg.OnAccess(c, Rule, streamTime, findings);
        }
        return findings;
    }

    [Fact]
    public void Three_ASNs_within_one_window_fire_with_the_networks_named()
    {
        var f = Run(Of("81.2.69.10", T0, Places.Seoul), Of("5.6.7.8", T0 + Min, Places.Frankfurt), Of("41.58.1.1", T0 + (2 * Min), Places.Lagos));
        var finding = Assert.Single(f);
        Assert.Equal("IP_DIVERSITY", finding.Code);
        Assert.Contains("AS29465", finding.Reason.Subjects);
        Assert.Equal(3, finding.Reason.Metrics.Single(m => m.Name == "distinct_countries").Value);
    }

    [Fact]
    public void A_vpn_switched_on_between_home_and_mobile_is_not_a_third_network_unless_the_rule_counts_hosting()
    {
        AccessContext[] owner = [Of("81.2.69.10", T0, Places.Seoul), Of("5.6.7.8", T0 + Min, Places.FrankfurtVpn), Of("211.234.1.2", T0 + (2 * Min), Places.SeoulMobile)];
        Assert.Empty(Run(owner));

        var counting = Rule with { CountHosting = true };
        var agg = new IpDiversityAggregate(counting);
        var findings = new List<SignalFinding>();
        foreach (var c in owner) agg.OnAccess(c, counting, c.Event.Ts, findings);
        var f = Assert.Single(findings);
        Assert.Equal(3, f.Reason.Metrics.Single(m => m.Name == "distinct_networks").Value);
        Assert.Equal(2, f.Reason.Metrics.Single(m => m.Name == "distinct_countries").Value);
    }

    [Fact]
    public void Mobile_churn_across_many_prefixes_inside_one_carrier_ASN_does_not_fire()
    {
        var contexts = Enumerable.Range(0, 40).Select(i => Of($"211.234.{i}.{i + 1}", T0 + (i * 10_000), Places.SeoulMobile)).ToArray();
        Assert.Empty(Run(contexts));
    }

    [Fact]
    public void A_multi_server_bot_on_its_registered_cidrs_does_not_fire()
    {
        var contexts = new[] { Places.Seoul, Places.Tokyo, Places.Frankfurt, Places.Lagos }
            .Select((g, i) => Of($"10{i}.1.1.1", T0 + i, g, hasAllowlist: true, registered: true)).ToArray();
        Assert.Empty(Run(contexts));
    }

    [Fact]
    public void A_copy_trading_platform_on_its_published_cidrs_does_not_fire()
    {
        var contexts = new[] { Places.Seoul, Places.Tokyo, Places.Frankfurt }
            .Select((g, i) => Of($"10{i}.2.2.2", T0 + i, g, hasAllowlist: true, registered: true, platform: true)).ToArray();
        Assert.Empty(Run(contexts));
    }

    [Fact]
    public void Networks_that_never_share_a_window_do_not_fire()
    {
        // Buckets 0, 5 and 10: window [0, 10) holds the first two, [1, 11) the last two; none holds all three.
        Assert.Empty(Run(Of("81.2.69.10", T0, Places.Seoul), Of("5.6.7.8", T0 + (5 * Min), Places.Frankfurt), Of("41.58.1.1", T0 + (10 * Min), Places.Lagos)));
    }

    [Fact]
    public void Networks_in_the_first_and_last_minute_of_one_window_fire()
    {
        Assert.Single(Run(Of("81.2.69.10", T0, Places.Seoul), Of("5.6.7.8", T0 + (5 * Min), Places.Frankfurt), Of("41.58.1.1", T0 + (10 * Min) - 1, Places.Lagos)));
    }

    [Fact]
    public void An_out_of_order_record_within_grace_is_counted()
    {
        Assert.Single(Run(Of("81.2.69.10", T0 + (2 * Min), Places.Seoul), Of("5.6.7.8", T0 + (2 * Min) + 1, Places.Frankfurt), Of("41.58.1.1", T0 + (2 * Min) - 20_000, Places.Lagos)));
    }

    [Fact]
    public void Without_geo_three_prefixes_count_as_three_networks()
    {
        Assert.Single(Run(Of("81.2.69.10", T0), Of("203.0.113.7", T0 + 1), Of("198.51.100.23", T0 + 2)));
    }
}
