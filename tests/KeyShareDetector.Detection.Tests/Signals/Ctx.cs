using System.Net;
using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Detection.Signals;

namespace KeyShareDetector.Detection.Tests.Signals;

/// <summary>Places used by signal tests, with real-world coordinates.</summary>
internal static class Places
{
    public static readonly GeoInfo Seoul = new("KR", 37.5665, 126.9780, 4766, "Korea Telecom", false);
    public static readonly GeoInfo SeoulMobile = new("KR", 37.5665, 126.9780, 9644, "SK Telecom", false);
    public static readonly GeoInfo Busan = new("KR", 35.1796, 129.0756, 3786, "LG U+", false);
    public static readonly GeoInfo Tokyo = new("JP", 35.6762, 139.6503, 2516, "KDDI", false);
    public static readonly GeoInfo Frankfurt = new("DE", 50.1109, 8.6821, 3320, "Deutsche Telekom", false);
    public static readonly GeoInfo Lagos = new("NG", 6.5244, 3.3792, 29465, "MTN Nigeria", false);
    public static readonly GeoInfo FrankfurtVpn = new("DE", 50.1109, 8.6821, 9009, "M247", true);
    public static readonly GeoInfo Incheon = new("KR", 37.4563, 126.7052, 4766, "Korea Telecom", false);
}

/// <summary>Builds access contexts for signal tests without the engine.</summary>
internal static class Ctx
{
    public const long T0 = TestEvents.T0;

    public static AccessContext Of(string ip, long ts, GeoInfo geo = default, string? session = null, string ua = "ua/1",
        string? tls = null, long? clientTs = null, bool hasAllowlist = false, bool registered = false, bool platform = false,
        Permission permission = Permission.READ)
    {
        var e = new AccessEvent
        {
            EventId = $"e-{ts}-{ip}", Ts = ts, ApiKeyId = "k", AccountId = "a", Ip = ip, UserAgent = ua, SessionId = session,
            Endpoint = "/v1/x", ClientTs = clientTs, TlsFingerprint = tls,
        };
        string prefix = IpPrefix.NetworkOf(ip)!;
        string network = geo.Asn is { } asn ? "AS" + asn : prefix;
        return new AccessContext(e, IPAddress.Parse(ip), prefix, network, geo, hasAllowlist, registered, platform, permission);
    }
}
