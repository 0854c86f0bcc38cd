using System.Collections.Concurrent;
using System.Net;
using Avro;
using Avro.Generic;
using Avro.IO;
using Confluent.SchemaRegistry;
using RegisteredSchema = Confluent.SchemaRegistry.Schema;

namespace KeyShareDetector.Contracts.Wire;

/// <summary>
/// Ties a contract type to a Schema Registry subject (<c>&lt;topic&gt;-value</c>, Confluent's TopicNameStrategy):
/// the id it writes with, and how to read each writer schema id it meets.
/// </summary>
internal sealed class SchemaRegistryBinding<T>
    where T : class
{
    // Ids the registry does not know are remembered so that a flood of bad records does not become a flood of
    // registry calls; bounded because the ids come from untrusted bytes.
    private const int MaxRememberedUnknownIds = 1024;

    private static readonly ContractType<T> Type = ContractType<T>.Instance;

    private readonly ISchemaRegistryClient _client;
    private readonly ConcurrentDictionary<int, WriterPlan> _plans = new();
    private int _unknownIds;

    private SchemaRegistryBinding(ISchemaRegistryClient client, string subject, int? writerSchemaId)
    {
        _client = client;
        Subject = subject;
        WriterSchemaId = writerSchemaId;
        if (writerSchemaId is int id)
        {
            _plans[id] = WriterPlan.Contract;
        }
    }

    public string Subject { get; }

    /// <summary>The id records are written with; null when this binding only reads.</summary>
    public int? WriterSchemaId { get; }

    /// <summary>
    /// Binds to the subject of <paramref name="topic"/>. With <paramref name="resolveWriterId"/>, registers the
    /// contract schema (or, without <paramref name="autoRegister"/>, looks up its id, failing when absent).
    /// Registry failures propagate as they are: a misconfigured or unreachable registry is not bad data.
    /// </summary>
    public static async Task<SchemaRegistryBinding<T>> CreateAsync(
        ISchemaRegistryClient client, string topic, bool resolveWriterId, bool autoRegister, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        string subject = topic + "-value";
        int? id = null;
        if (resolveWriterId)
        {
            var schema = new RegisteredSchema(ContractSchemas.GetSchemaText<T>(), SchemaType.Avro);
            id = autoRegister
                ? await client.RegisterSchemaAsync(subject, schema, normalize: false).WaitAsync(cancellationToken).ConfigureAwait(false)
                : await client.GetSchemaIdAsync(subject, schema, normalize: false).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return new SchemaRegistryBinding<T>(client, subject, id);
    }

    public T Decode(int schemaId, ReadOnlySpan<byte> body)
    {
        if (!_plans.TryGetValue(schemaId, out WriterPlan? plan))
        {
            plan = Fetch(schemaId);
            if (plan.Kind != WriterPlanKind.Unknown || Interlocked.Increment(ref _unknownIds) <= MaxRememberedUnknownIds)
            {
                plan = _plans.GetOrAdd(schemaId, plan);
            }
        }

        return plan.Kind switch
        {
            WriterPlanKind.Contract => AvroWireFormat<T>.DeserializeBody(body),
            WriterPlanKind.Resolve => DecodeResolving(plan.WriterSchema!, schemaId, body),
            _ => throw new ContractException(ContractErrorCodes.UnknownSchema, $"{Type.Display}: unknown schema id {schemaId}: {plan.Reason}"),
        };
    }

    private WriterPlan Fetch(int schemaId)
    {
        RegisteredSchema registered;
        try
        {
            // Sync over async, once per new id: Kafka deserializers are synchronous, and the client caches.
            registered = _client.GetSchemaAsync(schemaId).GetAwaiter().GetResult();
        }
        catch (SchemaRegistryException ex) when (ex.Status == HttpStatusCode.NotFound)
        {
            return WriterPlan.Unknown($"the schema registry does not know it ({ex.Message})");
        }

        if (registered.SchemaType != SchemaType.Avro)
        {
            return WriterPlan.Unknown($"it is a {registered.SchemaType} schema, not Avro");
        }

        global::Avro.Schema writer;
        try
        {
            writer = global::Avro.Schema.Parse(registered.SchemaString);
        }
        catch (AvroException ex)
        {
            return WriterPlan.Unknown($"its schema does not parse ({ex.Message})");
        }

        return SchemaNormalization.ParsingFingerprint64(writer) == Type.Fingerprint
            ? WriterPlan.Contract
            : WriterPlan.Resolving(writer);
    }

    /// <summary>
    /// A different writer schema (an older or newer version of the record): Avro schema resolution into our
    /// schema, then the usual decoder. Slow, but only records written with another version take it.
    /// </summary>
    private static T DecodeResolving(global::Avro.Schema writerSchema, int schemaId, ReadOnlySpan<byte> body)
    {
        GenericRecord record;
        using (var input = new MemoryStream(body.ToArray(), writable: false))
        {
            try
            {
                record = new GenericDatumReader<GenericRecord>(writerSchema, Type.Schema).Read(reuse: null!, new BinaryDecoder(input));
            }
            catch (AvroException ex)
            {
                throw new ContractException(
                    ContractErrorCodes.IncompatibleSchema,
                    $"{Type.Display}: schema id {schemaId} ({writerSchema.Fullname}) cannot be read as {Type.Schema.Fullname}: {ex.Message}",
                    ex);
            }
            catch (Exception ex) when (ex is EndOfStreamException or IOException or InvalidCastException or ArgumentException or OverflowException)
            {
                throw new ContractException(ContractErrorCodes.ParseError, $"{Type.Display}: malformed Avro under schema id {schemaId}: {ex.Message}", ex);
            }

            if (input.Position != input.Length)
            {
                throw new ContractException(
                    ContractErrorCodes.ParseError,
                    $"{Type.Display}: {input.Length - input.Position} unexpected byte(s) after the end of the Avro record (schema id {schemaId})");
            }
        }

        using var output = new MemoryStream();
        new GenericDatumWriter<GenericRecord>(Type.Schema).Write(record, new BinaryEncoder(output));
        return AvroWireFormat<T>.DeserializeBody(output.GetBuffer().AsSpan(0, (int)output.Length));
    }

    private enum WriterPlanKind
    {
        Contract,
        Resolve,
        Unknown,
    }

    private sealed record WriterPlan(WriterPlanKind Kind, global::Avro.Schema? WriterSchema, string? Reason)
    {
        public static readonly WriterPlan Contract = new(WriterPlanKind.Contract, null, null);

        public static WriterPlan Resolving(global::Avro.Schema writer) => new(WriterPlanKind.Resolve, writer, null);

        public static WriterPlan Unknown(string reason) => new(WriterPlanKind.Unknown, null, reason);
    }
}
