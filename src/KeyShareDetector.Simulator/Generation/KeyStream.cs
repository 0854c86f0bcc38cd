using System.Globalization;
using System.Net;
using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Net;

namespace KeyShareDetector.Simulator.Generation;

/// <summary>An authenticated API call: the endpoint, the method and the permission the exchange needs for it.</summary>
internal sealed record Call(string Endpoint, string Method, Permission Permission)
{
    public static readonly Call Accounts = new("/v1/accounts", "GET", Permission.READ);
    public static readonly Call OrdersList = new("/v1/orders", "GET", Permission.READ);
    public static readonly Call OrderStatus = new("/v1/order", "GET", Permission.READ);
    public static readonly Call OrderChance = new("/v1/orders/chance", "GET", Permission.READ);
    public static readonly Call Deposits = new("/v1/deposits", "GET", Permission.READ);
    public static readonly Call Withdraws = new("/v1/withdraws", "GET", Permission.READ);
    public static readonly Call WithdrawChance = new("/v1/withdraws/chance", "GET", Permission.READ);
    public static readonly Call ApiKeys = new("/v1/api_keys", "GET", Permission.READ);
    public static readonly Call PlaceOrder = new("/v1/orders", "POST", Permission.TRADE);
    public static readonly Call CancelOrder = new("/v1/order", "DELETE", Permission.TRADE);
    public static readonly Call CancelOpen = new("/v1/orders/open", "DELETE", Permission.TRADE);
    public static readonly Call WithdrawCoin = new("/v1/withdraws/coin", "POST", Permission.WITHDRAW);
    public static readonly Call WithdrawKrw = new("/v1/withdraws/krw", "POST", Permission.WITHDRAW);

    /// <summary>What a person or script reads while checking on an account.</summary>
    public static readonly (Call, double)[] Reads =
        [(Accounts, 42), (OrdersList, 20), (OrderStatus, 14), (OrderChance, 10), (Deposits, 6), (Withdraws, 5), (ApiKeys, 3)];
}

/// <summary>
/// Collects one key's records (registry, lifecycle, access and order events) in any order; <see cref="Sorted"/>
/// returns them by event time (ties in emission order). Records outside the scenario are dropped. The key's
/// registry timeline decides what the exchange answers: a request from outside the allowlist gets 401, one
/// needing a permission the key lacks 403, any request after the key was closed 401.
/// </summary>
/// <remarks>Generators emit a key's registry records (initial and planned updates) before its traffic.</remarks>
internal sealed class KeyStream
{
    private readonly List<(SimRecord Record, int Seq)> _records = [];
    private readonly List<(long From, CidrSet Allowlist, IReadOnlyList<Permission> Permissions)> _registry = [];
    private readonly SimContext _ctx;
    private int _events;
    private int _orders;

    public KeyStream(SimContext ctx, string key, string account, Random rng)
    {
        _ctx = ctx;
        Key = key;
        Account = account;
        Rng = rng;
        // Some of the exchange's gateways annotate the permission a route needs; for the rest the detector infers it.
        AnnotatesPermission = rng.Chance(0.7);
    }

    public string Key { get; }
    public string Account { get; }
    public Random Rng { get; }
    public bool AnnotatesPermission { get; }
    public SimContext Ctx => _ctx;
    public Market Market => _ctx.Market;
    public int Count => _records.Count;
    /// <summary>From this event time on the key no longer works (rotated or revoked).</summary>
    public long ClosedAt { get; set; } = long.MaxValue;

    public bool InScenario(long ts) => ts >= _ctx.Start && ts < _ctx.End;

    private void Add(SimRecord r) => _records.Add((r, _records.Count));

    /// <summary>A registry record at <paramref name="ts"/> (the scenario start for keys that exist already).</summary>
    public void Registry(IReadOnlyList<string> cidrs, IReadOnlyList<Permission> permissions, long createdAt, long ts, string? platform = null)
    {
        var record = new KeyRegistryRecord
        {
            ApiKeyId = Key,
            AccountId = Account,
            AllowedCidrs = cidrs,
            Permissions = permissions,
            Status = KeyStatus.ACTIVE,
            CreatedAt = createdAt,
            // Upbit-style keys expire after a year.
            ExpiresAt = createdAt + (365L * 86_400_000),
            PlatformId = platform,
        };
        _registry.Add((ts, CidrSet.Parse(cidrs), permissions));
        _registry.Sort(static (a, b) => a.From.CompareTo(b.From));
        if (InScenario(ts)) Add(SimRecord.Of(record, ts));
    }

    public void Lifecycle(LifecycleKind kind, long ts)
    {
        if (!InScenario(ts)) return;
        Add(SimRecord.Of(new KeyLifecycleEvent
        {
            EventId = string.Create(CultureInfo.InvariantCulture, $"{Key}-l{_events++}"),
            Ts = ts,
            ApiKeyId = Key,
            AccountId = Account,
            Kind = kind,
        }));
    }

    /// <summary>What the exchange answers a request from <paramref name="ip"/> at <paramref name="ts"/>: 401 outside the allowlist, 403 without the permission.</summary>
    public int StatusOf(long ts, string ip, Permission permission, int ok)
    {
        if (ts >= ClosedAt) return 401;
        (long From, CidrSet Allowlist, IReadOnlyList<Permission> Permissions)? current = null;
        foreach (var r in _registry)
        {
            if (r.From <= ts) current = r;
        }
        if (current is not { } reg) return ok;
        if (!reg.Allowlist.IsEmpty && !reg.Allowlist.Contains(IPAddress.Parse(ip))) return 401;
        return reg.Permissions.Contains(permission) ? ok : 403;
    }

    /// <summary>One API request as the exchange's gateway logs it; true when the exchange accepted it.</summary>
    public bool Access(long ts, Device device, Place place, Call call, int ok = 200)
    {
        int status = StatusOf(ts, place.Ip, call.Permission, ok);
        if (!InScenario(ts)) return status < 400;
        long? clientTs = null;
        if (device.Software.SendsClientTs)
        {
            // Server receive time minus client time = latency - (client clock - server clock).
            clientTs = ts - (long)Math.Round(Device.Latency(place.Network, Rng) - device.SkewMs);
        }
        Add(SimRecord.Of(new AccessEvent
        {
            EventId = string.Create(CultureInfo.InvariantCulture, $"{Key}-a{_events++}"),
            Ts = ts,
            ApiKeyId = Key,
            AccountId = Account,
            Ip = place.Ip,
            UserAgent = device.UserAgent,
            SessionId = device.Session,
            Endpoint = call.Endpoint,
            Method = call.Method,
            Status = status,
            ClientTs = clientTs,
            TlsFingerprint = device.Tls,
            Permission = AnnotatesPermission ? call.Permission : null,
        }));
        return status < 400;
    }

    public string NewOrderId() => string.Create(CultureInfo.InvariantCulture, $"{Key}-o{_orders++}");

    /// <summary>An order event with the book top at its time.</summary>
    public void Order(long ts, string orderId, int symbol, OrderSide side, OrderEventType type, double price, double quantity, double filled, Place? place, string? session)
    {
        if (!InScenario(ts)) return;
        var (bid, ask) = Market.Touch(symbol, ts);
        Add(SimRecord.Of(new OrderEvent
        {
            EventId = string.Create(CultureInfo.InvariantCulture, $"{Key}-e{_events++}"),
            Ts = ts,
            ApiKeyId = Key,
            AccountId = Account,
            OrderId = orderId,
            Symbol = Market.Symbols[symbol].Name,
            Side = side,
            EventType = type,
            Price = price,
            Quantity = quantity,
            FilledQuantity = filled,
            BestBid = bid,
            BestAsk = ask,
            Ip = place?.Ip,
            SessionId = session,
        }));
    }

    /// <summary>The records by event time; emission order breaks ties.</summary>
    public List<SimRecord> Sorted()
    {
        _records.Sort(static (a, b) => a.Record.Ts != b.Record.Ts ? a.Record.Ts.CompareTo(b.Record.Ts) : a.Seq.CompareTo(b.Seq));
        var list = new List<SimRecord>(_records.Count);
        foreach (var (r, _) in _records) list.Add(r);
        return list;
    }
}
