using System.Net;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Geo.Tests.Support;

namespace KeyShareDetector.Geo.Tests;

public sealed class GeoLookupFactoryTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_default_is_the_built_in_table()
    {
        var lookup = GeoLookupFactory.Create(new GeoLookupOptions());

        Assert.IsType<BuiltInGeoTable>(lookup);
        Assert.Equal("Seoul", lookup.Lookup(IPAddress.Parse("11.1.0.1")).City);
    }

    [Fact]
    public void Every_problem_is_reported_once_naming_its_setting()
    {
        var options = new GeoLookupOptions
        {
            Source = GeoSource.MaxMind,
            CityPath = _dir.Combine("nope-city.mmdb"),
            AsnPath = _dir.Combine("nope-asn.mmdb"),
            HostingAsns = [-1],
        };

        var e = Assert.Throws<GeoConfigurationException>(() => GeoLookupFactory.Create(options));

        Assert.Equal(3, e.Problems.Count);
        Assert.StartsWith("Geo:CityPath: file ", e.Problems[0], StringComparison.Ordinal);
        Assert.StartsWith("Geo:AsnPath: file ", e.Problems[1], StringComparison.Ordinal);
        Assert.StartsWith("Geo:HostingAsns: -1 ", e.Problems[2], StringComparison.Ordinal);
        Assert.Equal(string.Join(Environment.NewLine, e.Problems), e.Message);
    }

    [Fact]
    public void A_path_with_the_built_in_source_is_a_mistake()
    {
        var problems = GeoLookupFactory.Validate(new GeoLookupOptions { CityPath = "/data/GeoLite2-City.mmdb" });

        Assert.Equal("Geo:CityPath is set but Geo:Source is BuiltIn, which reads no files: set Geo:Source to Csv or MaxMind, or remove the path.", Assert.Single(problems));
    }

    [Fact]
    public void A_file_source_without_files_is_a_mistake()
    {
        var problems = GeoLookupFactory.Validate(new GeoLookupOptions { Source = GeoSource.Csv });

        Assert.StartsWith("Geo:Source is Csv but no file is set", Assert.Single(problems), StringComparison.Ordinal);
    }

    [Fact]
    public void The_MaxMind_source_opens_the_databases()
    {
        var options = new GeoLookupOptions
        {
            Source = GeoSource.MaxMind,
            CityPath = TestDatabases.WriteCity(_dir.Path),
            AsnPath = TestDatabases.WriteAsn(_dir.Path),
        };

        var lookup = GeoLookupFactory.Create(options);
        using var disposable = Assert.IsAssignableFrom<IDisposable>(lookup);

        Assert.IsType<MaxMindGeoLookup>(lookup);
        Assert.Equal(4766, lookup.Lookup(IPAddress.Parse("175.193.10.20")).Asn);
    }

    [Fact]
    public void The_CSV_source_combines_city_and_asn_files_and_the_configured_hosting_asns()
    {
        string city = _dir.File("city.csv", "1.0.0.0,1.0.0.255,AU,Queensland,,South Brisbane,,-27.4767,153.017,\n");
        string asnV4 = _dir.File("asn-ipv4.csv", "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n");
        string asnV6 = _dir.File("asn-ipv6.csv", "2606:4700::,2606:4700:ffff:ffff:ffff:ffff:ffff:ffff,13335,\"Cloudflare, Inc.\"\n");
        var options = new GeoLookupOptions
        {
            Source = GeoSource.Csv,
            CityPath = city,
            AsnPath = asnV4 + Path.PathSeparator + asnV6,
            HostingAsns = [13335],
            UseDefaultHostingAsns = false,
        };

        var lookup = GeoLookupFactory.Create(options);

        Assert.Equal(
            new GeoInfo("AU", -27.4767, 153.017, 13335, "Cloudflare, Inc.", IsHosting: true) { City = "South Brisbane" },
            lookup.Lookup(IPAddress.Parse("1.0.0.1")));
        Assert.True(lookup.Lookup(IPAddress.Parse("2606:4700::1")).IsHosting);
    }

    [Fact]
    public void Switching_off_the_default_hosting_list_unflags_cloud_asns()
    {
        var lookup = GeoLookupFactory.Create(new GeoLookupOptions { UseDefaultHostingAsns = false });
        var aws = BuiltInGeoTable.Network("aws-tokyo");
        var kr = BuiltInGeoTable.Network("kr-seoul-home");

        // The built-in table still knows its own hosting networks; the list only adds ASNs.
        Assert.True(lookup.Lookup(aws.AddressV4(1)).IsHosting);
        Assert.False(lookup.Lookup(kr.AddressV4(1)).IsHosting);
    }
}
