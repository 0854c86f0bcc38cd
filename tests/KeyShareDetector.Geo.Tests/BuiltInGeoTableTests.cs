using System.Net;
using KeyShareDetector.Detection.Geo;

namespace KeyShareDetector.Geo.Tests;

public sealed class BuiltInGeoTableTests
{
    private static readonly BuiltInGeoTable Table = BuiltInGeoTable.Default;

    [Fact]
    public void A_known_IPv4_address_gives_the_city_country_and_asn_of_its_network()
    {
        var geo = Table.Lookup(IPAddress.Parse("11.1.2.3"));

        Assert.Equal("KR", geo.Country);
        Assert.Equal("Seoul", geo.City);
        Assert.Equal(37.5665, geo.Latitude);
        Assert.Equal(126.9780, geo.Longitude);
        Assert.Equal(64512, geo.Asn);
        Assert.Equal("Hangang Broadband (synthetic)", geo.AsnOrganization);
        Assert.False(geo.IsHosting);
    }

    [Fact]
    public void An_IPv6_address_gives_the_same_network_as_its_IPv4_block()
    {
        var v6 = Table.Lookup(IPAddress.Parse("3fff:10:abcd::42"));
        var v4 = Table.Lookup(IPAddress.Parse("11.10.200.1"));

        Assert.Equal("JP", v6.Country);
        Assert.Equal("Tokyo", v6.City);
        Assert.Equal(v4, v6);
    }

    [Fact]
    public void An_IPv4_mapped_IPv6_address_is_looked_up_as_IPv4()
    {
        Assert.Equal(Table.Lookup(IPAddress.Parse("11.2.0.9")), Table.Lookup(IPAddress.Parse("::ffff:11.2.0.9")));
        Assert.Equal("Busan", Table.Lookup(IPAddress.Parse("::ffff:11.2.0.9")).City);
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("10.1.2.3")]
    [InlineData("192.168.0.1")]
    [InlineData("127.0.0.1")]
    [InlineData("2001:db8::1")]
    [InlineData("::1")]
    public void An_address_outside_every_network_is_unknown(string ip)
    {
        Assert.Equal(GeoInfo.Unknown, Table.Lookup(IPAddress.Parse(ip)));
    }

    [Theory]
    [InlineData("aws-tokyo", true)]
    [InlineData("vpn-m247-london", true)]
    [InlineData("hetzner-falkenstein", true)]
    [InlineData("kr-seoul-home", false)]
    [InlineData("kr-mobile", false)]
    [InlineData("botvendor-frankfurt", false)]
    public void Hosting_and_VPN_networks_are_flagged_hosting(string name, bool hosting)
    {
        var network = BuiltInGeoTable.Network(name);

        Assert.Equal(hosting, network.IsHosting);
        Assert.Equal(hosting, Table.Lookup(network.AddressV4(5)).IsHosting);
        Assert.Equal(hosting, Table.Lookup(network.AddressV6(5)).IsHosting);
    }

    [Fact]
    public void An_extra_hosting_asn_flags_its_network()
    {
        var table = new BuiltInGeoTable(HostingAsnSet.Default.With([64512]));

        Assert.True(table.Lookup(IPAddress.Parse("11.1.0.1")).IsHosting);
    }

    [Fact]
    public void Mobile_carriers_are_marked_and_hold_a_slash_12()
    {
        var mobile = BuiltInGeoTable.Networks.Where(n => n.IsMobileCarrier).ToList();

        Assert.True(mobile.Count >= 3);
        Assert.All(mobile, n => Assert.Equal(12, n.V4.PrefixLength));
        Assert.All(mobile, n => Assert.Equal(NetworkKind.Mobile, n.Kind));
    }

    [Fact]
    public void The_table_spreads_over_many_countries_and_every_kind()
    {
        var networks = BuiltInGeoTable.Networks;

        Assert.InRange(networks.Count, 20, 30);
        Assert.True(networks.Select(n => n.Country).Distinct().Count() >= 10);
        Assert.Equal(Enum.GetValues<NetworkKind>().Length, networks.Select(n => n.Kind).Distinct().Count());
        Assert.Equal(networks.Count, networks.Select(n => n.Name).Distinct().Count());
    }

    [Fact]
    public void No_network_touches_private_loopback_cgnat_or_link_local_space()
    {
        string[] reserved = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "fc00::/7", "fe80::/10", "::/8"];
        foreach (var network in BuiltInGeoTable.Networks)
        {
            foreach (var block in reserved.Select(IPNetwork.Parse))
            {
                Assert.False(block.Contains(network.V4.BaseAddress) || block.Contains(network.V6.BaseAddress), $"{network.Name} lies in {block}");
            }
        }
    }

    [Fact]
    public void The_nth_address_of_every_network_is_inside_it_and_the_same_every_time()
    {
        long[] ns = [0, 1, 2, 65_533, 65_534, 1_000_000, long.MaxValue];
        foreach (var network in BuiltInGeoTable.Networks)
        {
            foreach (long n in ns)
            {
                var v4 = network.AddressV4(n);
                var v6 = network.AddressV6(n);

                Assert.True(network.V4.Contains(v4), $"{network.Name} #{n}: {v4}");
                Assert.True(network.V6.Contains(v6), $"{network.Name} #{n}: {v6}");
                Assert.True(BuiltInGeoTable.TryFindNetwork(v4, out var found4) && found4 == network);
                Assert.True(BuiltInGeoTable.TryFindNetwork(v6, out var found6) && found6 == network);
                Assert.Equal(v4, network.AddressV4(n));
                Assert.Equal(v6, network.AddressV6(n));
            }
        }
    }

    [Fact]
    public void Consecutive_n_give_distinct_addresses_skipping_the_network_address()
    {
        var network = BuiltInGeoTable.Network("kr-seoul-home");

        Assert.Equal(IPAddress.Parse("11.1.0.1"), network.AddressV4(0));
        Assert.Equal(IPAddress.Parse("11.1.0.2"), network.AddressV4(1));
        Assert.Equal(IPAddress.Parse("11.1.255.254"), network.AddressV4(65_533));
        Assert.Equal(IPAddress.Parse("11.1.0.1"), network.AddressV4(65_534));
        Assert.Equal(IPAddress.Parse("3fff:1:0:7::1"), network.AddressV6(7));
        Assert.Equal(IPAddress.Parse("3fff:1:0:7::9"), network.AddressV6(7, 9));
    }

    [Fact]
    public void An_unknown_network_name_lists_the_known_ones()
    {
        var e = Assert.Throws<KeyNotFoundException>(() => BuiltInGeoTable.Network("nowhere"));

        Assert.Contains("kr-seoul-home", e.Message, StringComparison.Ordinal);
    }
}
