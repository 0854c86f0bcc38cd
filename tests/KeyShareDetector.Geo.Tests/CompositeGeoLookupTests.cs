using System.Net;
using KeyShareDetector.Detection.Geo;

namespace KeyShareDetector.Geo.Tests;

public sealed class CompositeGeoLookupTests
{
    private static readonly IPAddress Address = IPAddress.Parse("203.0.113.7");

    [Fact]
    public void Location_comes_from_the_city_source_and_asn_from_the_asn_source()
    {
        var city = new Fixed(new GeoInfo("KR", 37.5, 127.0, null, null, false) { City = "Seoul" });
        var asn = new Fixed(new GeoInfo("US", null, null, 4766, "KT", false));

        var geo = new CompositeGeoLookup([city, asn]).Lookup(Address);

        Assert.Equal(new GeoInfo("KR", 37.5, 127.0, 4766, "KT", false) { City = "Seoul" }, geo);
    }

    [Fact]
    public void A_later_source_fills_what_an_earlier_one_lacks()
    {
        var country = new Fixed(new GeoInfo(null, null, null, null, null, false));
        var fallback = new Fixed(new GeoInfo("JP", 35.0, 139.0, null, null, false));

        var geo = new CompositeGeoLookup([country, fallback]).Lookup(Address);

        Assert.Equal("JP", geo.Country);
        Assert.True(geo.HasLocation);
    }

    [Fact]
    public void An_asn_in_the_hosting_set_is_hosting()
    {
        var asn = new Fixed(new GeoInfo(null, null, null, 16509, "AMAZON-02", false));

        Assert.True(new CompositeGeoLookup([asn]).Lookup(Address).IsHosting);
        Assert.False(new CompositeGeoLookup([asn], HostingAsnSet.Empty).Lookup(Address).IsHosting);
    }

    [Fact]
    public void A_source_saying_hosting_is_enough()
    {
        var proxy = new Fixed(new GeoInfo("DE", null, null, null, null, IsHosting: true));
        var asn = new Fixed(new GeoInfo(null, null, null, 64512, "Residential", false));

        Assert.True(new CompositeGeoLookup([proxy, asn], HostingAsnSet.Empty).Lookup(Address).IsHosting);
    }

    private sealed class Fixed(GeoInfo answer) : IGeoLookup
    {
        public GeoInfo Lookup(IPAddress address) => answer;
    }
}
