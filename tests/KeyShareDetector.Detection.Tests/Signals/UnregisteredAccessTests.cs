using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Signals;
using static KeyShareDetector.Detection.Tests.Signals.Ctx;

namespace KeyShareDetector.Detection.Tests.Signals;

public class UnregisteredAccessTests
{
    private static readonly UnregisteredAccessRule Rule = new();

    private static List<SignalFinding> Run(params AccessContext[] contexts)
    {
        var agg = new UnregisteredAccessAggregate();
        var findings = new List<SignalFinding>();
        foreach (var c in contexts) agg.OnAccess(c, Rule, findings);
        return findings;
    }

    [Fact]
    public void A_trade_from_outside_the_allowlist_fires_weighted_by_the_permission()
    {
        var f = Assert.Single(Run(Of("5.6.7.8", T0, Places.Frankfurt, hasAllowlist: true, permission: Permission.TRADE)));
        Assert.Equal("UNREGISTERED_IP", f.Code);
        Assert.Equal(Rule.TradeFactor, f.Strength);
        Assert.Equal(["5.6.7.8"], f.Reason.Subjects);
        Assert.False(f.Hard);
    }

    [Fact]
    public void A_read_weighs_less_than_a_withdrawal()
    {
        var read = Assert.Single(Run(Of("5.6.7.8", T0, hasAllowlist: true, permission: Permission.READ)));
        var withdraw = Assert.Single(Run(Of("5.6.7.8", T0, hasAllowlist: true, permission: Permission.WITHDRAW)));
        Assert.True(withdraw.Strength > read.Strength);
    }

    [Fact]
    public void A_withdrawal_abroad_while_the_owner_uses_registered_ips_at_home_is_hard_evidence()
    {
        var f = Run(
            Of("81.2.69.10", T0, Places.Seoul, hasAllowlist: true, registered: true),
            Of("5.6.7.8", T0 + 1000, Places.Frankfurt, hasAllowlist: true, permission: Permission.WITHDRAW));
        Assert.True(Assert.Single(f).Hard);
    }

    [Fact]
    public void Registered_ips_and_keys_without_an_allowlist_do_not_fire()
    {
        Assert.Empty(Run(Of("81.2.69.10", T0, hasAllowlist: true, registered: true), Of("5.6.7.8", T0 + 1, hasAllowlist: false)));
    }

    [Fact]
    public void Hits_older_than_the_lookback_are_forgotten()
    {
        var f = Run(Of("5.6.7.8", T0, hasAllowlist: true), Of("5.6.7.9", T0 + Rule.LookbackMs + 1, hasAllowlist: true));
        Assert.Equal(1, f[^1].Reason.Metrics.Single(m => m.Name == "unregistered_ips").Value);
    }

    [Fact]
    public void An_out_of_order_hit_inside_the_lookback_still_counts()
    {
        var f = Run(Of("5.6.7.8", T0 + 120_000, hasAllowlist: true), Of("5.6.7.9", T0 + 60_000, hasAllowlist: true));
        Assert.Equal(2, f[^1].Reason.Metrics.Single(m => m.Name == "unregistered_ips").Value);
    }

    [Fact]
    public void Memory_stays_bounded_under_thousands_of_unregistered_ips()
    {
        var agg = new UnregisteredAccessAggregate();
        var findings = new List<SignalFinding>();
        for (int i = 0; i < 5000; i++) agg.OnAccess(Of($"5.6.{i / 250}.{i % 250}", T0 + i, hasAllowlist: true), Rule, findings);
        Assert.Equal(UnregisteredAccessAggregate.Cap, agg.Hits);
    }
}
