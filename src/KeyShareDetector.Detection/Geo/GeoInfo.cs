namespace KeyShareDetector.Detection.Geo;

/// <summary>Where an IP is and whose network it is. Every part may be unknown.</summary>
/// <param name="Country">ISO 3166-1 alpha-2 code, upper case.</param>
/// <param name="Asn">Autonomous system number of the network.</param>
/// <param name="IsHosting">The ASN is a hosting, cloud or VPN provider: travel and diversity through it count less.</param>
public readonly record struct GeoInfo(string? Country, double? Latitude, double? Longitude, long? Asn, string? AsnOrganization, bool IsHosting)
{
    public static GeoInfo Unknown => default;

    public bool HasLocation => Latitude is not null && Longitude is not null;

    /// <summary>City name (English where the source has several), for evidence an analyst reads; never used to decide.</summary>
    public string? City { get; init; }

    /// <summary>A mobile carrier's network: many subscribers share each public IP (CGNAT).</summary>
    public bool IsMobile { get; init; }
}

/// <summary>Looks up where an IP is; implementations are read-only and thread-safe after construction.</summary>
public interface IGeoLookup
{
    GeoInfo Lookup(System.Net.IPAddress address);
}
