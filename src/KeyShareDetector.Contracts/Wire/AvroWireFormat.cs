using System.Buffers.Binary;
using KeyShareDetector.Contracts.AvroBinary;

namespace KeyShareDetector.Contracts.Wire;

/// <summary>
/// The Avro wire format. Writes Confluent Schema Registry framing (0x00, 4-byte big-endian schema id, body) when
/// bound to a registry, Avro single-object encoding (0xC3 0x01, 8-byte little-endian CRC-64-AVRO fingerprint,
/// body) otherwise. Reads both.
/// </summary>
public sealed class AvroWireFormat<T> : IWireFormat<T>
    where T : class
{
    /// <summary>Length of the single-object header: 2 marker bytes and the 8-byte fingerprint.</summary>
    public const int SingleObjectHeaderLength = 10;

    /// <summary>Length of the Schema Registry header: the magic byte and the 4-byte schema id.</summary>
    public const int SchemaRegistryHeaderLength = 5;

    private static readonly ContractType<T> Type = ContractType<T>.Instance;

    private static readonly byte[] SingleObjectHeader = CreateSingleObjectHeader(Type.Fingerprint);

    private readonly SchemaRegistryBinding<T>? _registry;

    internal AvroWireFormat(SchemaRegistryBinding<T>? registry)
    {
        _registry = registry;
    }

    /// <summary>Single-object encoding, no registry. Schema Registry framed input is rejected as <c>UNKNOWN_SCHEMA</c>.</summary>
    public static AvroWireFormat<T> SingleObject { get; } = new(null);

    /// <summary>The registry schema id this format writes, or null when it writes single-object encoding.</summary>
    public int? SchemaId => _registry?.WriterSchemaId;

    /// <summary>CRC-64-AVRO fingerprint of the contract schema's parsing canonical form.</summary>
    public static long Fingerprint => Type.Fingerprint;

    /// <inheritdoc />
    public byte[] Serialize(T value) =>
        _registry?.WriterSchemaId is int id ? SerializeSchemaRegistry(value, id) : SerializeSingleObject(value);

    /// <summary>Always single-object encoding, whatever the binding.</summary>
    public static byte[] SerializeSingleObject(T value) => Write(value, SingleObjectHeader);

    /// <summary>Schema Registry framing with the given schema id (which must denote the contract schema).</summary>
    public static byte[] SerializeSchemaRegistry(T value, int schemaId)
    {
        Span<byte> header = stackalloc byte[SchemaRegistryHeaderLength];
        header[0] = 0;
        BinaryPrimitives.WriteInt32BigEndian(header[1..], schemaId);
        return Write(value, header);
    }

    /// <summary>The bare Avro binary datum, no header: what Apache.Avro's GenericDatumWriter writes for the .avsc.</summary>
    public static byte[] SerializeBody(T value) => Write(value, []);

    /// <summary>Decodes single-object encoding or Schema Registry framing.</summary>
    public T Deserialize(ReadOnlySpan<byte> data) => WireFormats.Detect(data) switch
    {
        DetectedWireFormat.AvroSingleObject => DeserializeSingleObject(data),
        DetectedWireFormat.SchemaRegistry => DeserializeSchemaRegistry(data),
        _ => throw new ContractException(
            ContractErrorCodes.UnknownFormat,
            $"{Type.Display}: not Avro: expected 0xC3 0x01 (single-object) or 0x00 (Schema Registry) first, found {WireFormats.DescribeStart(data)}"),
    };

    /// <summary>Decodes a bare Avro binary datum written with the contract schema.</summary>
    public static T DeserializeBody(ReadOnlySpan<byte> body)
    {
        var reader = new AvroReader(body, Type.Display);
        T value = Type.ReadAvro(ref reader);
        reader.EnsureEnd();
        return value;
    }

    private static T DeserializeSingleObject(ReadOnlySpan<byte> data)
    {
        if (data.Length < SingleObjectHeaderLength)
        {
            throw new ContractException(ContractErrorCodes.ParseError, $"{Type.Display}: Avro single-object header is truncated ({data.Length} bytes)");
        }

        long fingerprint = BinaryPrimitives.ReadInt64LittleEndian(data[2..]);
        if (fingerprint != Type.Fingerprint)
        {
            throw new ContractException(
                ContractErrorCodes.UnknownSchema,
                $"{Type.Display}: unknown Avro schema fingerprint 0x{fingerprint:X16}; this reader knows only {Type.Schema.Fullname} 0x{Type.Fingerprint:X16}");
        }

        return DeserializeBody(data[SingleObjectHeaderLength..]);
    }

    private T DeserializeSchemaRegistry(ReadOnlySpan<byte> data)
    {
        if (data.Length < SchemaRegistryHeaderLength)
        {
            throw new ContractException(ContractErrorCodes.ParseError, $"{Type.Display}: Schema Registry header is truncated ({data.Length} bytes)");
        }

        int schemaId = BinaryPrimitives.ReadInt32BigEndian(data[1..]);
        ReadOnlySpan<byte> body = data[SchemaRegistryHeaderLength..];
        if (_registry is null)
        {
            throw new ContractException(
                ContractErrorCodes.UnknownSchema,
                $"{Type.Display}: unknown schema id {schemaId}: the record is Schema Registry framed but no schema registry is configured");
        }

        return _registry.Decode(schemaId, body);
    }

    private static byte[] Write(T value, ReadOnlySpan<byte> header)
    {
        ArgumentNullException.ThrowIfNull(value);
        var writer = new AvroWriter(Type.Display);
        try
        {
            writer.WriteRaw(header);
            Type.WriteAvro(ref writer, value);
            return writer.ToArray();
        }
        finally
        {
            writer.Dispose();
        }
    }

    private static byte[] CreateSingleObjectHeader(long fingerprint)
    {
        var header = new byte[SingleObjectHeaderLength];
        header[0] = 0xC3;
        header[1] = 0x01;
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(2), fingerprint);
        return header;
    }
}
