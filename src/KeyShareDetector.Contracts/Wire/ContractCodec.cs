namespace KeyShareDetector.Contracts.Wire;

/// <summary>
/// The codec the stream code uses for one contract type: reads any of the wire formats (detected from the first
/// bytes) and writes the configured one. Thread-safe; build once, share.
/// </summary>
public sealed class ContractCodec<T> : IWireFormat<T>
    where T : class
{
    internal ContractCodec(WireFormatKind format, AvroWireFormat<T> avro)
    {
        if (!Enum.IsDefined(format))
        {
            throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown wire format.");
        }

        Format = format;
        Avro = avro;
    }

    /// <summary>The format <see cref="Serialize"/> writes.</summary>
    public WireFormatKind Format { get; }

    /// <summary>The JSON format alone.</summary>
    public JsonWireFormat<T> Json => JsonWireFormat<T>.Instance;

    /// <summary>The Avro format alone, bound to the registry when one is configured.</summary>
    public AvroWireFormat<T> Avro { get; }

    /// <summary>Writes the configured format.</summary>
    public byte[] Serialize(T value) => Format == WireFormatKind.Json ? Json.Serialize(value) : Avro.Serialize(value);

    /// <summary>Writes JSON whatever the configuration (e.g. for logs, the CLI, evidence).</summary>
    public byte[] SerializeJson(T value) => Json.Serialize(value);

    /// <summary>Writes Avro: registry framing when bound to a registry for writing, single-object encoding otherwise.</summary>
    public byte[] SerializeAvro(T value) => Avro.Serialize(value);

    /// <summary>Reads JSON, Avro single-object or Schema Registry framing, whichever the first bytes say.</summary>
    public T Deserialize(ReadOnlySpan<byte> data) => WireFormats.Detect(data) switch
    {
        DetectedWireFormat.Json => Json.Deserialize(data),
        DetectedWireFormat.AvroSingleObject or DetectedWireFormat.SchemaRegistry => Avro.Deserialize(data),
        _ => throw new ContractException(
            ContractErrorCodes.UnknownFormat,
            $"{ContractType<T>.Instance.Display}: neither a JSON object nor Avro (single-object 0xC3 0x01, Schema Registry 0x00): starts with {WireFormats.DescribeStart(data)}"),
    };
}
