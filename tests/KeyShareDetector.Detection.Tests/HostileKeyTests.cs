using System.Diagnostics;
using System.Globalization;
using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.Signals;
using KeyShareDetector.Detection.State;
using KeyShareDetector.Detection.Tests.State;
using KeyShareDetector.Integration.Tests.Support;
using Xunit.Abstractions;

namespace KeyShareDetector.Detection.Tests;

/// <summary>Issue 9 item 5: a key sending thousands of distinct IPs, sessions, fingerprints and orders per second.</summary>
/// <remarks>Sized by <see cref="SoakScale"/>: `make soak` multiplies the event-time span the key keeps it up.</remarks>
[Trait(SoakScale.Trait, SoakScale.Category)]
public class HostileKeyTests(ITestOutputHelper output)
{
    private const long T0 = TestEvents.T0;
    private const string Hostile = "hostile";
    private static readonly DetectionPolicy Policy = DetectionPolicy.Default;
    private static readonly string[] Bystanders = ["calm-1", "calm-2", "calm-3"];

    private readonly KeyRiskEngine _engine = new(Policy, TestSigner.Create(), BuiltInGeoTable.Default);

    /// <summary>Blocks of the built-in geo table in eleven countries (residential, hosting and VPN networks).</summary>
    private static readonly int[] SecondOctets = [1, 2, 10, 15, 16, 17, 20, 21, 30, 35, 100, 101, 102, 103, 110, 111];

    private static KeyRegistryRecord Registration(string key) => new()
    {
        ApiKeyId = key, AccountId = "acct-" + key, AllowedCidrs = ["11.1.7.0/24"], Permissions = [Permission.READ, Permission.TRADE], CreatedAt = T0 - 86_400_000,
    };

    private const int AccessPerSecond = 1500;
    private const int OrdersPerSecond = 500;

    private static long AccessTs(int i) => T0 + (i * 1000L / AccessPerSecond);

    private static long OrderTs(int i) => T0 + (i * 1000L / OrdersPerSecond) + 1;

    /// <summary>The hostile key's i-th access: a new IP, a new session, one of many clients, 1,500 a second.</summary>
    private static AccessEvent HostileAccess(int i) => new()
    {
        EventId = "ha" + i.ToString(CultureInfo.InvariantCulture),
        Ts = AccessTs(i),
        ApiKeyId = Hostile,
        AccountId = "acct-" + Hostile,
        // Half from the geo table's networks in eight countries, half from /24s it does not know (each its own network).
        Ip = i % 2 == 0
            ? string.Create(CultureInfo.InvariantCulture, $"11.{SecondOctets[i / 2 % SecondOctets.Length]}.{(i / 32) % 256}.{(i / 8192) % 256}")
            : string.Create(CultureInfo.InvariantCulture, $"23.{(i / 2) % 256}.{(i / 512) % 256}.{(i % 200) + 1}"),
        UserAgent = "bot/" + (i % 7 == 0 ? (i % 5000) : (i % 3)).ToString(CultureInfo.InvariantCulture),
        TlsFingerprint = "t13d" + (i % 5).ToString(CultureInfo.InvariantCulture),
        ClientTs = AccessTs(i) - (i % 4 * 1000),
        SessionId = "s" + i.ToString(CultureInfo.InvariantCulture),
        Endpoint = "/v1/orders",
        Permission = Permission.TRADE,
    };

    /// <summary>The hostile key's i-th order event: placements on hundreds of symbols, some filled, some cancelled.</summary>
    private static OrderEvent HostileOrder(int i)
    {
        int order = i / 3;
        var type = (i % 3) switch
        {
            0 => OrderEventType.PLACE,
            1 => order % 4 == 0 ? OrderEventType.FILL : OrderEventType.MODIFY,
            _ => order % 5 == 0 ? OrderEventType.CANCEL : OrderEventType.PLACE,
        };
        return new OrderEvent
        {
            EventId = "ho" + i.ToString(CultureInfo.InvariantCulture),
            Ts = OrderTs(i),
            ApiKeyId = Hostile,
            AccountId = "acct-" + Hostile,
            OrderId = "o" + (type == OrderEventType.PLACE && i % 3 == 2 ? i : order).ToString(CultureInfo.InvariantCulture),
            Symbol = "KRW-C" + (order % 500).ToString(CultureInfo.InvariantCulture),
            Side = order % 2 == 0 ? OrderSide.BUY : OrderSide.SELL,
            EventType = type,
            Price = 100 + (order % 50),
            Quantity = 1 + (order % 100),
            FilledQuantity = type == OrderEventType.FILL ? 1 : 0,
            BestBid = 99,
            BestAsk = 101,
            Ip = "11.1.7.9",
        };
    }

    /// <summary>An ordinary key: one request every 20 s from home, now and then from its phone.</summary>
    private static AccessEvent CalmAccess(string key, long ts) => new()
    {
        EventId = key + "-" + ts.ToString(CultureInfo.InvariantCulture),
        Ts = ts,
        ApiKeyId = key,
        AccountId = "acct-" + key,
        Ip = (ts / 20_000) % 9 == 0 ? "22.16.4.4" : "11.1.7.20",
        UserAgent = "app/3.1",
        SessionId = "home",
        Endpoint = "/v1/accounts",
    };

    [Fact]
    public void A_key_spraying_IPs_sessions_fingerprints_and_orders_keeps_its_state_within_the_caps_is_reported_and_leaves_other_keys_alone()
    {
        var clock = Stopwatch.StartNew();
        // Past one IP-diversity window (10 min + grace), so windows, sketches and session and order horizons all turn over.
        long durationMs = SoakScale.Of(11) * 60_000L;
        long bound = StateBound.Of(Policy, idChars: 16, textChars: 16);

        var states = new Dictionary<string, KeyRiskState>(StringComparer.Ordinal);
        var alone = new Dictionary<string, KeyRiskState>(StringComparer.Ordinal);
        var outcomes = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var aloneOutcomes = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string key in Bystanders.Append(Hostile))
        {
            states[key] = _engine.NewState(key);
            _engine.OnRegistry(states[key], Registration(key));
            outcomes[key] = [];
        }
        foreach (string key in Bystanders)
        {
            alone[key] = _engine.NewState(key);
            _engine.OnRegistry(alone[key], Registration(key));
            aloneOutcomes[key] = [];
        }

        var commands = new List<EnforcementCommand>();
        FeatureSnapshot? last = null;
        long largest = 0;
        int accesses = (int)(durationMs * AccessPerSecond / 1000);
        int orderEvents = (int)(durationMs * OrdersPerSecond / 1000);
        int nextOrder = 0;
        for (int i = 0; i < accesses; i++)
        {
            var hostile = states[Hostile];
            var outcome = _engine.OnAccess(hostile, HostileAccess(i));
            if (outcome.Command is { } c) commands.Add(c);
            if (outcome.Snapshot is { } s) last = s;
            // Orders in event-time order with the accesses.
            while (nextOrder < orderEvents && OrderTs(nextOrder) <= AccessTs(i))
            {
                var o = _engine.OnOrder(hostile, HostileOrder(nextOrder++));
                if (o.Command is { } oc) commands.Add(oc);
                if (o.Snapshot is { } os) last = os;
            }
            if (i % 20_000 == 0)
            {
                foreach (string key in Bystanders)
                {
                    long ts = AccessTs(i);
                    Record(outcomes[key], _engine.OnAccess(states[key], CalmAccess(key, ts)));
                    Record(aloneOutcomes[key], _engine.OnAccess(alone[key], CalmAccess(key, ts)));
                }
            }
            if (i % 25_000 == 0 || i == accesses - 1)
            {
                AssertWithinCaps(hostile);
                int size = KeyRiskStateCodec.Encode(hostile).Length;
                largest = Math.Max(largest, size);
                Assert.True(size <= bound, $"after {i:N0} accesses the hostile key's state is {size:N0} bytes, more than the {bound:N0} its caps allow");
            }
        }
        var final = states[Hostile];
        output.WriteLine($"{accesses:N0} accesses and {nextOrder:N0} order events in {durationMs / 60_000} min of event time; largest state {largest:N0} bytes " +
                         $"(bound {bound:N0}); {commands.Count} commands: {string.Join(", ", commands.Select(c => $"{c.Action} ({c.Reasons[0].Code})"))}; " +
                         $"reason codes: {string.Join(", ", commands.SelectMany(c => c.Reasons).Select(r => r.Code).Distinct())}; " +
                         $"caps exceeded: {string.Join(", ", last!.CapsExceeded)}; {clock.Elapsed.TotalSeconds:F1} s");

        int bystanderDiffs = Bystanders.Count(key => !aloneOutcomes[key].SequenceEqual(outcomes[key]));
        output.WriteLine(SoakScale.Record(nameof(HostileKeyTests), accesses + nextOrder + Bystanders.Sum(k => outcomes[k].Count), accesses + nextOrder, clock.Elapsed,
            missing: bystanderDiffs, duplicated: null));

        // Reported: every overflowed cap is named in its feature snapshot; its commands climb to REVOKE and their evidence
        // says the IP set was capped and orders went unexamined (ORDER_CAP_EXCEEDED).
        Assert.Equal(["ips", "networks", "sessions", "fingerprints", "orders"], last.CapsExceeded);
        Assert.Equal(KeyState.REVOKED, final.Ladder.State);
        Assert.Equal([EnforcementAction.WARN, EnforcementAction.REAUTH, EnforcementAction.REVOKE], commands.Select(c => c.Action));
        var reasons = commands.SelectMany(c => c.Reasons).ToList();
        Assert.Contains(reasons, r => r.Code == "IP_DIVERSITY" && r.Metrics.Any(m => m.Name == "ips_capped" && m.Value == 1));
        Assert.Contains(reasons, r => r.Code == "ORDER_CAP_EXCEEDED");

        // The state survives its codec, and its decoded copy is just as bounded.
        byte[] encoded = KeyRiskStateCodec.Encode(final);
        Assert.Equal(encoded, KeyRiskStateCodec.Encode(KeyRiskStateCodec.Decode(encoded, Policy)));

        // Other keys: exactly what they would have been without the hostile key.
        foreach (string key in Bystanders)
        {
            Assert.Equal(aloneOutcomes[key], outcomes[key]);
            Assert.Equal(KeyRiskStateCodec.Encode(alone[key]), KeyRiskStateCodec.Encode(states[key]));
            Assert.Equal(KeyState.NORMAL, states[key].Ladder.State);
        }
    }

    private static void Record(List<string> into, EngineOutcome outcome) =>
        into.Add($"{outcome.Command?.CommandId}|{outcome.Late}|{(outcome.Snapshot is { } s ? Convert.ToHexString(Contracts.Wire.ContractCodecs.Features.SerializeJson(s)) : "")}");

    private static void AssertWithinCaps(KeyRiskState s)
    {
        int ipCap = Policy.IpDiversity.MaxTrackedIps;
        Assert.InRange(s.IpDiversity.Ips.TrackedMembers, 0, ipCap);
        Assert.InRange(s.IpDiversity.Prefixes.TrackedMembers, 0, ipCap);
        Assert.InRange(s.IpDiversity.Networks.TrackedMembers, 0, ipCap);
        Assert.InRange(s.IpDiversity.Countries.TrackedMembers, 0, ipCap);
        Assert.InRange(s.Sessions.Tracked, 0, Policy.ConcurrentSessions.MaxTrackedSessions);
        Assert.InRange(s.Fingerprints.Tracked, 0, Policy.FingerprintDiversity.MaxTrackedFingerprints);
        Assert.InRange(s.Fingerprints.Interleavings, 0, FingerprintDiversityAggregate.MaxInterleavings);
        Assert.InRange(s.Unregistered.Hits, 0, UnregisteredAccessAggregate.Cap);
        Assert.InRange(s.Spoofing.OpenOrdersTracked, 0, Policy.Spoofing.MaxOpenOrders);
        Assert.InRange(s.Spoofing.SymbolsTracked, 0, Policy.Spoofing.MaxSymbols);
        Assert.InRange(s.Spoofing.BufferedEvents, 0, Policy.Spoofing.MaxBufferedEvents);
    }
}
