namespace KeyShareDetector.Geo.Tests.Support;

/// <summary>Tiny GeoLite2-shaped City, Country and ASN databases written with <see cref="MmdbWriter"/>.</summary>
internal static class TestDatabases
{
    public const string SeoulV4 = "175.192.0.0/12";
    public const string SeoulV6 = "2001:e60::/32";
    public const string TokyoAwsV4 = "52.192.0.0/11";
    public const string ProxyV4 = "185.220.100.0/22";
    public const string LongOrganization = "Korea Telecom Corporation, Republic of Korea \"KT\"";

    public static string WriteCity(string directory, int recordSize = 24, string databaseType = "GeoLite2-City")
    {
        var seoul = City("Seoul", 1835848, "KR", 1835841, "South Korea", 37.5665, 126.978, "Asia/Seoul");
        var busan = City("Busan", 1838524, "KR", 1835841, "South Korea", 35.1028, 129.0403, "Asia/Seoul");
        var tokyo = City("Tokyo", 1850147, "JP", 1861060, "Japan", 35.6895, 139.6917, "Asia/Tokyo");
        var proxy = new Dictionary<string, object>
        {
            ["country"] = Country("DE", 2921044, "Germany"),
            ["registered_country"] = Country("DE", 2921044, "Germany"),
            ["traits"] = new Dictionary<string, object> { ["is_anonymous_proxy"] = true },
        };
        var writer = new MmdbWriter(databaseType, recordSize)
            .Insert(SeoulV4, seoul)
            .Insert("175.200.0.0/16", busan) // more specific, inside Seoul's /12
            .Insert(SeoulV6, seoul)
            .Insert(TokyoAwsV4, tokyo)
            .Insert(ProxyV4, proxy);
        string path = Path.Combine(directory, $"{databaseType}-{recordSize}.mmdb");
        writer.WriteTo(path);
        return path;
    }

    public static string WriteAsn(string directory, int recordSize = 24, string databaseType = "GeoLite2-ASN")
    {
        var writer = new MmdbWriter(databaseType, recordSize)
            .Insert(SeoulV4, Asn(4766, LongOrganization))
            .Insert(SeoulV6, Asn(4766, LongOrganization))
            .Insert(TokyoAwsV4, Asn(16509, "AMAZON-02"))
            .Insert(ProxyV4, Asn(4224967295, "Big Number Networks"));
        string path = Path.Combine(directory, $"{databaseType}-{recordSize}.mmdb");
        writer.WriteTo(path);
        return path;
    }

    public static string WriteCountry(string directory)
    {
        var writer = new MmdbWriter("GeoLite2-Country")
            .Insert(SeoulV4, new Dictionary<string, object> { ["country"] = Country("KR", 1835841, "South Korea") })
            .Insert("203.0.113.0/24", new Dictionary<string, object> { ["registered_country"] = Country("AU", 2077456, "Australia") });
        string path = Path.Combine(directory, "GeoLite2-Country.mmdb");
        writer.WriteTo(path);
        return path;
    }

    private static Dictionary<string, object> City(
        string name, uint cityId, string iso, uint countryId, string countryName, double latitude, double longitude, string timeZone) => new()
    {
        ["city"] = new Dictionary<string, object>
        {
            ["geoname_id"] = cityId,
            ["names"] = new Dictionary<string, object> { ["en"] = name },
        },
        ["continent"] = new Dictionary<string, object>
        {
            ["code"] = "AS",
            ["geoname_id"] = 6255147u,
            ["names"] = new Dictionary<string, object> { ["en"] = "Asia" },
        },
        ["country"] = Country(iso, countryId, countryName),
        ["location"] = new Dictionary<string, object>
        {
            ["accuracy_radius"] = (ushort)20,
            ["latitude"] = latitude,
            ["longitude"] = longitude,
            ["time_zone"] = timeZone,
        },
        ["registered_country"] = Country(iso, countryId, countryName),
    };

    private static Dictionary<string, object> Country(string iso, uint geonameId, string name) => new()
    {
        ["geoname_id"] = geonameId,
        ["iso_code"] = iso,
        ["names"] = new Dictionary<string, object> { ["en"] = name },
    };

    private static Dictionary<string, object> Asn(uint number, string organization) => new()
    {
        ["autonomous_system_number"] = number,
        ["autonomous_system_organization"] = organization,
    };
}
