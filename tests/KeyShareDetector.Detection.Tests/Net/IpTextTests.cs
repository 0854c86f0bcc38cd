using System.Net;
using KeyShareDetector.Detection.Net;

namespace KeyShareDetector.Detection.Tests.Net;

public class IpTextTests
{
    [Theory]
    [InlineData("81.2.69.10")]
    [InlineData("0.0.0.0")]
    [InlineData("255.255.255.255")]
    [InlineData("2001:db8::1")]
    [InlineData("::")]
    [InlineData("::ffff:81.2.69.10")]
    [InlineData("2001:0db8:0000:0000:0000:0000:0000:0001")]
    public void Dotted_quads_and_IPv6_addresses_are_read_as_IPAddress_reads_them(string text)
    {
        Assert.True(IpText.TryParse(text, out var address));
        Assert.Equal(IPAddress.Parse(text), address);
    }

    /// <summary>Regression: the validators used IPAddress.TryParse, which reads all of these as some address.</summary>
    [Theory]
    [InlineData("1.2.3")]
    [InlineData("127.1")]
    [InlineData("1")]
    [InlineData("4294967295")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("010.0.0.1")]
    [InlineData("01.2.3.4")]
    [InlineData("[::1]")]
    [InlineData("fe80::1%eth0")]
    [InlineData("fe80::1%")]
    [InlineData("::ffff:1.2.3")]
    [InlineData("::ffff:01.2.3.4")]
    public void Forms_other_software_may_read_as_another_address_are_not_accepted(string text) =>
        Assert.False(IpText.IsValid(text));

    [Theory]
    [InlineData("")]
    [InlineData(" 1.2.3.4")]
    [InlineData("1.2.3.4 ")]
    [InlineData("1.2.3.256")]
    [InlineData("1.2.3.4.5")]
    [InlineData("1234.1.1.1")]
    [InlineData("1.2.3.-4")]
    [InlineData("1::2::3")]
    [InlineData("::zz")]
    [InlineData("１.２.３.４")]
    [InlineData("1.2.3.4/32")]
    [InlineData("1.2.3.4:443")]
    public void Malformed_text_is_not_an_address(string text) => Assert.False(IpText.IsValid(text));

    [Fact]
    public void Text_longer_than_any_address_is_refused_without_parsing() =>
        Assert.False(IpText.IsValid(new string('1', IpText.MaxLength + 1)));
}
