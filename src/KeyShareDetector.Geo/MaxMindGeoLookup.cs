using System.Net;
using KeyShareDetector.Detection.Geo;
using MaxMind.Db;
using MaxMind.GeoIP2;

namespace KeyShareDetector.Geo;

/// <summary>
/// Geo/ASN answers from MaxMind DB files: a City (or Country) database and an ASN database, GeoLite2/GeoIP2 or
/// the DB-IP lite equivalents. Hosting is the <see cref="HostingAsnSet"/> plus MaxMind's anonymous-proxy and
/// hosting-provider traits where the database carries them. Thread-safe; dispose to unmap the files.
/// </summary>
public sealed class MaxMindGeoLookup : IGeoLookup, IDisposable
{
    private readonly DatabaseReader? _city;
    private readonly DatabaseReader? _country;
    private readonly DatabaseReader? _asn;
    private readonly HostingAsnSet _hostingAsns;

    /// <summary>Opens the given databases; at least one path must be set.</summary>
    /// <exception cref="GeoConfigurationException">A file is missing, not a MaxMind database, or of the wrong type.</exception>
    public MaxMindGeoLookup(
        string? cityPath,
        string? asnPath,
        string? countryPath = null,
        HostingAsnSet? hostingAsns = null,
        bool loadIntoMemory = false)
    {
        if (cityPath is null && asnPath is null && countryPath is null)
        {
            throw new GeoConfigurationException(
                $"{GeoLookupOptions.Setting(nameof(GeoLookupOptions.CityPath))}: set a City, Country or ASN database path for the MaxMind source.");
        }
        _hostingAsns = hostingAsns ?? HostingAsnSet.Default;
        var mode = loadIntoMemory ? FileAccessMode.Memory : FileAccessMode.MemoryMapped;
        try
        {
            _city = Open(cityPath, nameof(GeoLookupOptions.CityPath), "City", mode, static r => r.TryCity(IPAddress.Loopback, out _));
            _country = Open(countryPath, nameof(GeoLookupOptions.CountryPath), "Country", mode, static r => r.TryCountry(IPAddress.Loopback, out _));
            _asn = Open(asnPath, nameof(GeoLookupOptions.AsnPath), "ASN", mode, static r => r.TryAsn(IPAddress.Loopback, out _));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Database types as their metadata states them (e.g. "GeoLite2-City"), for the startup log.</summary>
    public IReadOnlyList<string> DatabaseTypes =>
        [.. new[] { _city, _country, _asn }.Where(d => d is not null).Select(d => d!.Metadata.DatabaseType)];

    public GeoInfo Lookup(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        // The databases answer IPv4 from their IPv4 subtree; a dual-stack socket's ::ffff:a.b.c.d is that address.
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();

        string? country = null;
        string? city = null;
        double? latitude = null;
        double? longitude = null;
        bool hosting = false;
        if (_city is not null && _city.TryCity(address, out var c) && c is not null)
        {
            country = c.Country.IsoCode ?? c.RegisteredCountry.IsoCode;
            city = c.City.Name;
            if (c.Location.HasCoordinates)
            {
                latitude = c.Location.Latitude;
                longitude = c.Location.Longitude;
            }
            hosting = IsAnonymousOrHosting(c.Traits);
        }
        if (country is null && _country is not null && _country.TryCountry(address, out var k) && k is not null)
        {
            country = k.Country.IsoCode ?? k.RegisteredCountry.IsoCode;
            hosting |= IsAnonymousOrHosting(k.Traits);
        }
        long? asn = null;
        string? organization = null;
        if (_asn is not null && _asn.TryAsn(address, out var a) && a is not null)
        {
            asn = a.AutonomousSystemNumber;
            organization = a.AutonomousSystemOrganization;
        }
        hosting |= _hostingAsns.Contains(asn);
        return new GeoInfo(country, latitude, longitude, asn, organization, hosting) { City = city };
    }

    public void Dispose()
    {
        _city?.Dispose();
        _country?.Dispose();
        _asn?.Dispose();
    }

    // Obsolete in the API because MaxMind now sells these flags separately, but databases that still carry
    // is_anonymous_proxy / is_hosting_provider (older GeoIP2 builds, third-party writers) decode them here.
#pragma warning disable CS0618
    private static bool IsAnonymousOrHosting(MaxMind.GeoIP2.Model.Traits traits) => traits.IsAnonymousProxy || traits.IsHostingProvider;
#pragma warning restore CS0618

    private static DatabaseReader? Open(string? path, string settingName, string kind, FileAccessMode mode, Func<DatabaseReader, bool> probe)
    {
        if (path is null) return null;
        string setting = GeoLookupOptions.Setting(settingName);
        if (!File.Exists(path))
        {
            throw new GeoConfigurationException($"{setting}: MaxMind {kind} database '{path}' does not exist.");
        }
        DatabaseReader reader;
        try
        {
            reader = new DatabaseReader(path, mode);
        }
        catch (Exception e) when (e is InvalidDatabaseException or IOException or UnauthorizedAccessException)
        {
            throw new GeoConfigurationException($"{setting}: '{path}' cannot be opened as a MaxMind {kind} database: {e.Message}", e);
        }
        try
        {
            // The reader checks the database type on each lookup; ask once now so a swapped path fails at start.
            probe(reader);
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDatabaseException)
        {
            string type = reader.Metadata.DatabaseType;
            reader.Dispose();
            throw new GeoConfigurationException(
                $"{setting}: '{path}' is a '{type}' database, which cannot answer {kind} lookups; expected a GeoLite2/GeoIP2 or DB-IP lite {kind} database.",
                e);
        }
        return reader;
    }
}
