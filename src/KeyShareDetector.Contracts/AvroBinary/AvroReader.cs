using System.Buffers.Binary;
using System.Text;

namespace KeyShareDetector.Contracts.AvroBinary;

/// <summary>
/// Avro binary decoding (spec 1.12, "Binary Encoding") straight from a span. Every length and count is checked
/// against the bytes left, so truncated or hostile input fails with a <see cref="ContractException"/> naming the
/// field, never with an out-of-range read or a huge allocation.
/// </summary>
internal ref struct AvroReader
{
    /// <summary>UTF-8 that throws on invalid bytes instead of inventing U+FFFD: a corrupt string is bad data.</summary>
    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _data;
    private readonly string _record;
    private int _position;

    public AvroReader(ReadOnlySpan<byte> data, string record)
    {
        _data = data;
        _record = record;
        _position = 0;
    }

    public readonly int Remaining => _data.Length - _position;

    public long ReadLong(string field)
    {
        ulong n = 0;
        int shift = 0;
        while (true)
        {
            if (_position >= _data.Length)
            {
                throw Truncated(field);
            }

            byte b = _data[_position++];
            if (shift == 63 && b > 1)
            {
                throw Malformed(field, "varint overflows a long");
            }

            n |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                break;
            }

            shift += 7;
            if (shift > 63)
            {
                throw Malformed(field, "varint is longer than 10 bytes");
            }
        }

        return (long)(n >> 1) ^ -(long)(n & 1);
    }

    public int ReadInt(string field)
    {
        long value = ReadLong(field);
        if (value is < int.MinValue or > int.MaxValue)
        {
            throw Malformed(field, $"value {value} does not fit an Avro int");
        }

        return (int)value;
    }

    public bool ReadBoolean(string field)
    {
        if (_position >= _data.Length)
        {
            throw Truncated(field);
        }

        return _data[_position++] switch
        {
            0 => false,
            1 => true,
            var b => throw Malformed(field, $"boolean byte is {b}, not 0 or 1"),
        };
    }

    public double ReadDouble(string field)
    {
        if (Remaining < 8)
        {
            throw Truncated(field);
        }

        double value = BinaryPrimitives.ReadDoubleLittleEndian(_data.Slice(_position, 8));
        _position += 8;
        return value;
    }

    public string ReadString(string field)
    {
        ReadOnlySpan<byte> bytes = ReadLengthPrefixed(field);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new ContractException(ContractErrorCodes.ParseError, $"{_record}: field '{field}' is not valid UTF-8", ex);
        }
    }

    public byte[] ReadBytes(string field) => ReadLengthPrefixed(field).ToArray();

    public TEnum ReadEnum<TEnum>(string field)
        where TEnum : struct, Enum
    {
        int index = ReadInt(field);
        if ((uint)index >= (uint)EnumSymbols<TEnum>.Count)
        {
            throw new ContractException(
                ContractErrorCodes.UnknownEnum,
                $"{_record}: field '{field}' holds {typeof(TEnum).Name} index {index}, but the schema has {EnumSymbols<TEnum>.Count} symbols ({EnumSymbols<TEnum>.Expected})");
        }

        return EnumSymbols<TEnum>.FromIndex(index);
    }

    /// <summary>Reads the branch of a ["null", T] union: false for null, true for T.</summary>
    public bool ReadOptional(string field)
    {
        long branch = ReadLong(field);
        return branch switch
        {
            0 => false,
            1 => true,
            _ => throw Malformed(field, $"union branch {branch} does not exist in [\"null\", T]"),
        };
    }

    public string? ReadOptionalString(string field) => ReadOptional(field) ? ReadString(field) : null;

    public long? ReadOptionalLong(string field) => ReadOptional(field) ? ReadLong(field) : null;

    public int? ReadOptionalInt(string field) => ReadOptional(field) ? ReadInt(field) : null;

    public double? ReadOptionalDouble(string field) => ReadOptional(field) ? ReadDouble(field) : null;

    public byte[]? ReadOptionalBytes(string field) => ReadOptional(field) ? ReadBytes(field) : null;

    public TEnum? ReadOptionalEnum<TEnum>(string field)
        where TEnum : struct, Enum => ReadOptional(field) ? ReadEnum<TEnum>(field) : null;

    /// <summary>Reads an array in any block layout the spec allows (several blocks, negative counts with byte sizes).</summary>
    public TItem[] ReadArray<TItem>(string field, AvroItemReader<TItem> readItem)
    {
        TItem[]? items = null;
        int count = 0;
        while (true)
        {
            long blockCount = ReadLong(field);
            if (blockCount == 0)
            {
                break;
            }

            if (blockCount < 0)
            {
                // The one negative long without a positive counterpart: corrupt, not a count.
                if (blockCount == long.MinValue)
                {
                    throw Malformed(field, $"array block count {blockCount} is out of range");
                }

                blockCount = -blockCount;
                long blockSize = ReadLong(field);
                if (blockSize < 0 || blockSize > Remaining)
                {
                    throw Truncated(field);
                }
            }

            // Every item of our schemas takes at least one byte, so a count above the bytes left is corrupt.
            if (blockCount > Remaining)
            {
                throw Truncated(field);
            }

            int needed = checked(count + (int)blockCount);
            if (items is null || items.Length < needed)
            {
                Array.Resize(ref items, needed);
            }

            for (long i = 0; i < blockCount; i++)
            {
                items[count++] = readItem(ref this, field);
            }
        }

        return items ?? [];
    }

    /// <summary>A record must use every byte: leftovers mean a different writer schema or a corrupt frame.</summary>
    public readonly void EnsureEnd()
    {
        if (_position != _data.Length)
        {
            throw new ContractException(
                ContractErrorCodes.ParseError,
                $"{_record}: {Remaining} unexpected byte(s) after the end of the Avro record");
        }
    }

    private ReadOnlySpan<byte> ReadLengthPrefixed(string field)
    {
        long length = ReadLong(field);
        if (length < 0)
        {
            throw Malformed(field, $"negative length {length}");
        }

        if (length > Remaining)
        {
            throw Truncated(field);
        }

        ReadOnlySpan<byte> bytes = _data.Slice(_position, (int)length);
        _position += (int)length;
        return bytes;
    }

    private readonly ContractException Truncated(string field) =>
        new(ContractErrorCodes.ParseError, $"{_record}: Avro data ends inside field '{field}' (truncated record?)");

    private readonly ContractException Malformed(string field, string what) =>
        new(ContractErrorCodes.ParseError, $"{_record}: malformed Avro in field '{field}': {what}");
}

/// <summary>Reads one array item.</summary>
internal delegate TItem AvroItemReader<out TItem>(ref AvroReader reader, string field);
