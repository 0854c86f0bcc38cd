namespace KeyShareDetector.Contracts.Wire;

/// <summary>Turns a contract record into Kafka value bytes and back. Failures are <see cref="ContractException"/>.</summary>
public interface IWireFormat<T>
    where T : class
{
    /// <summary>Encodes a record; throws <see cref="ContractException"/> (<c>INVALID_VALUE</c>) when it breaks the contract.</summary>
    byte[] Serialize(T value);

    /// <summary>Decodes a record; throws <see cref="ContractException"/> with the reason code on bad data.</summary>
    T Deserialize(ReadOnlySpan<byte> data);
}

/// <summary>The format a codec writes.</summary>
public enum WireFormatKind
{
    /// <summary>UTF-8 JSON object with snake_case fields, as a person types into kcat.</summary>
    Json,

    /// <summary>Avro binary: Schema Registry framing when a registry is configured, Avro single-object encoding otherwise.</summary>
    Avro,
}

/// <summary>What the first bytes of a record say it is.</summary>
public enum DetectedWireFormat
{
    /// <summary>None of the formats below (includes an empty record).</summary>
    Unknown,

    /// <summary>Optional whitespace or UTF-8 BOM, then '{'.</summary>
    Json,

    /// <summary>0xC3 0x01, then the 8-byte little-endian CRC-64-AVRO fingerprint of the writer schema.</summary>
    AvroSingleObject,

    /// <summary>0x00, then the 4-byte big-endian Schema Registry schema id.</summary>
    SchemaRegistry,
}
