// Wire formats of the contract types: how to use them
// ======================================================
//
// Every top-level contract type (AccessEvent, OrderEvent, KeyRegistryRecord, KeyLifecycleEvent,
// EnforcementCommand, Alert, DeadLetter, FeatureSnapshot) travels as a Kafka value in one of three encodings:
//
//   JSON                    {"event_id":"e1","ts":1700000000000,...}   snake_case fields as in schemas/*.avsc,
//                           enums as symbol names, null fields left out, fields in declaration order.
//   Avro single-object      C3 01 | 8-byte LE CRC-64-AVRO fingerprint of the writer schema | Avro binary body
//   Schema Registry framed  00 | 4-byte BE schema id | Avro binary body         (Confluent wire format)
//
// Reading auto-detects the encoding from the first bytes (WireFormats.Detect); writing uses the configured
// WireFormatKind: Json, or Avro = Schema Registry framing when a registry client is configured, single-object
// encoding otherwise.
//
// Typical use in the stream code:
//
//   // Defaults: write JSON, read anything except registry-framed records (no registry to ask).
//   AccessEvent e = ContractCodecs.Access.Deserialize(valueBytes);
//   byte[] json   = ContractCodecs.Command.SerializeJson(command);
//   byte[] avro   = ContractCodecs.Command.SerializeAvro(command);       // single-object encoding
//
//   // Configured (e.g. --format avro --schema-registry-url ...): once at start-up, per type and topic.
//   var options = new WireFormatOptions { Format = WireFormatKind.Avro, SchemaRegistry = registryClient };
//   ContractCodec<EnforcementCommand> commands =
//       await WireFormats.CreateAsync<EnforcementCommand>(options, Topics.Enforcement, ct);
//   byte[] value = commands.Serialize(command);   // 00 | id of subject "keyshare.enforcement.v1-value" | body
//
// Errors: every bad-data failure is a ContractException whose Code (ContractErrorCodes: PARSE_ERROR,
// WRONG_TYPE, MISSING_FIELD, UNKNOWN_ENUM, UNKNOWN_SCHEMA, INCOMPATIBLE_SCHEMA, UNKNOWN_FORMAT) goes into the
// DeadLetter and whose message names the record type and field, e.g.
//   "access event: missing required field 'api_key_id'".
// Writing a record that breaks the contract (null required field, undefined enum value, NaN in JSON) throws
// ContractException INVALID_VALUE: that is a bug in the producer, not bad input.
// Schema Registry failures other than "unknown id" (unreachable, unauthorised) propagate unchanged: they are
// infrastructure faults to retry, not records to dead-letter.
// Evolution: JSON readers ignore unknown fields and reject duplicate ones. Avro single-object input must carry the
// current schema's fingerprint; registry-framed input written with another version of the record is read through
// Avro schema resolution (slow path), or rejected as INCOMPATIBLE_SCHEMA.
// An empty value (a Kafka tombstone) is not a record: handle null/empty values before calling Deserialize.
//
// Public API (namespace KeyShareDetector.Contracts.Wire unless noted):
//   interface IWireFormat<T>          byte[] Serialize(T); T Deserialize(ReadOnlySpan<byte>)
//   ContractCodecs.{Access, Order, Registry, Lifecycle, Command, Alert, DeadLetter, Features}   default ContractCodec<T>s
//   ContractCodec<T> : IWireFormat<T> Format; Serialize (configured format); SerializeJson; SerializeAvro;
//                                     Deserialize (auto-detect); Json; Avro
//   WireFormats                       Create<T>(WireFormatKind = Json); CreateAsync<T>(WireFormatOptions, topic, ct);
//                                     Detect(ReadOnlySpan<byte>) -> DetectedWireFormat
//   WireFormatOptions                 Format, SchemaRegistry (ISchemaRegistryClient?), AutoRegisterSchemas (true)
//   JsonWireFormat<T>.Instance        JSON only
//   AvroWireFormat<T>                 SingleObject; SchemaId; Fingerprint; SerializeSingleObject;
//                                     SerializeSchemaRegistry(value, id); SerializeBody / DeserializeBody (bare datum)
//   KeyShareDetector.Contracts:       ContractException (Code), ContractErrorCodes, ContractSchemas (embedded .avsc)
using Confluent.SchemaRegistry;

namespace KeyShareDetector.Contracts.Wire;

/// <summary>How codecs are built from configuration.</summary>
public sealed record WireFormatOptions
{
    /// <summary>The format records are written in. Reading always accepts every format.</summary>
    public WireFormatKind Format { get; init; } = WireFormatKind.Json;

    /// <summary>
    /// Set when a Schema Registry URL is configured (e.g. a <see cref="CachedSchemaRegistryClient"/>): Avro is then
    /// written with registry framing, and registry-framed input is decoded. The caller owns and disposes it.
    /// </summary>
    public ISchemaRegistryClient? SchemaRegistry { get; init; }

    /// <summary>Register the contract schema under <c>&lt;topic&gt;-value</c> at start-up (true), or require it to be there (false).</summary>
    public bool AutoRegisterSchemas { get; init; } = true;
}

/// <summary>Builds codecs and detects the encoding of a record.</summary>
public static class WireFormats
{
    /// <summary>A codec without a registry: writes <paramref name="format"/> (Avro = single-object), reads JSON and single-object.</summary>
    public static ContractCodec<T> Create<T>(WireFormatKind format = WireFormatKind.Json)
        where T : class => new(format, AvroWireFormat<T>.SingleObject);

    /// <summary>
    /// A codec for the values of <paramref name="topic"/>. With a registry and Avro output, registers (or looks up)
    /// the schema id of subject <c>&lt;topic&gt;-value</c> now, so that <see cref="ContractCodec{T}.Serialize"/>
    /// never waits on the network.
    /// </summary>
    public static async Task<ContractCodec<T>> CreateAsync<T>(WireFormatOptions options, string topic, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        if (options.SchemaRegistry is null)
        {
            return Create<T>(options.Format);
        }

        SchemaRegistryBinding<T> binding = await SchemaRegistryBinding<T>.CreateAsync(
            options.SchemaRegistry,
            topic,
            resolveWriterId: options.Format == WireFormatKind.Avro,
            options.AutoRegisterSchemas,
            cancellationToken).ConfigureAwait(false);
        return new ContractCodec<T>(options.Format, new AvroWireFormat<T>(binding));
    }

    /// <summary>What the first bytes say the record is; looks at no more than the header.</summary>
    public static DetectedWireFormat Detect(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return DetectedWireFormat.Unknown;
        }

        if (data[0] == 0x00)
        {
            return DetectedWireFormat.SchemaRegistry;
        }

        if (data[0] == 0xC3 && data.Length > 1 && data[1] == 0x01)
        {
            return DetectedWireFormat.AvroSingleObject;
        }

        if (data.StartsWith("\uFEFF"u8))
        {
            data = data[3..];
        }

        foreach (byte b in data)
        {
            switch (b)
            {
                case (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n':
                    continue;
                case (byte)'{':
                    return DetectedWireFormat.Json;
                default:
                    return DetectedWireFormat.Unknown;
            }
        }

        return DetectedWireFormat.Unknown;
    }

    /// <summary>A short description of the first bytes, for error messages.</summary>
    internal static string DescribeStart(ReadOnlySpan<byte> data) =>
        data.IsEmpty ? "an empty record" : $"0x{Convert.ToHexString(data[..Math.Min(4, data.Length)])}";
}
