using System.Text;
using FsCheck;
using FsCheck.Xunit;
using KeyShareDetector.Detection.State;

namespace KeyShareDetector.Detection.Tests.State;

public sealed class CompactBinaryTests
{
    private static CompactBinaryReader ReaderOf(MemoryStream ms, long baseValue)
    {
        ms.Position = 0;
        return new CompactBinaryReader(ms, leaveOpen: true) { Base = baseValue };
    }

    [Property(MaxTest = 500)]
    public void Every_value_reads_back_bit_for_bit(long a, long baseValue, ulong u, double d, int i, short h, ushort us, uint ui, NonNull<string> s)
    {
        using var ms = new MemoryStream();
        using (var w = new CompactBinaryWriter(ms, leaveOpen: true) { Base = baseValue })
        {
            w.Write(a);
            w.Write(u);
            w.Write(d);
            w.Write(i);
            w.Write(h);
            w.Write(us);
            w.Write(ui);
            w.Write(s.Get);
            w.Write(s.Get);
            w.Write(baseValue + 1234);
        }
        using var r = ReaderOf(ms, baseValue);
        Assert.Equal(a, r.ReadInt64());
        Assert.Equal(u, r.ReadUInt64());
        Assert.Equal(BitConverter.DoubleToInt64Bits(d), BitConverter.DoubleToInt64Bits(r.ReadDouble()));
        Assert.Equal(i, r.ReadInt32());
        Assert.Equal(h, r.ReadInt16());
        Assert.Equal(us, r.ReadUInt16());
        Assert.Equal(ui, r.ReadUInt32());
        // As BinaryWriter does, text goes out as UTF-8 (a lone surrogate becomes U+FFFD).
        string expected = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(s.Get));
        Assert.Equal(expected, r.ReadString());
        Assert.Equal(expected, r.ReadString());
        Assert.Equal(baseValue + 1234, r.ReadInt64());
        Assert.Equal(ms.Length, ms.Position);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(double.Epsilon)]
    [InlineData(double.MaxValue)]
    [InlineData(37.5665)]
    [InlineData(-126.978)]
    [InlineData(0.1 + 0.2)]
    [InlineData(9007199254740991.0)]
    [InlineData(9007199254740992.0)]
    [InlineData(1e15)]
    [InlineData(101.25)]
    public void Doubles_at_the_edges_read_back_bit_for_bit(double d)
    {
        using var ms = new MemoryStream();
        using (var w = new CompactBinaryWriter(ms, leaveOpen: true)) w.Write(d);
        using var r = ReaderOf(ms, 0);
        Assert.Equal(BitConverter.DoubleToInt64Bits(d), BitConverter.DoubleToInt64Bits(r.ReadDouble()));
    }

    [Fact]
    public void Negative_zero_stays_negative()
    {
        using var ms = new MemoryStream();
        using (var w = new CompactBinaryWriter(ms, leaveOpen: true)) w.Write(-0.0);
        using var r = ReaderOf(ms, 0);
        Assert.True(double.IsNegative(r.ReadDouble()));
    }

    [Theory]
    [InlineData(long.MinValue, 1)]
    [InlineData(long.MaxValue, 9)]
    [InlineData(long.MinValue + 1, 9)]
    [InlineData(0L, 1)]
    [InlineData(-1L, 1)]
    [InlineData(1_764_000_000_000L, 7)]
    public void Longs_take_the_bytes_their_size_needs(long value, int bytes)
    {
        using var ms = new MemoryStream();
        using (var w = new CompactBinaryWriter(ms, leaveOpen: true)) w.Write(value);
        Assert.Equal(bytes, ms.Length);
        using var r = ReaderOf(ms, 0);
        Assert.Equal(value, r.ReadInt64());
    }

    [Fact]
    public void A_time_near_the_base_takes_a_few_bytes_and_common_values_are_short()
    {
        long streamTime = 1_764_000_000_000;
        using var ms = new MemoryStream();
        using (var w = new CompactBinaryWriter(ms, leaveOpen: true) { Base = streamTime })
        {
            w.Write(streamTime - 90_000); // 3 bytes
            w.Write(0x0000_0000_0003_0000UL); // a mask of two adjacent buckets: header + 1 byte
            w.Write(37.5665); // 4 decimals: 4 bytes
            w.Write("11.1.0.7"); // packed IPv4: tag + 4 bytes
            w.Write("11.1.0.7"); // the same string again: 1 byte
        }
        Assert.Equal(3 + 2 + 4 + 5 + 1, ms.Length);
    }

    [Theory]
    [InlineData("0.0.0.0", true)]
    [InlineData("255.255.255.255", true)]
    [InlineData("10.0.0.1", true)]
    [InlineData("010.0.0.1", false)]
    [InlineData("10.0.0.01", false)]
    [InlineData("256.0.0.1", false)]
    [InlineData("1.2.3", false)]
    [InlineData("1.2.3.4.5", false)]
    [InlineData("1..2.3", false)]
    [InlineData(" 1.2.3.4", false)]
    [InlineData("1.2.3.4 ", false)]
    [InlineData("::1", false)]
    [InlineData("1.2.3.4/24", false)]
    public void Only_canonical_dotted_quads_are_packed_and_every_text_reads_back(string text, bool packed)
    {
        Span<byte> octets = stackalloc byte[4];
        Assert.Equal(packed, CompactBinaryWriter.TryPackIpv4(text, octets));
        using var ms = new MemoryStream();
        using (var w = new CompactBinaryWriter(ms, leaveOpen: true)) w.Write(text);
        using var r = ReaderOf(ms, 0);
        Assert.Equal(text, r.ReadString());
    }

    [Fact]
    public void Damaged_input_is_refused_not_misread()
    {
        using var ms = new MemoryStream([0x05]); // string back-reference 1 with no string read before
        using var r = new CompactBinaryReader(ms);
        Assert.Throws<InvalidDataException>(() => r.ReadString());
        using var ms2 = new MemoryStream([0x0F]); // double tag 15
        using var r2 = new CompactBinaryReader(ms2);
        Assert.Throws<InvalidDataException>(() => r2.ReadDouble());
        using var ms3 = new MemoryStream([0x27]); // ulong: 2 zero bytes + 7 significant
        using var r3 = new CompactBinaryReader(ms3);
        Assert.Throws<InvalidDataException>(() => r3.ReadUInt64());
    }
}
