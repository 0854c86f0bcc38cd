using System.IO.Compression;
using System.Net;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Geo.Tests.Support;

namespace KeyShareDetector.Geo.Tests;

public sealed class CsvRangeGeoLookupTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_country_file_answers_IPv4_and_IPv6_from_the_same_file()
    {
        string path = _dir.File("country.csv", """
            1.0.0.0,1.0.0.255,AU
            1.0.1.0,1.0.3.255,CN
            2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,JP
            """);

        var lookup = CsvRangeGeoLookup.Load(CsvGeoFileKind.Country, path);

        Assert.Equal("AU", lookup.Lookup(IPAddress.Parse("1.0.0.255")).Country);
        Assert.Equal("CN", lookup.Lookup(IPAddress.Parse("1.0.2.1")).Country);
        Assert.Equal("CN", lookup.Lookup(IPAddress.Parse("::ffff:1.0.2.1")).Country);
        Assert.Equal("JP", lookup.Lookup(IPAddress.Parse("2001:200::1")).Country);
        Assert.Equal(GeoInfo.Unknown, lookup.Lookup(IPAddress.Parse("1.0.4.0")));
    }

    [Fact]
    public void An_asn_file_reads_quoted_organisations_with_commas_and_doubled_quotes()
    {
        string path = _dir.File("asn.csv", """
            1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."
            1.0.4.0,1.0.7.255,38803,"Wirefreebroadband ""WFB"" Pty, LTD"
            2600:1f00::,2600:1fff:ffff:ffff:ffff:ffff:ffff:ffff,16509,AMAZON-02
            """);

        var lookup = CsvRangeGeoLookup.Load(CsvGeoFileKind.Asn, path);

        Assert.Equal(new GeoInfo(null, null, null, 13335, "Cloudflare, Inc.", false), lookup.Lookup(IPAddress.Parse("1.0.0.1")));
        Assert.Equal("Wirefreebroadband \"WFB\" Pty, LTD", lookup.Lookup(IPAddress.Parse("1.0.5.5")).AsnOrganization);
        Assert.Equal(16509, lookup.Lookup(IPAddress.Parse("2600:1f18::1")).Asn);
    }

    [Fact]
    public void A_city_file_gives_country_city_and_coordinates()
    {
        string path = _dir.File("city.csv", """
            1.0.0.0,1.0.0.255,AU,Queensland,,South Brisbane,,-27.4767,153.017,
            1.0.16.0,1.0.16.255,JP,Tokyo,,Chiyoda,,35.6916,139.768,Asia/Tokyo
            2c0f:fb90::,2c0f:fb90:ffff:ffff:ffff:ffff:ffff:ffff,MZ,Maputo City,,"Maputo (Polana Cimento""A"")",,-25.977,32.5939,
            """);

        var lookup = CsvRangeGeoLookup.Load(CsvGeoFileKind.City, path);

        Assert.Equal(new GeoInfo("AU", -27.4767, 153.017, null, null, false) { City = "South Brisbane" }, lookup.Lookup(IPAddress.Parse("1.0.0.8")));
        Assert.Equal("Chiyoda", lookup.Lookup(IPAddress.Parse("1.0.16.1")).City);
        Assert.Equal("Maputo (Polana Cimento\"A\")", lookup.Lookup(IPAddress.Parse("2c0f:fb90::1")).City);
    }

    [Fact]
    public void Separate_IPv4_and_IPv6_files_and_gzip_files_load_together()
    {
        string v4 = _dir.File("asn-ipv4.csv", "1.0.0.0,1.0.0.255,13335,Cloudflare\n");
        string v6 = _dir.Combine("asn-ipv6.csv.gz");
        using (var gz = new GZipStream(File.Create(v6), CompressionLevel.Fastest))
        {
            gz.Write("2606:4700::,2606:4700:ffff:ffff:ffff:ffff:ffff:ffff,13335,Cloudflare\n"u8);
        }

        var lookup = CsvRangeGeoLookup.Load(CsvGeoFileKind.Asn, v4, v6);

        Assert.Equal(13335, lookup.Lookup(IPAddress.Parse("1.0.0.1")).Asn);
        Assert.Equal(13335, lookup.Lookup(IPAddress.Parse("2606:4700::1111")).Asn);
    }

    [Fact]
    public void Rows_sharing_an_answer_share_one_value_and_adjacent_ones_merge()
    {
        var lookup = CsvRangeGeoLookup.Read(CsvGeoFileKind.Country, new StringReader("""
            1.0.0.0,1.0.0.255,AU
            1.0.1.0,1.0.1.255,AU
            1.0.2.0,1.0.2.255,CN
            """), "inline");

        Assert.Equal(2, lookup.RangeCount);
    }

    [Fact]
    public void Autonomous_system_zero_means_unrouted()
    {
        var lookup = CsvRangeGeoLookup.Read(CsvGeoFileKind.Asn, new StringReader("0.0.0.0,0.255.255.255,0,Not routed\n"), "inline");

        Assert.Equal(GeoInfo.Unknown, lookup.Lookup(IPAddress.Parse("0.1.2.3")));
    }

    [Fact]
    public void A_line_with_the_wrong_number_of_fields_is_named_by_file_and_line()
    {
        string path = _dir.File("asn.csv", """
            1.0.0.0,1.0.0.255,13335,Cloudflare
            1.0.1.0,1.0.1.255,4134,Chinanet

            1.0.4.0,1.0.7.255,38803
            """);

        var e = Assert.Throws<GeoDataException>(() => CsvRangeGeoLookup.Load(CsvGeoFileKind.Asn, path));

        Assert.Equal(path, e.File);
        Assert.Equal(4, e.Line);
        Assert.StartsWith($"{path}:4: expected 4 fields", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_city_file_given_as_a_country_file_fails_on_its_first_line()
    {
        var e = Assert.Throws<GeoDataException>(() => CsvRangeGeoLookup.Read(
            CsvGeoFileKind.Country, new StringReader("1.0.0.0,1.0.0.255,AU,Queensland,,South Brisbane,,-27.4767,153.017,\n"), "country.csv"));

        Assert.Equal(1, e.Line);
        Assert.Contains("found 10", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.0.0.0,1.0.0.999,AU", "'1.0.0.999' is not an IP address")]
    [InlineData("16777216,16777471,AU", "Numeric (-num.csv) files are not supported")]
    [InlineData("1.0.0.0,1.0.0.255,AUS", "country_code 'AUS'")]
    [InlineData("1.0.0.9,1.0.0.1,AU", "ends before it starts")]
    [InlineData("1.0.0.0,2001:db8::,AU", "mixes IPv4 and IPv6")]
    [InlineData("\"1.0.0.0,1.0.0.255,AU", "never closed")]
    public void A_bad_second_line_is_reported_with_its_line_number(string badLine, string problem)
    {
        var e = Assert.Throws<GeoDataException>(() => CsvRangeGeoLookup.Read(
            CsvGeoFileKind.Country, new StringReader($"2.0.0.0,2.0.0.255,FR\n{badLine}\n"), "country.csv"));

        Assert.Equal(2, e.Line);
        Assert.StartsWith("country.csv:2: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.0.0.0,1.0.0.255,AU,Q,,Brisbane,,-97.5,153.0,", "latitude '-97.5'")]
    [InlineData("1.0.0.0,1.0.0.255,AU,Q,,Brisbane,,-27.5,east,", "longitude 'east'")]
    [InlineData("1.0.0.0,1.0.0.255,AU,Q,,Brisbane,,-27.5,,", "both be given")]
    public void Bad_coordinates_are_reported(string line, string problem)
    {
        var e = Assert.Throws<GeoDataException>(() => CsvRangeGeoLookup.Read(CsvGeoFileKind.City, new StringReader(line), "city.csv"));

        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_header_line_is_rejected_with_a_hint()
    {
        var e = Assert.Throws<GeoDataException>(() => CsvRangeGeoLookup.Read(
            CsvGeoFileKind.Country, new StringReader("ip_range_start,ip_range_end,country_code\n1.0.0.0,1.0.0.255,AU\n"), "country.csv"));

        Assert.Equal(1, e.Line);
        Assert.Contains("no header line", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Overlapping_rows_name_both_lines()
    {
        var e = Assert.Throws<GeoDataException>(() => CsvRangeGeoLookup.Read(
            CsvGeoFileKind.Country, new StringReader("1.0.0.0,1.0.0.255,AU\n2.0.0.0,2.0.0.255,FR\n1.0.0.128,1.0.1.0,CN\n"), "country.csv"));

        Assert.Equal(3, e.Line);
        Assert.Contains("country.csv:1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        string path = _dir.Combine("missing.csv");

        var e = Assert.Throws<GeoDataException>(() => CsvRangeGeoLookup.Load(CsvGeoFileKind.City, path));

        Assert.Equal($"{path}: file not found.", e.Message);
    }

    [Fact]
    public void An_empty_file_is_rejected()
    {
        string path = _dir.File("empty.csv", "\n\n");

        var e = Assert.Throws<GeoDataException>(() => CsvRangeGeoLookup.Load(CsvGeoFileKind.Asn, path));

        Assert.Contains("no data rows", e.Message, StringComparison.Ordinal);
    }
}
