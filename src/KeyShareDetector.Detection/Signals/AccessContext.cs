using System.Net;
using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Geo;

namespace KeyShareDetector.Detection.Signals;

/// <summary>One validated access event with what enrichment added: parsed address, network, geo, allowlist verdict.</summary>
/// <param name="Prefix">/24 (IPv4) or /64 (IPv6) of the address.</param>
/// <param name="Network">The network the request came from: "AS{n}" when the ASN is known, else <paramref name="Prefix"/>.</param>
/// <param name="Registered">True when the key has an allowlist and the address is in it.</param>
/// <param name="PlatformTraffic">True when the key is delegated to a registered platform and the address is in its CIDRs.</param>
public readonly record struct AccessContext(
    AccessEvent Event,
    IPAddress Address,
    string Prefix,
    string Network,
    GeoInfo Geo,
    bool HasAllowlist,
    bool Registered,
    bool PlatformTraffic,
    Permission Permission);
