using System.Text;
using KeyShareDetector.Detection.Sketches;

namespace KeyShareDetector.Detection.Tests.Sketches;

public class XxHash64Tests
{
    // Expected values from the reference implementation (xxhsum -H1 of xxHash 0.8.1), covering every tail path:
    // the 32-byte stripes, 8-byte lanes, the 4-byte word and single bytes.
    [Theory]
    [InlineData(0, 0xEF46DB3751D8E999UL)]
    [InlineData(1, 0x1F25C8D0BC1F4BB6UL)]
    [InlineData(3, 0x31D2363F52E564C9UL)]
    [InlineData(4, 0x9BB64B7D66EE9FDAUL)]
    [InlineData(7, 0x9A7B149959CE60D8UL)]
    [InlineData(8, 0xDAB99D95C6F90092UL)]
    [InlineData(9, 0x170BB6BF975B4C02UL)]
    [InlineData(15, 0x1B47CB8243CC8E32UL)]
    [InlineData(16, 0x434850232B787BE2UL)]
    [InlineData(31, 0xA2AA5F33CC4A6119UL)]
    [InlineData(32, 0x23C3C17EF790FD97UL)]
    [InlineData(33, 0x50A7CFC7BA588784UL)]
    [InlineData(63, 0x5E3E54B431C7493CUL)]
    [InlineData(64, 0x0EB64B3EF6EEB01FUL)]
    [InlineData(100, 0xA61F8D4C170FE531UL)]
    [InlineData(200, 0xA6CB3C09BC829B24UL)]
    public void Bytes_hash_as_the_reference_implementation_does(int length, ulong expected)
    {
        byte[] data = [.. Enumerable.Range(0, length).Select(i => (byte)((i * 7) + 3))];
        Assert.Equal(expected, XxHash64.Hash(data));
    }

    [Theory]
    [InlineData("", 0xEF46DB3751D8E999UL)]
    [InlineData("a", 0xE513E02C99167F96UL)]
    [InlineData("81.2.69.10", 0x50D7A41776013329UL)]
    [InlineData("2001:db8:1::1", 0xA96195D0C84B3FA8UL)]
    [InlineData("203.0.113.0/24", 0x0DF255A5D6F216F0UL)]
    [InlineData("Nobody inspects the spammish repetition", 0x06062078894C4915UL)]
    public void Strings_hash_as_their_utf16le_bytes(string value, ulong expected)
    {
        Assert.Equal(expected, XxHash64.HashString(value));
        Assert.Equal(expected, XxHash64.Hash(Encoding.Unicode.GetBytes(value)));
    }

    [Fact]
    public void The_published_utf8_example_matches()
    {
        Assert.Equal(0xFBCEA83C8A378BF1UL, XxHash64.Hash("Nobody inspects the spammish repetition"u8));
    }

    [Fact]
    public void The_portable_path_for_big_endian_hosts_gives_the_same_hash()
    {
        string longer = new('x', 300);
        foreach (var s in new[] { "", "a", "81.2.69.10", longer })
        {
            Assert.Equal(XxHash64.HashString(s), XxHash64.HashCharsPortably(s, 0));
        }
    }

    [Fact]
    public void A_seed_gives_a_different_hash()
    {
        Assert.NotEqual(XxHash64.HashString("81.2.69.10"), XxHash64.HashString("81.2.69.10", seed: 1));
    }

    [Fact]
    public void Hashing_a_string_does_not_allocate()
    {
        const string Ip = "2001:db8:85a3::8a2e:370:7334";
        ulong h = XxHash64.HashString(Ip);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1_000; i++) h ^= XxHash64.HashString(Ip);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(XxHash64.HashString(Ip), h);
    }
}
