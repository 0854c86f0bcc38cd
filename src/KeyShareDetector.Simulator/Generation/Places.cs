using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using KeyShareDetector.Detection.Geo;

namespace KeyShareDetector.Simulator.Generation;

/// <summary>Where a request comes from: a network of the built-in geo table and one of its addresses.</summary>
internal sealed record Place(GeoNetwork Network, string Ip)
{
    public bool IsV6 => Ip.Contains(':', StringComparison.Ordinal);
}

/// <summary>A city people live in: its home broadband network and the mobile carrier phones there use.</summary>
internal sealed record City(string Name, GeoNetwork Home, GeoNetwork? Mobile);

/// <summary>The networks of <see cref="BuiltInGeoTable"/> by role, and how addresses are drawn from them.</summary>
internal static class Nets
{
    public static readonly GeoNetwork SeoulHome = BuiltInGeoTable.Network("kr-seoul-home");
    public static readonly GeoNetwork BusanHome = BuiltInGeoTable.Network("kr-busan-home");
    public static readonly GeoNetwork IncheonHome = BuiltInGeoTable.Network("kr-incheon-home");
    public static readonly GeoNetwork KrMobile = BuiltInGeoTable.Network("kr-mobile");
    public static readonly GeoNetwork TokyoHome = BuiltInGeoTable.Network("jp-tokyo-home");
    public static readonly GeoNetwork JpMobile = BuiltInGeoTable.Network("jp-osaka-mobile");
    public static readonly GeoNetwork SingaporeHome = BuiltInGeoTable.Network("sg-home");
    public static readonly GeoNetwork HcmcHome = BuiltInGeoTable.Network("vn-hcmc-home");
    public static readonly GeoNetwork SydneyHome = BuiltInGeoTable.Network("au-sydney-home");
    public static readonly GeoNetwork FrankfurtHome = BuiltInGeoTable.Network("de-frankfurt-home");
    public static readonly GeoNetwork LondonHome = BuiltInGeoTable.Network("gb-london-home");
    public static readonly GeoNetwork LondonMobile = BuiltInGeoTable.Network("gb-london-mobile");
    public static readonly GeoNetwork NewYorkHome = BuiltInGeoTable.Network("us-newyork-home");
    public static readonly GeoNetwork NewYorkMobile = BuiltInGeoTable.Network("us-newyork-mobile");
    public static readonly GeoNetwork SaoPauloHome = BuiltInGeoTable.Network("br-saopaulo-home");
    public static readonly GeoNetwork LagosMobile = BuiltInGeoTable.Network("ng-lagos-mobile");

    public static readonly GeoNetwork AwsSeoul = BuiltInGeoTable.Network("aws-seoul");
    public static readonly GeoNetwork AwsTokyo = BuiltInGeoTable.Network("aws-tokyo");
    public static readonly GeoNetwork GcpSingapore = BuiltInGeoTable.Network("gcp-singapore");
    public static readonly GeoNetwork AzureAmsterdam = BuiltInGeoTable.Network("azure-amsterdam");
    public static readonly GeoNetwork DigitalOceanFrankfurt = BuiltInGeoTable.Network("digitalocean-frankfurt");
    public static readonly GeoNetwork Hetzner = BuiltInGeoTable.Network("hetzner-falkenstein");
    public static readonly GeoNetwork Ovh = BuiltInGeoTable.Network("ovh-roubaix");
    public static readonly GeoNetwork VultrNewYork = BuiltInGeoTable.Network("vultr-newyork");
    public static readonly GeoNetwork VpnLondon = BuiltInGeoTable.Network("vpn-m247-london");
    public static readonly GeoNetwork VpnHongKong = BuiltInGeoTable.Network("vpn-datacamp-hongkong");
    public static readonly GeoNetwork BotVendor = BuiltInGeoTable.Network("botvendor-frankfurt");

    public static readonly City Seoul = new("Seoul", SeoulHome, KrMobile);
    public static readonly City Busan = new("Busan", BusanHome, KrMobile);
    public static readonly City Incheon = new("Incheon", IncheonHome, KrMobile);
    public static readonly City Tokyo = new("Tokyo", TokyoHome, JpMobile);
    public static readonly City Singapore = new("Singapore", SingaporeHome, null);
    public static readonly City Hcmc = new("Ho Chi Minh City", HcmcHome, null);
    public static readonly City Sydney = new("Sydney", SydneyHome, null);
    public static readonly City Frankfurt = new("Frankfurt", FrankfurtHome, null);
    public static readonly City London = new("London", LondonHome, LondonMobile);
    public static readonly City NewYork = new("New York", NewYorkHome, NewYorkMobile);
    public static readonly City SaoPaulo = new("Sao Paulo", SaoPauloHome, null);

    /// <summary>Where the exchange's users live: mostly Korea, some residents abroad.</summary>
    public static readonly (City City, double Weight)[] UserCities =
    [
        (Seoul, 52), (Busan, 17), (Incheon, 19),
        (Tokyo, 3), (Singapore, 1.5), (Hcmc, 1.5), (Sydney, 1), (Frankfurt, 1), (London, 1.5), (NewYork, 2), (SaoPaulo, 0.5),
    ];

    public static readonly City[] KoreanCities = [Seoul, Busan, Incheon];
    public static readonly City[] ForeignCities = [Tokyo, Singapore, Hcmc, Sydney, Frankfurt, London, NewYork, SaoPaulo];

    /// <summary>Public addresses of a mobile carrier's CGNAT gateways: this many /24s, a few dozen addresses each.</summary>
    private const int CgnatBlocks = 128;
    private const int CgnatHostsPerBlock = 32;

    /// <summary>The address <paramref name="offset"/> after the network's IPv4 base address (no wrap-around check).</summary>
    public static string V4At(GeoNetwork network, long offset)
    {
        Span<byte> bytes = stackalloc byte[4];
        network.V4.BaseAddress.TryWriteBytes(bytes, out _);
        uint value = BinaryPrimitives.ReadUInt32BigEndian(bytes) + (uint)offset;
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes).ToString();
    }

    /// <summary>The CIDR of prefix length <paramref name="prefix"/> starting <paramref name="offset"/> after the base (aligned by the caller).</summary>
    public static string V4Cidr(GeoNetwork network, long offset, int prefix) =>
        V4At(network, offset) + "/" + prefix.ToString(CultureInfo.InvariantCulture);

    /// <summary>A fixed broadband address of a household (any /24 of the block, hosts 2..253).</summary>
    public static Place Home(GeoNetwork network, Random rng)
    {
        long size = 1L << (32 - network.V4.PrefixLength);
        long blocks = size / 256;
        long offset = (rng.NextInt64(blocks) * 256) + 2 + rng.Next(252);
        return new Place(network, V4At(network, offset));
    }

    /// <summary>
    /// A mobile carrier address: a subscriber's own IPv6 /64 (a new one per attachment) or a shared CGNAT IPv4
    /// address from the carrier's pool, spread over many /24s of its ASN.
    /// </summary>
    public static Place Mobile(GeoNetwork network, Random rng, bool v6)
    {
        if (v6) return new Place(network, network.AddressV6(rng.NextInt64(1L << 31), (ulong)rng.NextInt64(1, long.MaxValue)).ToString());
        long size = 1L << (32 - network.V4.PrefixLength);
        long stride = Math.Max(1, size / 256 / CgnatBlocks);
        int block = rng.Next(CgnatBlocks);
        long offset = (block * stride * 256) + 16 + rng.Next(CgnatHostsPerBlock);
        return new Place(network, V4At(network, offset));
    }

    /// <summary>An address of a hosting or VPN provider's shared egress (any /24, any host).</summary>
    public static Place Hosting(GeoNetwork network, Random rng)
    {
        long size = 1L << (32 - network.V4.PrefixLength);
        long offset = 256 + rng.NextInt64(size - 512);
        if ((offset & 0xFF) is 0 or 255) offset++;
        return new Place(network, V4At(network, offset));
    }

    /// <summary>A /28 server block (16-aligned) in a hosting network, away from the shared egress ranges.</summary>
    public static long ServerBlock(GeoNetwork network, Random rng)
    {
        long size = 1L << (32 - network.V4.PrefixLength);
        return (size / 2) + (rng.NextInt64(size / 2 / 16) * 16);
    }

    /// <summary>Great-circle distance in km between two networks' locations.</summary>
    public static double DistanceKm(GeoNetwork a, GeoNetwork b) =>
        Detection.Signals.ImpossibleTravelAggregate.HaversineKm(a.Latitude, a.Longitude, b.Latitude, b.Longitude);

    /// <summary>Distance from the exchange's servers (Seoul), for latency.</summary>
    public static double KmFromExchange(GeoNetwork n) =>
        Detection.Signals.ImpossibleTravelAggregate.HaversineKm(n.Latitude, n.Longitude, 37.5665, 126.9780);
}
