using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;

namespace KeyShareDetector.Detection.State;

/// <summary>
/// A <see cref="BinaryWriter"/> that writes the same values in fewer bytes, for key state format 8: every aggregate
/// keeps its own WriteTo layout (the same fields in the same order), only the encoding of each value changes. Read
/// back with <see cref="CompactBinaryReader"/>; every value reads back bit for bit.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>int, uint, short, ushort: (zigzag) LEB128 varints.</item>
/// <item>long: a varint whose two low bits say how: 0 = the value (zigzag), 1 = the value minus <see cref="Base"/>
/// (zigzag; timestamps near the key's stream time take 3-4 bytes instead of 8), 2 = long.MinValue (the "never"
/// sentinel), 3 = 8 raw bytes follow (values too large for the tag).</item>
/// <item>ulong (window masks, hashes): a byte giving the count of zero bytes at the low end (high nibble) and of
/// significant bytes (low nibble), then those bytes: a mask of a few adjacent buckets takes 2-3 bytes, 0 takes 1,
/// a hash 9.</item>
/// <item>double: when the value is exactly n / 10^k for an integer n of magnitude below 2^53 and k in 0..6 (counts,
/// coordinates, prices; checked by dividing back, so the bits read back are the bits written), a varint of zigzag(n)
/// shifted left 3 bits with k in them; else the varint 7 followed by its 8 raw bytes. -0 and NaN go raw.</item>
/// <item>string: a varint whose two low bits say how: 0 = UTF-8 bytes follow (length in the rest), 1 = the same
/// string as the n-th one written before in this state (n in the rest), 2 = a canonical dotted-quad IPv4 address
/// in 4 bytes. IPs, networks and session ids recur across a key's aggregates; each is written once.</item>
/// </list>
/// bool, byte and byte arrays are written as <see cref="BinaryWriter"/> writes them.
/// </remarks>
public sealed class CompactBinaryWriter : BinaryWriter
{
    // One string table per thread, emptied for each writer: a state writes some 10-100 strings, and growing a new
    // dictionary to that size for every record cost more than the rest of the encoding.
    [ThreadStatic]
    private static Dictionary<string, int>? t_strings;

    private readonly Dictionary<string, int> _strings;

    public CompactBinaryWriter(Stream output, bool leaveOpen = false)
        : base(output, Encoding.UTF8, leaveOpen)
    {
        _strings = t_strings ?? new Dictionary<string, int>(64, StringComparer.Ordinal);
        t_strings = null;
        _strings.Clear();
    }

    protected override void Dispose(bool disposing)
    {
        // Hand the table back for the next writer on this thread (a writer nested in another gets a table of its own).
        if (_strings.Count <= 4096)
        {
            _strings.Clear();
            t_strings = _strings;
        }
        base.Dispose(disposing);
    }

    /// <summary>The value longs are delta-coded against (the key's stream time); set before the values that use it.</summary>
    public long Base { get; set; }

    public override void Write(short value) => WriteVarint(ZigZag(value));

    public override void Write(ushort value) => WriteVarint(value);

    public override void Write(int value) => WriteVarint(ZigZag(value));

    public override void Write(uint value) => WriteVarint(value);

    public override void Write(long value)
    {
        if (value == long.MinValue)
        {
            WriteVarint(2);
            return;
        }
        ulong plain = ZigZag(value);
        ulong delta = ZigZag(unchecked(value - Base));
        bool useDelta = delta < plain;
        ulong x = useDelta ? delta : plain;
        if (x >= 1UL << 62)
        {
            WriteVarint(3);
            Span<byte> raw = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(raw, value);
            base.Write(raw);
            return;
        }
        WriteVarint((x << 2) | (useDelta ? 1UL : 0UL));
    }

    public override void Write(ulong value)
    {
        if (value == 0)
        {
            base.Write((byte)0);
            return;
        }
        int low = BitOperations.TrailingZeroCount(value) / 8;
        int high = BitOperations.LeadingZeroCount(value) / 8;
        int significant = 8 - low - high;
        Span<byte> buffer = stackalloc byte[9];
        buffer[0] = (byte)((low << 4) | significant);
        ulong shifted = value >> (low * 8);
        for (int i = 1; i <= significant; i++)
        {
            buffer[i] = (byte)shifted;
            shifted >>= 8;
        }
        base.Write(buffer[..(significant + 1)]);
    }

    public override void Write(double value)
    {
        if (value is > -MaxExact and < MaxExact && !(value == 0 && double.IsNegative(value)))
        {
            for (int k = 0; k < Powers.Length; k++)
            {
                double scaled = value * Powers[k];
                double n = Math.Round(scaled);
                if (n is <= -MaxExact or >= MaxExact) break;
                // Most doubles that are not short decimals fail here, before the division that decides.
                if (Math.Abs(scaled - n) > 1e-6) continue;
                if (BitConverter.DoubleToInt64Bits(n / Powers[k]) != BitConverter.DoubleToInt64Bits(value)) continue;
                WriteVarint((ZigZag((long)n) << 3) | (uint)k);
                return;
            }
        }
        WriteVarint(RawDouble);
        Span<byte> raw = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(raw, value);
        base.Write(raw);
    }

    /// <summary>Doubles that are n / 10^k for an integer n below 2^53 and k below 7 (coordinates, prices, counts) are written as n and k.</summary>
    internal static readonly double[] Powers = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];

    internal const ulong RawDouble = 7;

    private const double MaxExact = 9007199254740992.0;

    public override void Write(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        ref int index = ref CollectionsMarshal.GetValueRefOrAddDefault(_strings, value, out bool seen);
        if (seen)
        {
            WriteVarint(((ulong)index << 2) | 1);
            return;
        }
        index = _strings.Count - 1;
        Span<byte> ip = stackalloc byte[4];
        if (TryPackIpv4(value, ip))
        {
            WriteVarint(2);
            base.Write(ip);
            return;
        }
        if (value.Length <= 128)
        {
            Span<byte> bytes = stackalloc byte[384];
            int length = Encoding.UTF8.GetBytes(value, bytes);
            WriteVarint((ulong)length << 2);
            base.Write(bytes[..length]);
        }
        else
        {
            byte[] bytes = Encoding.UTF8.GetBytes(value);
            WriteVarint((ulong)bytes.Length << 2);
            base.Write(bytes);
        }
    }

    private void WriteVarint(ulong value)
    {
        if (value < 0x80)
        {
            base.Write((byte)value);
            return;
        }
        Span<byte> buffer = stackalloc byte[10];
        int n = 0;
        while (value >= 0x80)
        {
            buffer[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        buffer[n++] = (byte)value;
        base.Write(buffer[..n]);
    }

    internal static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    internal static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    /// <summary>Four octets of <paramref name="text"/> when it is exactly what formatting them back gives (no leading zeros, no spaces).</summary>
    internal static bool TryPackIpv4(string text, Span<byte> octets)
    {
        if (text.Length is < 7 or > 15) return false;
        int part = 0;
        int value = 0;
        int digits = 0;
        foreach (char c in text)
        {
            if (c == '.')
            {
                if (digits == 0 || part == 3) return false;
                octets[part++] = (byte)value;
                value = 0;
                digits = 0;
                continue;
            }
            if (c is < '0' or > '9') return false;
            if (digits > 0 && value == 0) return false;
            value = (value * 10) + (c - '0');
            if (++digits > 3 || value > 255) return false;
        }
        if (digits == 0 || part != 3) return false;
        octets[3] = (byte)value;
        return true;
    }
}

/// <summary>Reads what <see cref="CompactBinaryWriter"/> wrote; see there for the encoding.</summary>
public sealed class CompactBinaryReader : BinaryReader
{
    [ThreadStatic]
    private static List<string>? t_strings;

    private readonly List<string> _strings;

    public CompactBinaryReader(Stream input, bool leaveOpen = false)
        : base(input, Encoding.UTF8, leaveOpen)
    {
        _strings = t_strings ?? new List<string>(64);
        t_strings = null;
        _strings.Clear();
    }

    protected override void Dispose(bool disposing)
    {
        if (_strings.Count <= 4096)
        {
            _strings.Clear();
            t_strings = _strings;
        }
        base.Dispose(disposing);
    }

    /// <summary>The base longs were delta-coded against; set as the writer set it, before the values that use it.</summary>
    public long Base { get; set; }

    public override short ReadInt16() => checked((short)CompactBinaryWriter.UnZigZag(ReadVarint()));

    public override ushort ReadUInt16() => checked((ushort)ReadVarint());

    public override int ReadInt32() => checked((int)CompactBinaryWriter.UnZigZag(ReadVarint()));

    public override uint ReadUInt32() => checked((uint)ReadVarint());

    public override long ReadInt64()
    {
        ulong v = ReadVarint();
        switch (v & 3)
        {
            case 0:
                return CompactBinaryWriter.UnZigZag(v >> 2);
            case 1:
                return unchecked(CompactBinaryWriter.UnZigZag(v >> 2) + Base);
            case 2:
                return long.MinValue;
            default:
                Span<byte> raw = stackalloc byte[8];
                ReadExactly(raw);
                return BinaryPrimitives.ReadInt64LittleEndian(raw);
        }
    }

    public override ulong ReadUInt64()
    {
        byte header = ReadByte();
        int low = header >> 4;
        int significant = header & 0xF;
        if (low + significant > 8) throw new InvalidDataException($"compact ulong header {header} is out of range");
        ulong value = 0;
        for (int i = 0; i < significant; i++) value |= (ulong)ReadByte() << (8 * i);
        return value << (low * 8);
    }

    public override double ReadDouble()
    {
        ulong v = ReadVarint();
        int k = (int)(v & 7);
        if (k < CompactBinaryWriter.Powers.Length) return CompactBinaryWriter.UnZigZag(v >> 3) / CompactBinaryWriter.Powers[k];
        if (v != CompactBinaryWriter.RawDouble) throw new InvalidDataException($"compact double tag {v} is not {CompactBinaryWriter.RawDouble}");
        Span<byte> raw = stackalloc byte[8];
        ReadExactly(raw);
        return BinaryPrimitives.ReadDoubleLittleEndian(raw);
    }

    public override string ReadString()
    {
        ulong v = ReadVarint();
        string s;
        switch (v & 3)
        {
            case 1:
                ulong index = v >> 2;
                if (index >= (ulong)_strings.Count) throw new InvalidDataException($"compact string reference {index} is beyond the {_strings.Count} strings read");
                return _strings[(int)index];
            case 2:
                if (v != 2) throw new InvalidDataException($"compact string tag {v} is not 2");
                Span<byte> ip = stackalloc byte[4];
                ReadExactly(ip);
                s = FormatIpv4(ip);
                break;
            case 0:
                ulong length = v >> 2;
                if (length > int.MaxValue) throw new InvalidDataException($"compact string length {length} is out of range");
                if (length <= 256)
                {
                    Span<byte> text = stackalloc byte[(int)length];
                    ReadExactly(text);
                    s = Encoding.UTF8.GetString(text);
                }
                else
                {
                    byte[] bytes = ReadBytes((int)length);
                    if (bytes.Length != (int)length) throw new EndOfStreamException("compact string is cut short");
                    s = Encoding.UTF8.GetString(bytes);
                }
                break;
            default:
                throw new InvalidDataException($"compact string tag {v & 3} is unknown");
        }
        _strings.Add(s);
        return s;
    }

    private static string FormatIpv4(ReadOnlySpan<byte> ip)
    {
        Span<char> text = stackalloc char[15];
        int n = 0;
        for (int i = 0; i < 4; i++)
        {
            if (i > 0) text[n++] = '.';
            ip[i].TryFormat(text[n..], out int written, default, System.Globalization.CultureInfo.InvariantCulture);
            n += written;
        }
        return new string(text[..n]);
    }

    private ulong ReadVarint()
    {
        ulong value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            byte b = ReadByte();
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new InvalidDataException("compact varint is longer than 10 bytes");
    }
}
