using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.State;
using static KeyShareDetector.Detection.Tests.TestEvents;

namespace KeyShareDetector.Detection.Tests;

/// <summary>
/// A leaked key in new hands: first use from a new country or rented servers, a client the key never used, a withdrawal
/// attempt soon after. And the owners who look like it: coming home, travelling with their own phone, a VPN.
/// Addresses are from the built-in geo table (11.1/16 Seoul home, 22.16/12 Korean mobile, 11.10/16 Tokyo home,
/// 11.111/16 a Hong Kong VPN, 11.106/16 OVH France, 11.21/16 London home).
/// </summary>
public class KeyRiskEngineNewNetworkTests
{
    private const string OwnerApp = "Pinebook/6.3.1 (iPhone16,1; iOS 18.2)";
    private const string AttackerScript = "python-requests/2.28.1";

    private static KeyRiskEngine Engine(DetectionPolicy? policy = null) => new(policy ?? DetectionPolicy.Default, TestSigner.Create(), BuiltInGeoTable.Default);

    private static AccessEvent Call(string ip, long ts, string agent = OwnerApp, string endpoint = "/v1/accounts", string method = "GET") =>
        Access("k1", ip, ts) with { UserAgent = agent, Endpoint = endpoint, Method = method, EventId = $"k1-{ts}-{ip}-{endpoint}" };

    /// <summary>The owner checks the account 30 times from home, a minute apart: enough history for anything to be new.</summary>
    private static (KeyRiskEngine Engine, KeyRiskState State, long Ts) Established(DetectionPolicy? policy = null, string homeIp = "11.1.0.10")
    {
        var engine = Engine(policy);
        var state = engine.NewState("k1");
        long ts = T0;
        for (int i = 0; i < 30; i++, ts += 60_000) Assert.Null(engine.OnAccess(state, Call(homeIp, ts)).Command);
        return (engine, state, ts);
    }

    private static List<EnforcementCommand> Feed(KeyRiskEngine engine, KeyRiskState state, params AccessEvent[] events)
    {
        var commands = new List<EnforcementCommand>();
        foreach (var e in events) if (engine.OnAccess(state, e).Command is { } c) commands.Add(c);
        return commands;
    }

    [Fact]
    public void A_key_used_abroad_from_a_client_it_never_used_is_warned_and_the_reason_says_both()
    {
        var (engine, state, ts) = Established();
        var c = Assert.Single(Feed(engine, state, Call("11.10.0.20", ts, AttackerScript)));
        Assert.Equal(EnforcementAction.WARN, c.Action);
        var reason = c.Reasons[0];
        Assert.Equal("NEW_COUNTRY_NETWORK", reason.Code);
        Assert.Contains("a country this key had not used", reason.Summary, StringComparison.Ordinal);
        Assert.Contains("from a client this key had not used", reason.Summary, StringComparison.Ordinal);
        // Counts include the new one: the owner's app and the script.
        Assert.Equal(2, reason.Metrics.Single(m => m.Name == "known_clients").Value);
    }

    [Fact]
    public void An_owner_abroad_with_their_own_phone_is_not_actioned()
    {
        var (engine, state, ts) = Established();
        Assert.Empty(Feed(engine, state, Call("11.10.0.20", ts), Call("11.10.0.20", ts + 60_000, endpoint: "/v1/orders")));
    }

    [Fact]
    public void The_new_client_factor_is_policy_data()
    {
        var policy = DetectionPolicy.Default with { NewCountryNetwork = new KeyShareDetector.Detection.Fleet.NewCountryNetworkRule { NewClientFactor = 1.0 } };
        var (engine, state, ts) = Established(policy);
        Assert.Empty(Feed(engine, state, Call("11.10.0.20", ts, AttackerScript)));
    }

    [Fact]
    public void Coming_home_to_the_exchange_s_home_country_is_not_a_new_country()
    {
        // An owner who so far only used the key from London calls from a Korean carrier with a new phone.
        var (engine, state, ts) = Established(homeIp: "11.21.0.10");
        Assert.Empty(Feed(engine, state, Call("22.16.0.30", ts, "Pinebook/6.3.1 (Android 15; SM-S928N)")));

        var abroad = DetectionPolicy.Default with { NewCountryNetwork = new KeyShareDetector.Detection.Fleet.NewCountryNetworkRule { HomeCountries = [] } };
        var (engine2, state2, ts2) = Established(abroad, homeIp: "11.21.0.10");
        var c = Assert.Single(Feed(engine2, state2, Call("22.16.0.30", ts2, "Pinebook/6.3.1 (Android 15; SM-S928N)")));
        Assert.Equal("NEW_COUNTRY_NETWORK", c.Reasons[0].Code);
    }

    [Fact]
    public void A_foreign_vpn_alone_stays_below_the_warning_even_from_a_new_client()
    {
        // Owners run scripts through VPNs; rented servers are left to the withdrawal and mass-compromise rules.
        var (engine, state, ts) = Established();
        Assert.Empty(Feed(engine, state, Call("11.111.0.5", ts, AttackerScript), Call("11.111.0.5", ts + 5_000, AttackerScript, "/v1/orders")));
    }

    [Fact]
    public void A_withdrawal_attempt_soon_after_a_key_without_history_first_uses_rented_servers_abroad_is_actioned()
    {
        var engine = Engine();
        var state = engine.NewState("k1");
        var commands = Feed(engine, state,
            Call("11.106.0.7", T0, AttackerScript),
            Call("11.106.0.7", T0 + 1_000, AttackerScript, "/v1/api_keys"),
            Call("11.106.0.7", T0 + 2_000, AttackerScript, "/v1/withdraws/chance"),
            Call("11.106.0.7", T0 + 5_000, AttackerScript, "/v1/withdraws/coin", "POST"));
        var c = Assert.Single(commands);
        Assert.Equal(T0 + 5_000, c.IssuedAt);
        Assert.Equal("NEW_COUNTRY_NETWORK", c.Reasons[0].Code);
        Assert.Contains("withdrawal attempt from AS16276", c.Reasons[0].Summary, StringComparison.Ordinal);
        Assert.True(c.RiskScore >= DetectionPolicy.Default.Ladder.WarnScore, $"score {c.RiskScore}");
    }

    [Fact]
    public void A_withdrawal_attempt_long_after_the_network_was_new_is_not_evidence_of_this_kind()
    {
        var engine = Engine();
        var state = engine.NewState("k1");
        long later = T0 + DetectionPolicy.Default.NewCountryNetwork.FreshNetworkMs + 1;
        Assert.Empty(Feed(engine, state,
            Call("11.106.0.7", T0, AttackerScript),
            Call("11.106.0.7", later, AttackerScript, "/v1/withdraws/coin", "POST")));
    }

    [Fact]
    public void Listing_withdrawals_is_a_read_not_a_withdrawal()
    {
        Assert.Equal(Permission.READ, KeyRiskEngine.PermissionOf("/v1/withdraws", "GET"));
        Assert.Equal(Permission.READ, KeyRiskEngine.PermissionOf("/v1/withdraws/chance", "get"));
        Assert.Equal(Permission.WITHDRAW, KeyRiskEngine.PermissionOf("/v1/withdraws/coin", "POST"));
        Assert.Equal(Permission.WITHDRAW, KeyRiskEngine.PermissionOf("/v1/withdraws/coin"));
        Assert.Equal(Permission.TRADE, KeyRiskEngine.PermissionOf("/v1/orders", "DELETE"));

        var engine = Engine();
        var state = engine.NewState("k1");
        Assert.Empty(Feed(engine, state,
            Call("11.106.0.7", T0, AttackerScript),
            Call("11.106.0.7", T0 + 5_000, AttackerScript, "/v1/withdraws")));
    }

    [Fact]
    public void Known_clients_and_the_fresh_network_survive_the_state_codec()
    {
        var (engine, state, ts) = Established();
        Feed(engine, state, Call("11.106.0.7", ts, AttackerScript));
        var restored = KeyRiskStateCodec.Decode(KeyRiskStateCodec.Encode(state), engine.Policy);
        Assert.Equal(state.Fleet.KnownClients, restored.Fleet.KnownClients);
        Assert.Equal(state.Fleet.Fresh("AS16276", ts + 1, 60_000), restored.Fleet.Fresh("AS16276", ts + 1, 60_000));
        Assert.NotNull(restored.Fleet.Fresh("AS16276", ts + 1, 60_000));
        Assert.Equal(KeyRiskStateCodec.Encode(state), KeyRiskStateCodec.Encode(restored));
        // The same withdrawal attempt decides the same on the original and the restored state.
        var attempt = Call("11.106.0.7", ts + 3_000, AttackerScript, "/v1/withdraws/coin", "POST");
        Assert.Equal(engine.OnAccess(state, attempt).Command?.CommandId, engine.OnAccess(restored, attempt).Command?.CommandId);
    }

    [Fact]
    public void Remembered_clients_are_bounded_per_key()
    {
        var (engine, state, ts) = Established();
        for (int i = 0; i < 500; i++) engine.OnAccess(state, Call("11.1.0.10", ts + i, $"agent-{i}"));
        Assert.Equal(DetectionPolicy.Default.NewCountryNetwork.KnownClientsPerKey, state.Fleet.KnownClients);
    }

    [Fact]
    public void Unregistered_trading_from_abroad_is_warned_where_the_same_from_home_is_not()
    {
        var engine = Engine();
        var registry = new KeyRegistryRecord { ApiKeyId = "k1", AccountId = "acct-k1", AllowedCidrs = ["11.1.0.10/32"], CreatedAt = T0 - 86_400_000 };

        var home = engine.NewState("k1");
        engine.OnRegistry(home, registry);
        Assert.Empty(Feed(engine, home, Call("11.2.0.9", T0, endpoint: "/v1/orders", method: "POST")));

        var abroad = engine.NewState("k1");
        engine.OnRegistry(abroad, registry);
        var c = Assert.Single(Feed(engine, abroad, Call("11.111.0.5", T0, AttackerScript, "/v1/orders", "POST")));
        var unregistered = Assert.Single(c.Reasons, r => r.Code == "UNREGISTERED_IP");
        Assert.Contains("from HK while the owner is in KR", unregistered.Summary, StringComparison.Ordinal);
    }

    private static KeyRegistryRecord Allowlisted(string cidr = "11.1.0.10/32", params Permission[] permissions) => new()
    {
        ApiKeyId = "k1", AccountId = "acct-k1", AllowedCidrs = [cidr], CreatedAt = T0 - 86_400_000,
        Permissions = permissions.Length == 0 ? [Permission.READ, Permission.TRADE] : permissions,
    };

    [Fact]
    public void A_stolen_allowlisted_key_tried_once_from_rented_servers_is_warned_though_the_key_has_no_history()
    {
        var engine = Engine();
        var state = engine.NewState("k1");
        engine.OnRegistry(state, Allowlisted());
        var c = Assert.Single(Feed(engine, state, Call("11.106.0.7", T0, AttackerScript)));
        Assert.Equal(EnforcementAction.WARN, c.Action);
        Assert.Equal("NEW_COUNTRY_NETWORK", c.Reasons[0].Code);
        Assert.Contains("refused by the key's allowlist", c.Reasons[0].Summary, StringComparison.Ordinal);
        Assert.Contains(c.Reasons, r => r.Code == "UNREGISTERED_IP");
    }

    [Fact]
    public void A_stolen_allowlisted_key_tried_from_a_domestic_cloud_by_a_new_client_is_warned()
    {
        // 11.100/16 is AWS Seoul: not abroad, but rented servers and somebody else's script.
        var engine = Engine();
        var state = engine.NewState("k1");
        engine.OnRegistry(state, Allowlisted());
        long ts = T0;
        for (int i = 0; i < 30; i++, ts += 60_000) Assert.Null(engine.OnAccess(state, Call("11.1.0.10", ts)).Command);
        var c = Assert.Single(Feed(engine, state, Call("11.100.0.9", ts, AttackerScript)));
        Assert.Contains("refused by the key's allowlist", c.Reasons[0].Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void An_owner_refused_abroad_with_their_own_phone_is_not_actioned()
    {
        var engine = Engine();
        var state = engine.NewState("k1");
        engine.OnRegistry(state, Allowlisted());
        // A key with little history (below newCountryNetwork.minPriorEvents), so only the refused-stranger rule could raise it.
        long ts = T0;
        for (int i = 0; i < 5; i++, ts += 60_000) Assert.Null(engine.OnAccess(state, Call("11.1.0.10", ts)).Command);
        // The hotel's Wi-Fi in Tokyo, three refused tries with the app the key always used.
        Assert.Empty(Feed(engine, state, Call("11.10.0.20", ts), Call("11.10.0.20", ts + 5_000), Call("11.10.0.20", ts + 10_000)));
    }

    [Fact]
    public void An_owner_living_abroad_refused_on_their_own_country_s_network_is_not_actioned()
    {
        // Allowlist in London; the first request of the key comes from another London line: a foreign country for the
        // exchange, but the owner's own.
        var engine = Engine();
        var state = engine.NewState("k1");
        engine.OnRegistry(state, Allowlisted("11.21.0.10/32"));
        Assert.Empty(Feed(engine, state, Call("11.21.5.5", T0, AttackerScript), Call("11.21.5.5", T0 + 5_000, AttackerScript)));
    }

    [Fact]
    public void The_refused_stranger_factor_is_policy_data()
    {
        var policy = DetectionPolicy.Default with { NewCountryNetwork = new KeyShareDetector.Detection.Fleet.NewCountryNetworkRule { RefusedStrangerFactor = 0 } };
        var engine = Engine(policy);
        var state = engine.NewState("k1");
        engine.OnRegistry(state, Allowlisted());
        Assert.Empty(Feed(engine, state, Call("11.106.0.7", T0, AttackerScript)));
    }

    private static AccessEvent Trade(string ip, long ts, string agent) => Call(ip, ts, agent, "/v1/orders", "POST");

    [Fact]
    public void A_new_client_trading_at_once_from_a_foreign_vpn_the_key_never_used_is_warned()
    {
        var (engine, state, ts) = Established();
        var commands = Feed(engine, state,
            Call("11.111.0.5", ts, AttackerScript),
            Trade("11.111.0.5", ts + 10_000, AttackerScript),
            Trade("11.111.0.5", ts + 30_000, AttackerScript),
            Trade("11.111.0.5", ts + 60_000, AttackerScript),
            Trade("11.111.0.5", ts + 90_000, AttackerScript));
        var c = Assert.Single(commands);
        Assert.Equal(ts + 90_000, c.IssuedAt);
        Assert.Equal("NEW_COUNTRY_NETWORK", c.Reasons[0].Code);
        Assert.Contains("4 trade requests from AS60068 (hosting/VPN) in HK within 90 s", c.Reasons[0].Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void An_owner_trading_through_a_vpn_with_their_own_app_is_not_actioned()
    {
        var (engine, state, ts) = Established();
        Assert.Empty(Feed(engine, state,
            Call("11.111.0.5", ts),
            Trade("11.111.0.5", ts + 10_000, OwnerApp),
            Trade("11.111.0.5", ts + 30_000, OwnerApp),
            Trade("11.111.0.5", ts + 60_000, OwnerApp),
            Trade("11.111.0.5", ts + 90_000, OwnerApp)));
    }

    [Fact]
    public void Trades_now_and_then_after_the_first_minutes_on_a_new_vpn_are_not_actioned()
    {
        var (engine, state, ts) = Established();
        long window = DetectionPolicy.Default.NewCountryNetwork.FreshTradeWindowMs;
        Assert.Empty(Feed(engine, state,
            Call("11.111.0.5", ts, AttackerScript),
            Trade("11.111.0.5", ts + 10_000, AttackerScript),
            Trade("11.111.0.5", ts + 20_000, AttackerScript),
            Trade("11.111.0.5", ts + window + 1, AttackerScript),
            Trade("11.111.0.5", ts + window + 60_000, AttackerScript)));
    }

    [Fact]
    public void The_fresh_trade_count_is_policy_data()
    {
        var policy = DetectionPolicy.Default with { NewCountryNetwork = new KeyShareDetector.Detection.Fleet.NewCountryNetworkRule { FreshTradesToRaise = 0 } };
        var (engine, state, ts) = Established(policy);
        Assert.Empty(Feed(engine, state,
            Call("11.111.0.5", ts, AttackerScript),
            Trade("11.111.0.5", ts + 10_000, AttackerScript),
            Trade("11.111.0.5", ts + 20_000, AttackerScript),
            Trade("11.111.0.5", ts + 30_000, AttackerScript),
            Trade("11.111.0.5", ts + 40_000, AttackerScript)));
    }

    [Fact]
    public void The_fresh_network_s_trade_count_survives_the_state_codec()
    {
        var (engine, state, ts) = Established();
        Feed(engine, state, Call("11.111.0.5", ts, AttackerScript), Trade("11.111.0.5", ts + 1_000, AttackerScript), Trade("11.111.0.5", ts + 2_000, AttackerScript),
            Trade("11.111.0.5", ts + 3_000, AttackerScript));
        var restored = KeyRiskStateCodec.Decode(KeyRiskStateCodec.Encode(state), engine.Policy);
        Assert.Equal(KeyRiskStateCodec.Encode(state), KeyRiskStateCodec.Encode(restored));
        var fourth = Trade("11.111.0.5", ts + 4_000, AttackerScript);
        var command = engine.OnAccess(restored, fourth).Command;
        Assert.NotNull(command);
        Assert.Equal(engine.OnAccess(state, fourth).Command?.CommandId, command.CommandId);
    }

    [Fact]
    public void State_written_in_format_6_still_reads_with_no_fresh_trades_counted()
    {
        // A key whose state holds no active finding ends with the fleet memory and an empty finding count: format 6 is
        // format 7 without the fresh network's stranger flag and trade count (5 bytes before the count).
        var (engine, state, ts) = Established();
        byte[] v7 = KeyRiskStateCodec.EncodeV7(state);
        Assert.Equal(7, v7[0]);
        byte[] v6 = [6, .. v7.AsSpan(1, v7.Length - 10), .. v7.AsSpan(v7.Length - 4)];
        var restored = KeyRiskStateCodec.Decode(v6, engine.Policy);
        Assert.Equal(v7, KeyRiskStateCodec.EncodeV7(restored));
        Assert.False(restored.Fleet.FreshStranger);
        Assert.Equal(state.Fleet.KnownClients, restored.Fleet.KnownClients);
    }
}
