using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.Signals;
using static KeyShareDetector.Detection.Tests.TestEvents;

namespace KeyShareDetector.Detection.Tests.Signals;

/// <summary>
/// A withdrawal on a key that was never granted WITHDRAW, from rented servers or from abroad: somebody else's script
/// trying what the key can do. Addresses from the built-in geo table (11.106/16 OVH France, 11.1/16 Seoul home,
/// 11.10/16 Tokyo home, 11.21/16 London home).
/// </summary>
public class PermissionProbeTests
{
    private static KeyRiskEngine Engine(DetectionPolicy? policy = null) => new(policy ?? DetectionPolicy.Default, TestSigner.Create(), BuiltInGeoTable.Default);

    private static KeyRegistryRecord Registry(params Permission[] permissions) => new()
    {
        ApiKeyId = "k1", AccountId = "acct-k1", AllowedCidrs = [], CreatedAt = T0 - 86_400_000, Permissions = permissions,
    };

    private static AccessEvent Withdraw(string ip, long ts) => Access("k1", ip, ts) with
    {
        UserAgent = "python-requests/2.28.1", Endpoint = "/v1/withdraws/coin", Method = "POST", Status = 403,
    };

    private static EnforcementCommand? Decide(KeyRiskEngine engine, KeyRegistryRecord registry, AccessEvent e)
    {
        var state = engine.NewState("k1");
        engine.OnRegistry(state, registry);
        return engine.OnAccess(state, e).Command;
    }

    [Fact]
    public void A_withdrawal_on_a_trade_key_from_rented_servers_is_warned_with_the_reason()
    {
        var c = Decide(Engine(), Registry(Permission.READ, Permission.TRADE), Withdraw("11.106.0.7", T0));
        Assert.NotNull(c);
        Assert.Equal(EnforcementAction.WARN, c.Action);
        var reason = Assert.Single(c.Reasons, r => r.Code == PermissionProbe.Code);
        Assert.Contains("WITHDRAW request on a key granted only READ/TRADE, from AS16276 (hosting/VPN) in FR; status 403", reason.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void A_withdrawal_on_a_trade_key_from_a_home_line_in_the_home_market_is_not_a_probe()
    {
        Assert.Null(Decide(Engine(), Registry(Permission.READ, Permission.TRADE), Withdraw("11.1.0.10", T0)));
    }

    [Fact]
    public void A_withdrawal_the_key_was_granted_is_not_a_probe()
    {
        var findings = new List<SignalFinding>();
        var engine = Engine();
        var state = engine.NewState("k1");
        engine.OnRegistry(state, Registry(Permission.READ, Permission.TRADE, Permission.WITHDRAW));
        var c = engine.OnAccess(state, Withdraw("11.106.0.7", T0)).Command;
        Assert.DoesNotContain(c?.Reasons ?? [], r => r.Code == PermissionProbe.Code);
    }

    [Fact]
    public void An_owner_living_abroad_is_judged_against_their_own_country()
    {
        var engine = Engine();
        var state = engine.NewState("k1");
        engine.OnRegistry(state, Registry(Permission.READ, Permission.TRADE) with { AllowedCidrs = ["11.21.0.10/32"] });
        Assert.DoesNotContain(engine.OnAccess(state, Withdraw("11.21.0.10", T0)).Command?.Reasons ?? [], r => r.Code == PermissionProbe.Code);
        // From Tokyo, neither the home market nor the owner's country.
        var abroad = engine.NewState("k1");
        engine.OnRegistry(abroad, Registry(Permission.READ, Permission.TRADE) with { AllowedCidrs = ["11.21.0.10/32"] });
        Assert.Contains(engine.OnAccess(abroad, Withdraw("11.10.0.20", T0)).Command?.Reasons ?? [], r => r.Code == PermissionProbe.Code);
    }

    [Fact]
    public void The_probe_weight_is_policy_data()
    {
        var off = DetectionPolicy.Default with { PermissionProbe = new PermissionProbeRule { Weight = 0 } };
        var engine = Engine(off);
        var state = engine.NewState("k1");
        engine.OnRegistry(state, Registry(Permission.READ, Permission.TRADE));
        Assert.DoesNotContain(engine.OnAccess(state, Withdraw("11.106.0.7", T0)).Command?.Reasons ?? [], r => r.Code == PermissionProbe.Code);
    }
}
