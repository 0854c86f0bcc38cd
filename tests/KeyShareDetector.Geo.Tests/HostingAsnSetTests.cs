using KeyShareDetector.Detection.Geo;

namespace KeyShareDetector.Geo.Tests;

public sealed class HostingAsnSetTests
{
    [Theory]
    [InlineData(16509)]
    [InlineData(14618)]
    [InlineData(15169)]
    [InlineData(396982)]
    [InlineData(8075)]
    [InlineData(14061)]
    [InlineData(16276)]
    [InlineData(24940)]
    [InlineData(63949)]
    [InlineData(20473)]
    [InlineData(9009)]
    [InlineData(60068)]
    public void The_default_list_holds_the_well_known_clouds_and_VPN_hosters(long asn)
    {
        Assert.True(HostingAsnSet.Default.Contains(asn));
    }

    [Fact]
    public void Unknown_and_residential_asns_are_not_hosting()
    {
        Assert.False(HostingAsnSet.Default.Contains(4766));
        Assert.False(HostingAsnSet.Default.Contains(null));
    }

    [Fact]
    public void Parse_reads_numbers_and_AS_prefixed_numbers_with_any_separator()
    {
        var set = HostingAsnSet.Parse("AS16509, 15169;as8075 64512");

        Assert.Equal([8075L, 15169, 16509, 64512], set.Asns);
    }

    [Fact]
    public void Parse_names_a_token_that_is_not_an_asn()
    {
        var e = Assert.Throws<FormatException>(() => HostingAsnSet.Parse("16509, AWS"));

        Assert.Contains("'AWS'", e.Message, StringComparison.Ordinal);
    }
}
