using System.Net;
using KeyShareDetector.Detection.Signals;

namespace KeyShareDetector.Detection.Tests.Signals;

public class IpPrefixTests
{
    [Theory]
    [InlineData("81.2.69.10", "81.2.69.0/24")]
    [InlineData("0.0.0.0", "0.0.0.0/24")]
    [InlineData("255.255.255.255", "255.255.255.0/24")]
    [InlineData("2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3:8d3::/64")]
    [InlineData("::ffff:81.2.69.10", "81.2.69.0/24")]
    [InlineData("fe80::1%2", "fe80::/64")]
    [InlineData("not an ip", null)]
    [InlineData("", null)]
    [InlineData("256.1.1.1", null)]
    public void Gives_the_24_or_the_64_in_CIDR_notation(string ip, string? expected) =>
        Assert.Equal(expected, IpPrefix.NetworkOf(ip));

    /// <summary>The dotted-quad fast path agrees with IPAddress on every form it takes, and leaves the others (octal, short, hex forms) to it.</summary>
    [Theory]
    [InlineData("81.2.69.10")]
    [InlineData("010.1.1.1")]
    [InlineData("1.2.3")]
    [InlineData("1")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("1.2.3.4.")]
    [InlineData(".1.2.3")]
    [InlineData("1..2.3")]
    [InlineData("1.2.3.0004")]
    [InlineData("1.2.3.4 ")]
    [InlineData(" 1.2.3.4")]
    [InlineData("1.2.3.256")]
    [InlineData("192.168.000.1")]
    [InlineData("4294967295")]
    public void Agrees_with_IPAddress_on_every_form(string ip)
    {
        string? expected = IPAddress.TryParse(ip, out var address) ? IpPrefix.NetworkOf(address) : null;
        Assert.Equal(expected, IpPrefix.NetworkOf(ip));
    }

    [Fact]
    public void Every_octet_of_a_plain_dotted_quad_reads_like_IPAddress()
    {
        for (int octet = 0; octet < 256; octet++)
        {
            string ip = $"10.{octet}.{255 - octet}.{octet}";
            Assert.Equal(IpPrefix.NetworkOf(IPAddress.Parse(ip)), IpPrefix.NetworkOf(ip));
        }
    }
}
