using System.Net;

namespace KeyShareDetector.Detection.Geo;

/// <summary>
/// Several sources answering together, e.g. a city source and an ASN source: each part of the answer comes from
/// the first source that knows it. An address is hosting when any source says so or its ASN is in the
/// <see cref="HostingAsnSet"/>. Sources stay owned by the caller.
/// </summary>
public sealed class CompositeGeoLookup : IGeoLookup
{
    private readonly IGeoLookup[] _sources;
    private readonly HostingAsnSet _hostingAsns;

    /// <param name="sources">In order of preference.</param>
    /// <param name="hostingAsns">Defaults to <see cref="HostingAsnSet.Default"/>.</param>
    public CompositeGeoLookup(IEnumerable<IGeoLookup> sources, HostingAsnSet? hostingAsns = null)
    {
        ArgumentNullException.ThrowIfNull(sources);
        _sources = [.. sources];
        if (_sources.Length == 0) throw new ArgumentException("A composite lookup needs at least one source.", nameof(sources));
        if (_sources.Any(s => s is null)) throw new ArgumentException("A source is null.", nameof(sources));
        _hostingAsns = hostingAsns ?? HostingAsnSet.Default;
    }

    public IReadOnlyList<IGeoLookup> Sources => _sources;

    public GeoInfo Lookup(IPAddress address)
    {
        string? country = null;
        string? city = null;
        double? latitude = null;
        double? longitude = null;
        long? asn = null;
        string? organization = null;
        bool hosting = false;
        foreach (var source in _sources)
        {
            var g = source.Lookup(address);
            country ??= g.Country;
            city ??= g.City;
            if (latitude is null && g.HasLocation)
            {
                latitude = g.Latitude;
                longitude = g.Longitude;
            }
            if (asn is null && g.Asn is not null)
            {
                asn = g.Asn;
                organization = g.AsnOrganization;
            }
            hosting |= g.IsHosting;
        }
        hosting |= _hostingAsns.Contains(asn);
        return new GeoInfo(country, latitude, longitude, asn, organization, hosting) { City = city };
    }
}
