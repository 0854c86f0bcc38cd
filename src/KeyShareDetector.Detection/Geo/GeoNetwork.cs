using System.Net;

namespace KeyShareDetector.Detection.Geo;

/// <summary>What kind of network an address range belongs to; the simulator draws populations from these.</summary>
public enum NetworkKind
{
    /// <summary>Home or office broadband.</summary>
    Residential,

    /// <summary>A mobile carrier: many subscribers behind CGNAT, addresses churn within the carrier's ASN.</summary>
    Mobile,

    /// <summary>A cloud or hosting provider: bots and servers, shared egress.</summary>
    Hosting,

    /// <summary>A commercial VPN provider's egress.</summary>
    Vpn,

    /// <summary>An exchange's own egress or a trading-bot vendor (a delegated platform with published CIDRs).</summary>
    Platform,
}

/// <summary>One network of <see cref="BuiltInGeoTable"/>: where it is, whose it is, and its address blocks.</summary>
public sealed record GeoNetwork(
    string Name,
    string City,
    string Country,
    double Latitude,
    double Longitude,
    long Asn,
    string Organization,
    NetworkKind Kind,
    IPNetwork V4,
    IPNetwork V6)
{
    /// <summary>Hosting and VPN egress: travel and diversity through it count less.</summary>
    public bool IsHosting => Kind is NetworkKind.Hosting or NetworkKind.Vpn;

    /// <summary>A mobile carrier (CGNAT-like): many users share addresses, one user hops between them.</summary>
    public bool IsMobileCarrier => Kind == NetworkKind.Mobile;

    /// <summary>
    /// The <paramref name="n"/>-th usable IPv4 address of the block (network and broadcast addresses skipped),
    /// wrapping around when <paramref name="n"/> exceeds the block. Same n, same address.
    /// </summary>
    public IPAddress AddressV4(long n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        IpNumber.Bounds(V4, out UInt128 first, out UInt128 last);
        UInt128 size = last - first + 1;
        if (size <= 2) return IpNumber.FromV4((uint)(first + ((UInt128)(ulong)n % size)));
        return IpNumber.FromV4((uint)(first + 1 + ((UInt128)(ulong)n % (size - 2))));
    }

    /// <summary>
    /// An IPv6 address in the <paramref name="subnet"/>-th /64 of the block (wrapping around), with the given
    /// interface id: an IPv6 subscriber gets a /64 of their own, so the subnet is the subscriber. For blocks of
    /// /64 or shorter.
    /// </summary>
    public IPAddress AddressV6(long subnet, ulong interfaceId = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(subnet);
        IpNumber.Bounds(V6, out UInt128 first, out _);
        int subnetBits = Math.Max(0, 64 - V6.PrefixLength);
        UInt128 subnets = subnetBits >= 64 ? (UInt128)ulong.MaxValue + 1 : UInt128.One << subnetBits;
        UInt128 index = (UInt128)(ulong)subnet % subnets;
        return IpNumber.FromV6(first | (index << 64) | interfaceId);
    }
}
