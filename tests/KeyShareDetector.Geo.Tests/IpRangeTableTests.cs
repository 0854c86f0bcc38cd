using System.Net;
using KeyShareDetector.Detection.Geo;

namespace KeyShareDetector.Geo.Tests;

public sealed class IpRangeTableTests
{
    private static IpRangeTable Table() => new IpRangeTable.Builder()
        .Add(IPAddress.Parse("10.0.0.0"), IPAddress.Parse("10.0.0.255"), 0)
        .Add(IPAddress.Parse("10.0.2.0"), IPAddress.Parse("10.0.2.127"), 1)
        .Add(IPNetwork.Parse("2001:db8::/32"), 2)
        .Add(IPAddress.Parse("2001:db9::"), IPAddress.Parse("2001:db9::ffff"), 3)
        .Build();

    [Theory]
    [InlineData("10.0.0.0", 0)]
    [InlineData("10.0.0.255", 0)]
    [InlineData("10.0.2.0", 1)]
    [InlineData("10.0.2.127", 1)]
    [InlineData("2001:db8::", 2)]
    [InlineData("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 2)]
    [InlineData("2001:db9::", 3)]
    [InlineData("2001:db9::ffff", 3)]
    public void First_and_last_address_of_a_range_are_inside_it(string ip, int expected)
    {
        Assert.Equal(expected, Table().Find(IPAddress.Parse(ip)));
    }

    [Theory]
    [InlineData("9.255.255.255")]
    [InlineData("10.0.1.0")]
    [InlineData("10.0.1.255")]
    [InlineData("10.0.2.128")]
    [InlineData("255.255.255.255")]
    [InlineData("0.0.0.0")]
    [InlineData("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff")]
    [InlineData("2001:db9::1:0")]
    [InlineData("::")]
    public void Addresses_before_after_and_between_ranges_are_not_found(string ip)
    {
        Assert.Equal(-1, Table().Find(IPAddress.Parse(ip)));
    }

    [Fact]
    public void An_IPv4_mapped_IPv6_address_finds_the_IPv4_range()
    {
        Assert.Equal(1, Table().Find(IPAddress.Parse("::ffff:10.0.2.5")));
    }

    [Fact]
    public void An_IPv4_compatible_address_is_not_mapped_to_IPv4()
    {
        // ::a.b.c.d is deprecated IPv6, not an IPv4 client: only ::ffff:a.b.c.d is normalised.
        Assert.Equal(-1, Table().Find(IPAddress.Parse("::10.0.2.5")));
    }

    [Fact]
    public void Ranges_reaching_the_ends_of_the_address_space_are_found()
    {
        var table = new IpRangeTable.Builder()
            .Add(IPNetwork.Parse("0.0.0.0/8"), 0)
            .Add(IPNetwork.Parse("255.0.0.0/8"), 1)
            .Add(IPNetwork.Parse("ffff::/16"), 2)
            .Build();

        Assert.Equal(0, table.Find(IPAddress.Any));
        Assert.Equal(1, table.Find(IPAddress.Broadcast));
        Assert.Equal(2, table.Find(IPAddress.Parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
    }

    [Fact]
    public void Ranges_given_out_of_order_are_sorted()
    {
        var table = new IpRangeTable.Builder()
            .Add(IPNetwork.Parse("30.0.0.0/8"), 3)
            .Add(IPNetwork.Parse("10.0.0.0/8"), 1)
            .Add(IPNetwork.Parse("20.0.0.0/8"), 2)
            .Build();

        Assert.Equal(1, table.Find(IPAddress.Parse("10.1.1.1")));
        Assert.Equal(2, table.Find(IPAddress.Parse("20.1.1.1")));
        Assert.Equal(3, table.Find(IPAddress.Parse("30.1.1.1")));
    }

    [Fact]
    public void Adjacent_ranges_with_the_same_value_are_merged()
    {
        var table = new IpRangeTable.Builder()
            .Add(IPNetwork.Parse("10.0.0.0/24"), 7)
            .Add(IPNetwork.Parse("10.0.1.0/24"), 7)
            .Add(IPNetwork.Parse("10.0.2.0/24"), 8)
            .Build();

        Assert.Equal(2, table.V4RangeCount);
        Assert.Equal(7, table.Find(IPAddress.Parse("10.0.1.255")));
        Assert.Equal(8, table.Find(IPAddress.Parse("10.0.2.0")));
    }

    [Fact]
    public void Overlapping_ranges_are_rejected_naming_both()
    {
        var builder = new IpRangeTable.Builder()
            .Add(IPNetwork.Parse("10.0.0.0/16"), 0, tag: 11)
            .Add(IPNetwork.Parse("10.0.255.0/24"), 1, tag: 12);

        var e = Assert.Throws<IpRangeOverlapException>(builder.Build);

        Assert.Equal(11, e.FirstTag);
        Assert.Equal(12, e.SecondTag);
        Assert.Contains("10.0.255.0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_range_that_ends_before_it_starts_is_rejected()
    {
        var builder = new IpRangeTable.Builder();

        Assert.Throws<ArgumentException>(() => builder.Add(IPAddress.Parse("10.0.0.9"), IPAddress.Parse("10.0.0.1"), 0));
    }

    [Fact]
    public void A_range_from_IPv4_to_IPv6_is_rejected()
    {
        var builder = new IpRangeTable.Builder();

        Assert.Throws<ArgumentException>(() => builder.Add(IPAddress.Parse("10.0.0.0"), IPAddress.Parse("2001:db8::"), 0));
    }

    [Fact]
    public void The_empty_table_finds_nothing()
    {
        Assert.Equal(-1, IpRangeTable.Empty.Find(IPAddress.Loopback));
        Assert.Equal(-1, IpRangeTable.Empty.Find(IPAddress.IPv6Loopback));
    }

    [Fact]
    public void Lookup_allocates_nothing()
    {
        var table = Table();
        var v4 = IPAddress.Parse("10.0.2.5");
        var v6 = IPAddress.Parse("2001:db8::1");
        var mapped = IPAddress.Parse("::ffff:10.0.0.1");
        table.Find(v4);
        table.Find(v6);
        table.Find(mapped);

        long before = GC.GetAllocatedBytesForCurrentThread();
        int sum = 0;
        for (int i = 0; i < 1000; i++) sum += table.Find(v4) + table.Find(v6) + table.Find(mapped);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(3000, sum);
        Assert.Equal(0, allocated);
    }
}
