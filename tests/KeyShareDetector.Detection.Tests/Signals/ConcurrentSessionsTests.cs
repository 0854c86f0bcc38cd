using KeyShareDetector.Detection.Signals;
using static KeyShareDetector.Detection.Tests.Signals.Ctx;

namespace KeyShareDetector.Detection.Tests.Signals;

public class ConcurrentSessionsTests
{
    private static readonly ConcurrentSessionsRule Rule = new();
    private const long Min = 60_000;

    private static List<SignalFinding> Run(params AccessContext[] contexts)
    {
        var agg = new ConcurrentSessionsAggregate();
        var findings = new List<SignalFinding>();
        foreach (var c in contexts) agg.OnAccess(c, Rule, findings);
        return findings;
    }

    [Fact]
    public void Three_sessions_active_at_once_from_three_networks_fire()
    {
        var f = Run(Of("81.2.69.10", T0, Places.Seoul, "s1"), Of("5.6.7.8", T0 + Min, Places.Frankfurt, "s2"), Of("41.58.1.1", T0 + (2 * Min), Places.Lagos, "s3"));
        Assert.Equal("CONCURRENT_SESSIONS", Assert.Single(f).Code);
    }

    [Fact]
    public void An_owner_running_several_bots_from_one_network_does_not_fire()
    {
        var contexts = Enumerable.Range(0, 10).Select(i => Of($"81.2.69.{i + 1}", T0 + i, Places.Seoul, "bot" + i)).ToArray();
        Assert.Empty(Run(contexts));
    }

    [Fact]
    public void Phone_and_home_at_the_same_time_are_two_networks_and_do_not_fire()
    {
        Assert.Empty(Run(Of("81.2.69.10", T0, Places.Seoul, "home"), Of("211.234.1.1", T0 + Min, Places.SeoulMobile, "phone")));
    }

    [Fact]
    public void Sessions_separated_by_more_than_the_inactivity_gap_are_not_concurrent()
    {
        Assert.Empty(Run(Of("81.2.69.10", T0, Places.Seoul, "s1"), Of("5.6.7.8", T0 + (6 * Min), Places.Frankfurt, "s2"), Of("41.58.1.1", T0 + (12 * Min), Places.Lagos, "s3")));
    }

    [Fact]
    public void Without_session_ids_ip_and_user_agent_identify_a_session()
    {
        Assert.Single(Run(Of("81.2.69.10", T0, Places.Seoul), Of("5.6.7.8", T0 + 1, Places.Frankfurt), Of("41.58.1.1", T0 + 2, Places.Lagos)));
    }

    [Fact]
    public void An_out_of_order_request_inside_the_gap_counts()
    {
        Assert.Single(Run(Of("81.2.69.10", T0 + (3 * Min), Places.Seoul, "s1"), Of("5.6.7.8", T0 + (3 * Min), Places.Frankfurt, "s2"), Of("41.58.1.1", T0 + (2 * Min), Places.Lagos, "s3")));
    }

    [Fact]
    public void Thousands_of_sessions_on_one_key_stay_within_the_cap_and_are_reported()
    {
        var agg = new ConcurrentSessionsAggregate();
        var findings = new List<SignalFinding>();
        for (int i = 0; i < 5000; i++) agg.OnAccess(Of($"81.2.{i / 250}.{i % 250}", T0 + i, Places.Seoul, "s" + i), Rule, findings);
        Assert.True(agg.Tracked <= Rule.MaxTrackedSessions);
        Assert.True(agg.Overflowed);
        Assert.Contains(findings, f => f.Code == "SESSION_CAP_EXCEEDED");
    }

    [Fact]
    public void Evidence_names_the_networks_of_the_active_sessions_in_order()
    {
        var f = Assert.Single(Run(Of("81.2.69.10", T0, Places.Seoul, "s1"), Of("5.6.7.8", T0 + Min, Places.Frankfurt, "s2"), Of("41.58.1.1", T0 + (2 * Min), Places.Lagos, "s3")));
        Assert.Equal(["AS29465", "AS3320", "AS4766"], f.Reason.Subjects);
        Assert.Equal(3, f.Reason.Metrics.Single(m => m.Name == "networks").Value);
        Assert.Equal(3, f.Reason.Metrics.Single(m => m.Name == "active_sessions").Value);
    }

    [Fact]
    public void A_session_id_seen_from_another_network_stays_one_session_in_its_first_network()
    {
        var f = Run(Of("81.2.69.10", T0, Places.Seoul, "s1"), Of("5.6.7.8", T0 + Min, Places.Frankfurt, "s1"), Of("41.58.1.1", T0 + (2 * Min), Places.Lagos, "s1"));
        Assert.Empty(f);
    }

    [Fact]
    public void Hundreds_of_active_sessions_are_counted_past_the_stack_buffer()
    {
        var rule = new ConcurrentSessionsRule { MaxTrackedSessions = 400, MinConcurrentNetworks = 200 };
        var agg = new ConcurrentSessionsAggregate();
        var findings = new List<SignalFinding>();
        for (int i = 0; i < 300; i++) agg.OnAccess(Of($"81.{i / 250}.{i % 250}.1", T0 + i, session: "s" + i), rule, findings);
        Assert.Equal(300, agg.Tracked);
        Assert.False(agg.Overflowed);
        Assert.Equal(101, findings.Count);
        Assert.Equal(300, findings[^1].Reason.Metrics.Single(m => m.Name == "networks").Value);
        Assert.Equal(Evidence.SubjectCap, findings[^1].Reason.Subjects.Count);
    }
}
