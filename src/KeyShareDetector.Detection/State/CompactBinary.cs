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
    // One string table and one byte buffer per thread, emptied for each writer: a state writes some 10-100 strings,
    // and growing a new dictionary to that size for every record cost more than the rest of the encoding; values go
    // to the buffer and reach the stream in one write at Flush (a MemoryStream call per value cost about a third).
    [ThreadStatic]
    private static Dictionary<string, int>? t_strings;

    [ThreadStatic]
    private static byte[]? t_buffer;

    private readonly Dictionary<string, int> _strings;
    private byte[] _buffer;
    private int _position;

    public CompactBinaryWriter(Stream output, bool leaveOpen = false)
        : base(output, Encoding.UTF8, leaveOpen)
    {
        _strings = t_strings ?? new Dictionary<string, int>(64, StringComparer.Ordinal);
        t_strings = null;
        _strings.Clear();
        _buffer = t_buffer ?? new byte[4096];
        t_buffer = null;
    }

    /// <summary>Writes what is buffered to the stream.</summary>
    public override void Flush()
    {
        if (_position > 0)
        {
            OutStream.Write(_buffer, 0, _position);
            _position = 0;
        }
        base.Flush();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Flush();
        // Hand the table and buffer back for the next writer on this thread (a writer nested in another gets its own).
        if (_strings.Count <= 4096)
        {
            _strings.Clear();
            t_strings = _strings;
        }
        if (_buffer.Length <= 1 << 20) t_buffer = _buffer;
        _buffer = [];
        base.Dispose(disposing);
    }

    public override void Write(bool value) => Put((byte)(value ? 1 : 0));

    public override void Write(byte value) => Put(value);

    public override void Write(sbyte value) => Put((byte)value);

    public override void Write(byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        Put(buffer);
    }

    public override void Write(byte[] buffer, int index, int count)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        Put(buffer.AsSpan(index, count));
    }

    public override void Write(ReadOnlySpan<byte> buffer) => Put(buffer);

    // Not part of any state layout: refused rather than written around the buffer.
    public override void Write(char ch) => throw new NotSupportedException("the compact writer does not write chars");

    public override void Write(char[] chars) => throw new NotSupportedException("the compact writer does not write chars");

    public override void Write(char[] chars, int index, int count) => throw new NotSupportedException("the compact writer does not write chars");

    public override void Write(ReadOnlySpan<char> chars) => throw new NotSupportedException("the compact writer does not write chars");

    public override void Write(float value) => throw new NotSupportedException("the compact writer does not write floats");

    public override void Write(decimal value) => throw new NotSupportedException("the compact writer does not write decimals");

    public override void Write(Half value) => throw new NotSupportedException("the compact writer does not write halves");

    public override long Seek(int offset, SeekOrigin origin) => throw new NotSupportedException("the compact writer does not seek");

    private Span<byte> Reserve(int count)
    {
        if (_position + count > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _position + count));
        return _buffer.AsSpan(_position, count);
    }

    private void Put(byte value)
    {
        if (_position == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        _buffer[_position++] = value;
    }

    private void Put(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        _position += bytes.Length;
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
            Put(raw);
            return;
        }
        WriteVarint((x << 2) | (useDelta ? 1UL : 0UL));
    }

    public override void Write(ulong value)
    {
        if (value == 0)
        {
            Put(0);
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
        Put(buffer[..(significant + 1)]);
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
        Put(raw);
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
        // Straight into the buffer: a zeroed stack buffer per string (C# clears stackalloc) cost more than the copy.
        var ip = Reserve(5);
        if (TryPackIpv4(value, ip[1..]))
        {
            ip[0] = 2;
            _position += 5;
            return;
        }
        int length = Encoding.UTF8.GetByteCount(value);
        WriteVarint((ulong)length << 2);
        _position += Encoding.UTF8.GetBytes(value, Reserve(length));
    }

    private void WriteVarint(ulong value)
    {
        var span = Reserve(10);
        int n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[n++] = (byte)value;
        _position += n;
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

    // Set when reading straight from an array (the codecs' case): a MemoryStream call per byte cost about a third.
    private readonly byte[]? _data;
    private readonly int _end;
    private int _position;

    public CompactBinaryReader(Stream input, bool leaveOpen = false)
        : base(input, Encoding.UTF8, leaveOpen)
    {
        _strings = t_strings ?? new List<string>(64);
        t_strings = null;
        _strings.Clear();
    }

    /// <summary>Reads <paramref name="count"/> bytes of <paramref name="data"/> from <paramref name="offset"/> on.</summary>
    public CompactBinaryReader(byte[] data, int offset, int count)
        : this(Stream.Null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + count, data.Length);
        _data = data;
        _position = offset;
        _end = offset + count;
    }

    public override byte ReadByte()
    {
        if (_data is null) return base.ReadByte();
        if (_position >= _end) throw new EndOfStreamException();
        return _data[_position++];
    }

    public override sbyte ReadSByte() => (sbyte)ReadByte();

    public override bool ReadBoolean() => ReadByte() != 0;

    public override byte[] ReadBytes(int count)
    {
        if (_data is null) return base.ReadBytes(count);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int n = Math.Min(count, _end - _position);
        byte[] bytes = _data.AsSpan(_position, n).ToArray();
        _position += n;
        return bytes;
    }

    /// <summary>
    /// The next <paramref name="count"/> bytes as a view of the array read from (no copy; a copy when reading a stream).
    /// </summary>
    public ArraySegment<byte> ReadSegment(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_data is null)
        {
            byte[] copy = ReadBytes(count);
            if (copy.Length != count) throw new EndOfStreamException();
            return copy;
        }
        if (_end - _position < count) throw new EndOfStreamException();
        var segment = new ArraySegment<byte>(_data, _position, count);
        _position += count;
        return segment;
    }

    public override int Read(Span<byte> buffer)
    {
        if (_data is null) return base.Read(buffer);
        int n = Math.Min(buffer.Length, _end - _position);
        _data.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override int Read(byte[] buffer, int index, int count)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return Read(buffer.AsSpan(index, count));
    }

    public override void ReadExactly(Span<byte> buffer)
    {
        if (_data is null)
        {
            base.ReadExactly(buffer);
            return;
        }
        if (_end - _position < buffer.Length) throw new EndOfStreamException();
        _data.AsSpan(_position, buffer.Length).CopyTo(buffer);
        _position += buffer.Length;
    }

    // Not part of any state layout: refused rather than read from the wrong place.
    public override int PeekChar() => throw new NotSupportedException("the compact reader does not read chars");

    public override int Read() => throw new NotSupportedException("the compact reader does not read chars");

    public override char ReadChar() => throw new NotSupportedException("the compact reader does not read chars");

    public override char[] ReadChars(int count) => throw new NotSupportedException("the compact reader does not read chars");

    public override int Read(char[] buffer, int index, int count) => throw new NotSupportedException("the compact reader does not read chars");

    public override int Read(Span<char> buffer) => throw new NotSupportedException("the compact reader does not read chars");

    public override float ReadSingle() => throw new NotSupportedException("the compact reader does not read floats");

    public override decimal ReadDecimal() => throw new NotSupportedException("the compact reader does not read decimals");

    public override Half ReadHalf() => throw new NotSupportedException("the compact reader does not read halves");

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
                s = FormatIpv4(BinaryPrimitives.ReadUInt32BigEndian(ip));
                break;
            case 0:
                ulong length = v >> 2;
                if (length > int.MaxValue) throw new InvalidDataException($"compact string length {length} is out of range");
                if (_data is not null)
                {
                    if ((ulong)(_end - _position) < length) throw new EndOfStreamException("compact string is cut short");
                    // Decoded in place: no stack copy of the bytes first.
                    s = Encoding.UTF8.GetString(_data, _position, (int)length);
                    _position += (int)length;
                }
                else if (length <= 256)
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

    private static string FormatIpv4(uint address)
    {
        Span<byte> ip = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(ip, address);
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
