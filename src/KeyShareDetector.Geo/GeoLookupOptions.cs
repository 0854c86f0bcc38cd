using KeyShareDetector.Detection.Geo;

namespace KeyShareDetector.Geo;

/// <summary>Where geo/ASN answers come from.</summary>
public enum GeoSource
{
    /// <summary>The synthetic <see cref="BuiltInGeoTable"/>: offline, for the simulator, demos and tests.</summary>
    BuiltIn,

    /// <summary>ip-location-db CSV range files.</summary>
    Csv,

    /// <summary>MaxMind DB (.mmdb) files: GeoLite2 / GeoIP2, or DB-IP lite, which use the same format.</summary>
    MaxMind,
}

/// <summary>Geo lookup settings, bound from the "Geo" configuration section.</summary>
public sealed record GeoLookupOptions
{
    public const string SectionName = "Geo";

    public GeoSource Source { get; init; } = GeoSource.BuiltIn;

    /// <summary>
    /// City database: GeoLite2-City.mmdb / dbip-city-lite.mmdb, or an ip-location-db city CSV. For CSV, several
    /// files (IPv4 and IPv6) may be joined with the platform path separator (':' on Linux, ';' on Windows).
    /// </summary>
    public string? CityPath { get; init; }

    /// <summary>ASN database: GeoLite2-ASN.mmdb / dbip-asn-lite.mmdb, or ip-location-db ASN CSV file(s).</summary>
    public string? AsnPath { get; init; }

    /// <summary>Country database, used where the city database is absent or has no country for an address.</summary>
    public string? CountryPath { get; init; }

    /// <summary>ASNs marked hosting/VPN on top of <see cref="HostingAsnSet.DefaultAsns"/> (unless that is switched off).</summary>
    public IReadOnlyList<long> HostingAsns { get; init; } = [];

    /// <summary>Start from the documented default list of cloud/VPN ASNs.</summary>
    public bool UseDefaultHostingAsns { get; init; } = true;

    /// <summary>MaxMind only: read the files into memory instead of memory-mapping them.</summary>
    public bool LoadIntoMemory { get; init; }

    internal static string Setting(string name) => $"{SectionName}:{name}";
}
