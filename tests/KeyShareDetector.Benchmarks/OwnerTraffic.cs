using System.Net;
using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Detection.Signals;

namespace KeyShareDetector.Benchmarks;

/// <summary>
/// A legitimate key's traffic, the steady path of every access signal: one owner's bot software (same user agent,
/// TLS fingerprint and clock-offset mode) running four sessions, two on a home line in Seoul and two on AWS
/// Seoul (one of them without a session id, so it is identified by IP and user agent). Two networks, one country,
/// no travel, one fingerprint: nothing fires.
/// </summary>
internal static class OwnerTraffic
{
    /// <summary>2026-01-01T00:00:00Z.</summary>
    public const long T0 = 1_767_225_600_000;

    /// <summary>Four requests a second.</summary>
    public const long StepMs = 250;

    private const string UserAgent = "ccxt/4.4.35 (+https://github.com/ccxt/ccxt) Python/3.12.3";
    private const string Tls = "t13d1516h2_8daaf6152771_e5627efa2ab1";

    private static readonly (string Ip, string? Session, long ClockOffsetMs)[] Sessions =
    [
        ("11.1.7.20", "sess-home-a-7f3c", 350),
        ("11.1.7.20", "sess-home-b-91d2", 350),
        ("11.100.3.9", "sess-cloud-a-0c88", 420),
        ("11.100.3.9", null, 420),
    ];

    /// <summary>
    /// Events of the four sessions in turn (a power of two long), with contexts as the engine enriches them:
    /// from registered IPs, from a key without an allowlist, or (<paramref name="allowlisted"/> alone) from
    /// outside the key's allowlist.
    /// </summary>
    public static AccessContext[] Contexts(bool registered, bool allowlisted = false, int length = 16)
    {
        var contexts = new AccessContext[length];
        for (int i = 0; i < length; i++)
        {
            var (ip, session, offset) = Sessions[i % Sessions.Length];
            long ts = T0 + (i * StepMs);
            var e = new AccessEvent
            {
                EventId = "evt-" + i, Ts = ts, ApiKeyId = "key-1", AccountId = "acct-1", Ip = ip, UserAgent = UserAgent,
                SessionId = session, Endpoint = "/api/v3/order", Method = "POST", Status = 200, ClientTs = ts - offset, TlsFingerprint = Tls,
            };
            var address = IPAddress.Parse(ip);
            var geo = BuiltInGeoTable.Default.Lookup(address);
            string prefix = IpPrefix.NetworkOf(ip)!;
            string network = geo.Asn is { } asn ? "AS" + asn : prefix;
            contexts[i] = new AccessContext(e, address, prefix, network, geo, HasAllowlist: registered || allowlisted, Registered: registered,
                PlatformTraffic: false, Permission.TRADE);
        }
        return contexts;
    }

    /// <summary>Moves the next context of the ring to the next event time (the event's client time moves with it).</summary>
    public static AccessContext Next(AccessContext[] ring, ref long ts, ref int next)
    {
        ts += StepMs;
        var ctx = ring[next++ & (ring.Length - 1)];
        EventClock.Set(ctx.Event, ts);
        return ctx;
    }
}
