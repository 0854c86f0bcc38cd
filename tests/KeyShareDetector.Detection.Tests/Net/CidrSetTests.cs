using System.Net;
using KeyShareDetector.Detection.Net;

namespace KeyShareDetector.Detection.Tests.Net;

public class CidrSetTests
{
    [Fact]
    public void Blocks_and_bare_addresses_match_their_addresses()
    {
        var set = CidrSet.Parse(["10.0.0.0/8", "2001:db8::/32", "81.2.69.10"]);
        Assert.True(set.Contains(IPAddress.Parse("10.200.1.1")));
        Assert.True(set.Contains(IPAddress.Parse("::ffff:10.0.0.1")));
        Assert.True(set.Contains(IPAddress.Parse("2001:db8:1::5")));
        Assert.True(set.Contains(IPAddress.Parse("81.2.69.10")));
        Assert.False(set.Contains(IPAddress.Parse("81.2.69.11")));
    }

    /// <summary>Regression: "010.0.0.0/8" was read (as octal) as 8.0.0.0/8, so the key's real 10.x traffic looked unregistered.</summary>
    [Theory]
    [InlineData("010.0.0.0/8")]
    [InlineData("10.1/16")]
    [InlineData("10.0.0.0/+8")]
    [InlineData("10.0.0.0/0x8")]
    [InlineData("10.0.0.0/33")]
    [InlineData("::/129")]
    [InlineData("[::1]/128")]
    public void Ambiguous_or_malformed_blocks_are_reported_invalid(string cidr)
    {
        var invalid = new List<string>();
        var set = CidrSet.Parse([cidr], invalid);
        Assert.True(set.IsEmpty);
        Assert.Equal([cidr], invalid);
    }
}
