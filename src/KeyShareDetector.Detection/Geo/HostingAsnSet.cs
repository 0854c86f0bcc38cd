using System.Collections.Frozen;
using System.Globalization;

namespace KeyShareDetector.Detection.Geo;

/// <summary>
/// ASNs whose addresses are hosting, cloud or VPN egress: a source's answer for them is marked
/// <see cref="GeoInfo.IsHosting"/> whatever the source itself says.
/// </summary>
public sealed class HostingAsnSet
{
    /// <summary>
    /// A starting point, not a complete list: well-known clouds and the hosters commercial VPNs egress from.
    /// Operators extend it from their own traffic (see <see cref="With"/> and <see cref="Parse"/>).
    /// </summary>
    public static readonly IReadOnlyList<long> DefaultAsns =
    [
        16509, 14618,   // Amazon (AWS)
        15169, 396982,  // Google, Google Cloud
        8075,           // Microsoft (Azure)
        31898,          // Oracle Cloud
        45102,          // Alibaba Cloud
        132203,         // Tencent Cloud
        36351,          // IBM Cloud (SoftLayer)
        14061,          // DigitalOcean
        16276,          // OVH
        24940,          // Hetzner
        63949,          // Linode / Akamai
        20473,          // Vultr (The Constant Company)
        51167,          // Contabo
        12876,          // Scaleway
        60781,          // Leaseweb
        9009,           // M247 (VPN egress)
        60068,          // Datacamp / CDN77 (VPN egress)
    ];

    private readonly FrozenSet<long> _asns;

    public HostingAsnSet(IEnumerable<long> asns)
    {
        ArgumentNullException.ThrowIfNull(asns);
        var list = asns.ToList();
        foreach (long asn in list)
        {
            if (asn is < 0 or > uint.MaxValue) throw new ArgumentOutOfRangeException(nameof(asns), asn, "An ASN is a number from 0 to 4294967295.");
        }
        _asns = list.ToFrozenSet();
    }

    /// <summary>The documented <see cref="DefaultAsns"/>.</summary>
    public static HostingAsnSet Default { get; } = new(DefaultAsns);

    public static HostingAsnSet Empty { get; } = new([]);

    public int Count => _asns.Count;

    /// <summary>The ASNs, in ascending order.</summary>
    public IReadOnlyList<long> Asns => [.. _asns.Order()];

    public bool Contains(long? asn) => asn is long a && _asns.Contains(a);

    /// <summary>This set plus <paramref name="more"/>.</summary>
    public HostingAsnSet With(IEnumerable<long> more) => new(_asns.Concat(more));

    /// <summary>
    /// Reads ASNs separated by commas, semicolons or white space, each a number optionally written "AS16509".
    /// </summary>
    /// <exception cref="FormatException">A token is not an ASN; the message names it.</exception>
    public static HostingAsnSet Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var asns = new List<long>();
        foreach (var raw in text.Split([',', ';', ' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries))
        {
            var token = raw.StartsWith("AS", StringComparison.OrdinalIgnoreCase) ? raw.AsSpan(2) : raw.AsSpan();
            if (!uint.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out uint asn))
            {
                throw new FormatException($"'{raw}' is not an ASN: write a number such as 16509 or AS16509.");
            }
            asns.Add(asn);
        }
        return new HostingAsnSet(asns);
    }
}
