using System.Collections.Frozen;
using System.Collections.ObjectModel;
using System.Net;

namespace KeyShareDetector.Detection.Geo;

/// <summary>
/// A small, fixed, synthetic geo/ASN table for the simulator, demos and tests: no files, no network, the same
/// answers everywhere. The networks are invented. Their IPv4 blocks are carved out of 11.0.0.0/8 and 22.0.0.0/8
/// (US DoD allocations, not private space, never seen from exchange clients) and their IPv6 blocks out of the
/// documentation prefix 3fff::/20 (RFC 9637), so simulated traffic is never mistaken for private, CGNAT or real
/// client addresses. Residential, mobile and platform networks use private-use ASNs (RFC 6996, 64512-65534);
/// hosting and VPN networks carry the real ASN of the provider they stand for, so <see cref="HostingAsnSet.Default"/>
/// recognises them, but their address blocks are just as invented. Do not use it to locate real traffic.
/// </summary>
public sealed class BuiltInGeoTable : IGeoLookup
{
    private static readonly GeoNetwork[] AllNetworks =
    [
        // Korea: the home market.
        Net("kr-seoul-home", "Seoul", "KR", 37.5665, 126.9780, 64512, "Hangang Broadband (synthetic)", NetworkKind.Residential, "11.1.0.0/16", "3fff:1::/32"),
        Net("kr-busan-home", "Busan", "KR", 35.1796, 129.0756, 64513, "Haeundae Cable (synthetic)", NetworkKind.Residential, "11.2.0.0/16", "3fff:2::/32"),
        Net("kr-incheon-home", "Incheon", "KR", 37.4563, 126.7052, 64514, "Songdo Fiber (synthetic)", NetworkKind.Residential, "11.3.0.0/16", "3fff:3::/32"),
        Net("kr-mobile", "Seoul", "KR", 37.5665, 126.9780, 64515, "Hanbit Mobile (synthetic)", NetworkKind.Mobile, "22.16.0.0/12", "3fff:4::/32"),
        Net("kr-exchange", "Seoul", "KR", 37.5172, 127.0473, 64516, "Exchange API Gateway (synthetic)", NetworkKind.Platform, "11.4.0.0/16", "3fff:5::/32"),

        // Asia-Pacific.
        Net("jp-tokyo-home", "Tokyo", "JP", 35.6762, 139.6503, 64520, "Sakura Hikari (synthetic)", NetworkKind.Residential, "11.10.0.0/16", "3fff:10::/32"),
        Net("jp-osaka-mobile", "Osaka", "JP", 34.6937, 135.5023, 64521, "Kansai Mobile (synthetic)", NetworkKind.Mobile, "22.32.0.0/12", "3fff:11::/32"),
        Net("sg-home", "Singapore", "SG", 1.3521, 103.8198, 64525, "Merlion Broadband (synthetic)", NetworkKind.Residential, "11.15.0.0/16", "3fff:15::/32"),
        Net("vn-hcmc-home", "Ho Chi Minh City", "VN", 10.8231, 106.6297, 64526, "Saigon Net (synthetic)", NetworkKind.Residential, "11.16.0.0/16", "3fff:16::/32"),
        Net("au-sydney-home", "Sydney", "AU", -33.8688, 151.2093, 64527, "Harbour Broadband (synthetic)", NetworkKind.Residential, "11.17.0.0/16", "3fff:17::/32"),

        // Europe.
        Net("de-frankfurt-home", "Frankfurt", "DE", 50.1109, 8.6821, 64530, "Main Kabel (synthetic)", NetworkKind.Residential, "11.20.0.0/16", "3fff:20::/32"),
        Net("gb-london-home", "London", "GB", 51.5074, -0.1278, 64531, "Thames Broadband (synthetic)", NetworkKind.Residential, "11.21.0.0/16", "3fff:21::/32"),
        Net("gb-london-mobile", "London", "GB", 51.5074, -0.1278, 64532, "Albion Mobile (synthetic)", NetworkKind.Mobile, "22.48.0.0/12", "3fff:22::/32"),

        // Americas and Africa.
        Net("us-newyork-home", "New York", "US", 40.7128, -74.0060, 64540, "Hudson Cable (synthetic)", NetworkKind.Residential, "11.30.0.0/16", "3fff:30::/32"),
        Net("us-newyork-mobile", "New York", "US", 40.7128, -74.0060, 64541, "Empire Wireless (synthetic)", NetworkKind.Mobile, "22.64.0.0/12", "3fff:31::/32"),
        Net("br-saopaulo-home", "Sao Paulo", "BR", -23.5505, -46.6333, 64545, "Paulista Fibra (synthetic)", NetworkKind.Residential, "11.35.0.0/16", "3fff:35::/32"),
        Net("ng-lagos-mobile", "Lagos", "NG", 6.5244, 3.3792, 64550, "Lagoon Mobile (synthetic)", NetworkKind.Mobile, "22.80.0.0/12", "3fff:40::/32"),

        // Cloud and hosting: real provider ASNs, invented blocks.
        Net("aws-seoul", "Seoul", "KR", 37.5665, 126.9780, 16509, "Amazon.com, Inc.", NetworkKind.Hosting, "11.100.0.0/16", "3fff:100::/32"),
        Net("aws-tokyo", "Tokyo", "JP", 35.6762, 139.6503, 16509, "Amazon.com, Inc.", NetworkKind.Hosting, "11.101.0.0/16", "3fff:101::/32"),
        Net("gcp-singapore", "Singapore", "SG", 1.3521, 103.8198, 396982, "Google LLC", NetworkKind.Hosting, "11.102.0.0/16", "3fff:102::/32"),
        Net("azure-amsterdam", "Amsterdam", "NL", 52.3676, 4.9041, 8075, "Microsoft Corporation", NetworkKind.Hosting, "11.103.0.0/16", "3fff:103::/32"),
        Net("digitalocean-frankfurt", "Frankfurt", "DE", 50.1109, 8.6821, 14061, "DigitalOcean, LLC", NetworkKind.Hosting, "11.104.0.0/16", "3fff:104::/32"),
        Net("hetzner-falkenstein", "Falkenstein", "DE", 50.4779, 12.3713, 24940, "Hetzner Online GmbH", NetworkKind.Hosting, "11.105.0.0/16", "3fff:105::/32"),
        Net("ovh-roubaix", "Roubaix", "FR", 50.6942, 3.1746, 16276, "OVH SAS", NetworkKind.Hosting, "11.106.0.0/16", "3fff:106::/32"),
        Net("vultr-newyork", "New York", "US", 40.7128, -74.0060, 20473, "The Constant Company, LLC", NetworkKind.Hosting, "11.107.0.0/16", "3fff:107::/32"),

        // VPN egress: real provider ASNs, invented blocks.
        Net("vpn-m247-london", "London", "GB", 51.5074, -0.1278, 9009, "M247 Europe SRL", NetworkKind.Vpn, "11.110.0.0/16", "3fff:110::/32"),
        Net("vpn-datacamp-hongkong", "Hong Kong", "HK", 22.3193, 114.1694, 60068, "Datacamp Limited", NetworkKind.Vpn, "11.111.0.0/16", "3fff:111::/32"),

        // A trading-bot vendor that legitimately uses many users' keys from its published blocks.
        Net("botvendor-frankfurt", "Frankfurt", "DE", 50.1109, 8.6821, 64560, "Tradebot Platform (synthetic)", NetworkKind.Platform, "11.120.0.0/16", "3fff:120::/32"),
    ];

    private static readonly ReadOnlyCollection<GeoNetwork> NetworkList = Array.AsReadOnly(AllNetworks);

    private static readonly IpRangeTable Ranges = BuildRanges();

    private static readonly FrozenDictionary<string, GeoNetwork> ByName =
        AllNetworks.ToFrozenDictionary(n => n.Name, StringComparer.Ordinal);

    private readonly GeoInfo[] _answers;

    /// <param name="hostingAsns">ASNs also flagged as hosting, on top of the networks of kind Hosting and Vpn.</param>
    public BuiltInGeoTable(HostingAsnSet? hostingAsns = null)
    {
        var hosting = hostingAsns ?? HostingAsnSet.Default;
        _answers = new GeoInfo[AllNetworks.Length];
        for (int i = 0; i < AllNetworks.Length; i++)
        {
            var n = AllNetworks[i];
            _answers[i] = new GeoInfo(n.Country, n.Latitude, n.Longitude, n.Asn, n.Organization, n.IsHosting || hosting.Contains(n.Asn))
            {
                City = n.City,
                IsMobile = n.IsMobileCarrier,
            };
        }
    }

    /// <summary>A table flagging <see cref="HostingAsnSet.Default"/> as hosting.</summary>
    public static BuiltInGeoTable Default { get; } = new();

    /// <summary>Every network of the table, in a fixed order.</summary>
    public static IReadOnlyList<GeoNetwork> Networks => NetworkList;

    /// <summary>The network with this <see cref="GeoNetwork.Name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such network; the message lists the names.</exception>
    public static GeoNetwork Network(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return ByName.TryGetValue(name, out var network)
            ? network
            : throw new KeyNotFoundException($"No built-in network named '{name}'. Known: {string.Join(", ", ByName.Keys.Order(StringComparer.Ordinal))}.");
    }

    /// <summary>The network holding <paramref name="address"/>, if any.</summary>
    public static bool TryFindNetwork(IPAddress address, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out GeoNetwork? network)
    {
        int i = Ranges.Find(address);
        network = i >= 0 ? AllNetworks[i] : null;
        return network is not null;
    }

    public GeoInfo Lookup(IPAddress address)
    {
        int i = Ranges.Find(address);
        return i >= 0 ? _answers[i] : GeoInfo.Unknown;
    }

    private static IpRangeTable BuildRanges()
    {
        var builder = new IpRangeTable.Builder();
        for (int i = 0; i < AllNetworks.Length; i++)
        {
            builder.Add(AllNetworks[i].V4, i);
            builder.Add(AllNetworks[i].V6, i);
        }
        return builder.Build();
    }

    private static GeoNetwork Net(
        string name, string city, string country, double latitude, double longitude, long asn, string organization, NetworkKind kind, string v4, string v6) =>
        new(name, city, country, latitude, longitude, asn, organization, kind, IPNetwork.Parse(v4), IPNetwork.Parse(v6));
}
