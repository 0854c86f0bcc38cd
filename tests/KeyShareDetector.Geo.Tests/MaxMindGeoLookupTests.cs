using System.Net;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Geo.Tests.Support;
using MaxMind.GeoIP2;

namespace KeyShareDetector.Geo.Tests;

public sealed class MaxMindGeoLookupTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(24)]
    [InlineData(28)]
    [InlineData(32)]
    public void An_IPv4_address_stored_at_its_IPv4_position_in_an_IPv6_tree_is_found(int recordSize)
    {
        using var lookup = new MaxMindGeoLookup(TestDatabases.WriteCity(_dir.Path, recordSize), TestDatabases.WriteAsn(_dir.Path, recordSize));

        var geo = lookup.Lookup(IPAddress.Parse("175.193.10.20"));

        Assert.Equal(new GeoInfo("KR", 37.5665, 126.978, 4766, TestDatabases.LongOrganization, false) { City = "Seoul" }, geo);
    }

    [Fact]
    public void A_more_specific_network_inside_a_larger_one_wins()
    {
        using var lookup = new MaxMindGeoLookup(TestDatabases.WriteCity(_dir.Path), TestDatabases.WriteAsn(_dir.Path));

        Assert.Equal("Busan", lookup.Lookup(IPAddress.Parse("175.200.1.1")).City);
        Assert.Equal("Seoul", lookup.Lookup(IPAddress.Parse("175.201.0.0")).City);
        Assert.Equal("Seoul", lookup.Lookup(IPAddress.Parse("175.199.255.255")).City);
    }

    [Fact]
    public void An_IPv6_address_is_found()
    {
        using var lookup = new MaxMindGeoLookup(TestDatabases.WriteCity(_dir.Path), TestDatabases.WriteAsn(_dir.Path));

        var geo = lookup.Lookup(IPAddress.Parse("2001:e60:1234::1"));

        Assert.Equal("KR", geo.Country);
        Assert.Equal(4766, geo.Asn);
    }

    [Fact]
    public void IPv4_mapped_and_IPv4_compatible_forms_reach_the_IPv4_data()
    {
        using var lookup = new MaxMindGeoLookup(TestDatabases.WriteCity(_dir.Path), TestDatabases.WriteAsn(_dir.Path));
        var expected = lookup.Lookup(IPAddress.Parse("52.196.1.1"));

        Assert.Equal("Tokyo", expected.City);
        Assert.Equal(expected, lookup.Lookup(IPAddress.Parse("::ffff:52.196.1.1")));
        Assert.Equal(expected, lookup.Lookup(IPAddress.Parse("::52.196.1.1")));
    }

    [Fact]
    public void An_address_in_no_network_is_unknown()
    {
        using var lookup = new MaxMindGeoLookup(TestDatabases.WriteCity(_dir.Path), TestDatabases.WriteAsn(_dir.Path));

        Assert.Equal(GeoInfo.Unknown, lookup.Lookup(IPAddress.Parse("8.8.8.8")));
        Assert.Equal(GeoInfo.Unknown, lookup.Lookup(IPAddress.Parse("2a00::1")));
    }

    [Fact]
    public void A_hosting_asn_is_flagged_from_the_hosting_set()
    {
        using var lookup = new MaxMindGeoLookup(TestDatabases.WriteCity(_dir.Path), TestDatabases.WriteAsn(_dir.Path));
        using var withoutSet = new MaxMindGeoLookup(TestDatabases.WriteCity(_dir.Path), TestDatabases.WriteAsn(_dir.Path), hostingAsns: HostingAsnSet.Empty);

        Assert.True(lookup.Lookup(IPAddress.Parse("52.196.1.1")).IsHosting);
        Assert.False(withoutSet.Lookup(IPAddress.Parse("52.196.1.1")).IsHosting);
    }

    [Fact]
    public void The_anonymous_proxy_trait_marks_hosting_and_large_asns_survive()
    {
        using var lookup = new MaxMindGeoLookup(TestDatabases.WriteCity(_dir.Path), TestDatabases.WriteAsn(_dir.Path), hostingAsns: HostingAsnSet.Empty);

        var geo = lookup.Lookup(IPAddress.Parse("185.220.101.1"));

        Assert.True(geo.IsHosting);
        Assert.Equal("DE", geo.Country);
        Assert.False(geo.HasLocation);
        Assert.Equal(4224967295, geo.Asn);
    }

    [Fact]
    public void A_country_database_fills_the_country_alone_or_behind_a_city_database()
    {
        using var countryOnly = new MaxMindGeoLookup(null, null, TestDatabases.WriteCountry(_dir.Path));
        using var both = new MaxMindGeoLookup(TestDatabases.WriteCity(_dir.Path), null, TestDatabases.WriteCountry(_dir.Path));

        Assert.Equal("KR", countryOnly.Lookup(IPAddress.Parse("175.193.0.1")).Country);
        Assert.Equal("AU", countryOnly.Lookup(IPAddress.Parse("203.0.113.9")).Country);
        Assert.Equal("AU", both.Lookup(IPAddress.Parse("203.0.113.9")).Country);
        Assert.Equal("Seoul", both.Lookup(IPAddress.Parse("175.193.0.1")).City);
    }

    [Fact]
    public void Databases_can_be_read_into_memory_instead_of_mapped()
    {
        using var lookup = new MaxMindGeoLookup(TestDatabases.WriteCity(_dir.Path), TestDatabases.WriteAsn(_dir.Path), loadIntoMemory: true);

        Assert.Equal("Seoul", lookup.Lookup(IPAddress.Parse("175.193.10.20")).City);
    }

    [Fact]
    public void DB_IP_lite_database_types_are_accepted()
    {
        using var lookup = new MaxMindGeoLookup(
            TestDatabases.WriteCity(_dir.Path, databaseType: "DBIP-City-Lite"),
            TestDatabases.WriteAsn(_dir.Path, databaseType: "DBIP-ASN-Lite (compat=GeoLite2-ASN)"));

        Assert.Equal(["DBIP-City-Lite", "DBIP-ASN-Lite (compat=GeoLite2-ASN)"], lookup.DatabaseTypes);
        Assert.Equal(4766, lookup.Lookup(IPAddress.Parse("175.193.10.20")).Asn);
    }

    [Fact]
    public void An_IPv4_only_database_answers_IPv4_and_leaves_IPv6_unknown()
    {
        string path = _dir.Combine("ipv4-only-asn.mmdb");
        new MmdbWriter("GeoLite2-ASN", ipVersion: 4)
            .Insert("52.192.0.0/11", new Dictionary<string, object> { ["autonomous_system_number"] = 16509u, ["autonomous_system_organization"] = "AMAZON-02" })
            .WriteTo(path);
        using var lookup = new MaxMindGeoLookup(null, path);

        Assert.Equal(16509, lookup.Lookup(IPAddress.Parse("52.223.255.255")).Asn);
        Assert.Null(lookup.Lookup(IPAddress.Parse("52.224.0.0")).Asn);
        Assert.Null(lookup.Lookup(IPAddress.Parse("2001:e60::1")).Asn);
    }

    [Fact]
    public void The_test_writer_produces_the_metadata_the_reader_expects()
    {
        string path = TestDatabases.WriteCity(_dir.Path, 28);

        using var reader = new DatabaseReader(path);

        Assert.Equal("GeoLite2-City", reader.Metadata.DatabaseType);
        Assert.Equal(6, reader.Metadata.IPVersion);
        Assert.Equal(2, reader.Metadata.BinaryFormatMajorVersion);
        Assert.Equal(0, reader.Metadata.BinaryFormatMinorVersion);
        Assert.Equal(["en"], reader.Metadata.Languages);
        Assert.Equal(new DateTime(2023, 11, 14, 22, 13, 20, DateTimeKind.Utc), reader.Metadata.BuildDate);
        Assert.Contains("GeoLite2-City", reader.Metadata.Description["en"], StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_fails_at_construction_naming_the_setting_and_path()
    {
        string path = _dir.Combine("GeoLite2-City.mmdb");

        var e = Assert.Throws<GeoConfigurationException>(() => new MaxMindGeoLookup(path, null));

        Assert.Equal($"Geo:CityPath: MaxMind City database '{path}' does not exist.", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_MaxMind_database_fails_naming_the_setting()
    {
        string path = _dir.File("asn.mmdb", "1.0.0.0,1.0.0.255,13335,Cloudflare\n");

        var e = Assert.Throws<GeoConfigurationException>(() => new MaxMindGeoLookup(null, path));

        Assert.StartsWith($"Geo:AsnPath: '{path}' cannot be opened as a MaxMind ASN database", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Swapped_city_and_asn_paths_fail_at_construction()
    {
        string city = TestDatabases.WriteCity(_dir.Path);
        string asn = TestDatabases.WriteAsn(_dir.Path);

        var e = Assert.Throws<GeoConfigurationException>(() => new MaxMindGeoLookup(asn, city));

        Assert.StartsWith("Geo:CityPath: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("'GeoLite2-ASN' database, which cannot answer City lookups", e.Message, StringComparison.Ordinal);
    }
}
