using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace KeyShareDetector.Contracts.AvroBinary;

/// <summary>
/// Avro binary encoding (spec 1.12, "Binary Encoding") into a pooled buffer. Hand-written because the event
/// types are the hot path: no Stream, no boxing, one exact-size array per record.
/// </summary>
internal ref struct AvroWriter
{
    private const int InitialCapacity = 512;

    private readonly string _record;
    private byte[] _buffer;
    private int _position;

    public AvroWriter(string record)
    {
        _record = record;
        _buffer = ArrayPool<byte>.Shared.Rent(InitialCapacity);
        _position = 0;
    }

    public readonly ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _position);

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _position += bytes.Length;
    }

    public void WriteLong(long value)
    {
        Span<byte> span = GetSpan(10);
        ulong n = (ulong)((value << 1) ^ (value >> 63));
        int i = 0;
        while (n >= 0x80)
        {
            span[i++] = (byte)(n | 0x80);
            n >>= 7;
        }

        span[i++] = (byte)n;
        _position += i;
    }

    /// <summary>Avro int and long share the zig-zag varint encoding.</summary>
    public void WriteInt(int value) => WriteLong(value);

    public void WriteBoolean(bool value)
    {
        GetSpan(1)[0] = value ? (byte)1 : (byte)0;
        _position++;
    }

    public void WriteDouble(double value)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(GetSpan(8), value);
        _position += 8;
    }

    public void WriteString(string? value, string field)
    {
        if (value is null)
        {
            throw NullField(field);
        }

        // Lone surrogates become U+FFFD, as in Apache.Avro's encoder and System.Text.Json: same bytes, deterministic.
        int length = Encoding.UTF8.GetByteCount(value);
        WriteLong(length);
        Encoding.UTF8.GetBytes(value, GetSpan(length));
        _position += length;
    }

    public void WriteBytes(byte[]? value, string field)
    {
        if (value is null)
        {
            throw NullField(field);
        }

        WriteLong(value.Length);
        WriteRaw(value);
    }

    public void WriteEnum<TEnum>(TEnum value, string field)
        where TEnum : struct, Enum
    {
        int index = EnumSymbols<TEnum>.IndexOf(value);
        if (index < 0)
        {
            throw new ContractException(
                ContractErrorCodes.InvalidValue,
                $"{_record}: field '{field}' holds {value}, which is not a {typeof(TEnum).Name} symbol ({EnumSymbols<TEnum>.Expected})");
        }

        WriteInt(index);
    }

    public void WriteOptionalString(string? value, string field)
    {
        if (value is null)
        {
            WriteLong(0);
            return;
        }

        WriteLong(1);
        WriteString(value, field);
    }

    public void WriteOptionalLong(long? value)
    {
        WriteLong(value.HasValue ? 1 : 0);
        if (value.HasValue)
        {
            WriteLong(value.GetValueOrDefault());
        }
    }

    public void WriteOptionalInt(int? value)
    {
        WriteLong(value.HasValue ? 1 : 0);
        if (value.HasValue)
        {
            WriteInt(value.GetValueOrDefault());
        }
    }

    public void WriteOptionalDouble(double? value)
    {
        WriteLong(value.HasValue ? 1 : 0);
        if (value.HasValue)
        {
            WriteDouble(value.GetValueOrDefault());
        }
    }

    public void WriteOptionalBytes(byte[]? value, string field)
    {
        WriteLong(value is null ? 0 : 1);
        if (value is not null)
        {
            WriteBytes(value, field);
        }
    }

    public void WriteOptionalEnum<TEnum>(TEnum? value, string field)
        where TEnum : struct, Enum
    {
        WriteLong(value.HasValue ? 1 : 0);
        if (value.HasValue)
        {
            WriteEnum(value.GetValueOrDefault(), field);
        }
    }

    /// <summary>Writes an array as one block (count, items, then the 0 terminator), as the Java and .NET writers do.</summary>
    public void WriteArray<TItem>(IReadOnlyList<TItem>? items, string field, AvroItemWriter<TItem> writeItem)
    {
        if (items is null)
        {
            throw NullField(field);
        }

        int count = items.Count;
        if (count > 0)
        {
            WriteLong(count);
            for (int i = 0; i < count; i++)
            {
                writeItem(ref this, items[i], field);
            }
        }

        WriteLong(0);
    }

    public readonly byte[] ToArray() => Written.ToArray();

    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        _position = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private readonly ContractException NullField(string field) =>
        new(ContractErrorCodes.InvalidValue, $"{_record}: required field '{field}' is null");

    private Span<byte> GetSpan(int size)
    {
        if (_buffer.Length - _position < size)
        {
            byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _position + size));
            _buffer.AsSpan(0, _position).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }

        return _buffer.AsSpan(_position);
    }
}

/// <summary>Writes one array item.</summary>
internal delegate void AvroItemWriter<in TItem>(ref AvroWriter writer, TItem item, string field);
