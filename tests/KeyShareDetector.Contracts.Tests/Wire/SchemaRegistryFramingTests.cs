using System.Buffers.Binary;
using Avro;
using AvroSchema = Avro.Schema;
using Avro.Generic;
using Confluent.SchemaRegistry;
using KeyShareDetector.Contracts.Tests.TestSupport;
using KeyShareDetector.Contracts.Wire;

namespace KeyShareDetector.Contracts.Tests.Wire;

public sealed class SchemaRegistryFramingTests : IDisposable
{
    private readonly FakeSchemaRegistryClient _registry = new();

    private WireFormatOptions AvroWithRegistry => new() { Format = WireFormatKind.Avro, SchemaRegistry = _registry };

    public void Dispose() => _registry.Dispose();

    [Fact]
    public async Task The_schema_is_registered_under_the_topic_value_subject_and_its_id_framed_big_endian()
    {
        _registry.Add(41, "unrelated-value", "\"string\"");

        ContractCodec<EnforcementCommand> codec = await WireFormats.CreateAsync<EnforcementCommand>(AvroWithRegistry, Topics.Enforcement);
        byte[] framed = codec.Serialize(Samples.CommandFull);

        Assert.Contains("keyshare.enforcement.v1-value", await _registry.GetAllSubjectsAsync());
        Assert.Equal(42, codec.Avro.SchemaId);
        Assert.Equal(0x00, framed[0]);
        Assert.Equal(42, BinaryPrimitives.ReadInt32BigEndian(framed.AsSpan(1)));
        Assert.Equal(AvroWireFormat<EnforcementCommand>.SerializeBody(Samples.CommandFull), framed[5..]);
    }

    [Fact]
    public async Task Without_auto_registration_the_registered_id_is_looked_up()
    {
        _registry.Add(7, Topics.Access + "-value", ContractSchemas.GetSchemaText<AccessEvent>());

        ContractCodec<AccessEvent> codec = await WireFormats.CreateAsync<AccessEvent>(AvroWithRegistry with { AutoRegisterSchemas = false }, Topics.Access);

        Assert.Equal(7, codec.Avro.SchemaId);
    }

    [Fact]
    public async Task Without_auto_registration_a_missing_schema_fails_at_start_up_not_per_record()
    {
        await Assert.ThrowsAsync<SchemaRegistryException>(() =>
            WireFormats.CreateAsync<AccessEvent>(AvroWithRegistry with { AutoRegisterSchemas = false }, Topics.Access));
    }

    [Fact]
    public async Task A_json_writer_with_a_registry_registers_nothing_but_reads_framed_records()
    {
        ContractCodec<Alert> avroWriter = await WireFormats.CreateAsync<Alert>(AvroWithRegistry, Topics.Alerts);
        int subjectsBefore = (await _registry.GetAllSubjectsAsync()).Count;

        ContractCodec<Alert> jsonWriter = await WireFormats.CreateAsync<Alert>(AvroWithRegistry with { Format = WireFormatKind.Json }, "other.topic");

        Assert.Equal(subjectsBefore, (await _registry.GetAllSubjectsAsync()).Count);
        Assert.Null(jsonWriter.Avro.SchemaId);
        Assert.Equal((byte)'{', jsonWriter.Serialize(Samples.AlertFull)[0]);
        Assert.Equivalent(Samples.AlertFull, jsonWriter.Deserialize(avroWriter.Serialize(Samples.AlertFull)), strict: true);
    }

    [Fact]
    public async Task An_id_the_registry_does_not_know_is_an_unknown_schema_id_and_is_asked_once()
    {
        ContractCodec<Alert> codec = await WireFormats.CreateAsync<Alert>(AvroWithRegistry, Topics.Alerts);
        byte[] framed = AvroWireFormat<Alert>.SerializeSchemaRegistry(Samples.AlertFull, schemaId: 999);

        var first = Assert.Throws<ContractException>(() => codec.Deserialize(framed));
        var second = Assert.Throws<ContractException>(() => codec.Deserialize(framed));

        Assert.Equal(ContractErrorCodes.UnknownSchema, first.Code);
        Assert.Contains("unknown schema id 999", first.Message, StringComparison.Ordinal);
        Assert.Equal(first.Message, second.Message);
        Assert.Equal(1, _registry.GetSchemaByIdCalls);
    }

    [Fact]
    public async Task A_known_id_of_our_own_schema_is_decoded_without_asking_the_registry()
    {
        ContractCodec<Alert> codec = await WireFormats.CreateAsync<Alert>(AvroWithRegistry, Topics.Alerts);

        codec.Deserialize(codec.Serialize(Samples.AlertFull));

        Assert.Equal(0, _registry.GetSchemaByIdCalls);
    }

    [Fact]
    public async Task A_record_written_with_an_older_schema_version_is_resolved_into_the_current_one()
    {
        // Version 0 of the access event: no tls_fingerprint, no permission.
        var old = (RecordSchema)AvroSchema.Parse("""
            {"type":"record","name":"AccessEvent","namespace":"keyshare.v1","fields":[
              {"name":"event_id","type":"string"},{"name":"ts","type":"long"},{"name":"api_key_id","type":"string"},
              {"name":"account_id","type":"string"},{"name":"ip","type":"string"},{"name":"user_agent","type":"string"},
              {"name":"session_id","type":["null","string"],"default":null},{"name":"endpoint","type":"string"},
              {"name":"method","type":["null","string"],"default":null},{"name":"status","type":["null","int"],"default":null},
              {"name":"client_ts","type":["null","long"],"default":null}]}
            """);
        _registry.Add(3, Topics.Access + "-value", old.ToString());
        var record = new GenericRecord(old);
        foreach ((string field, object? value) in new (string, object?)[]
        {
            ("event_id", "e-old"), ("ts", 5L), ("api_key_id", "k"), ("account_id", "a"), ("ip", "192.0.2.7"), ("user_agent", "ua"),
            ("session_id", null), ("endpoint", "/v1/x"), ("method", "GET"), ("status", 200), ("client_ts", null),
        })
        {
            record.Add(field, value);
        }

        byte[] framed = [0, 0, 0, 0, 3, .. GenericAvro.WriteWith(old, record)];
        ContractCodec<AccessEvent> codec = await WireFormats.CreateAsync<AccessEvent>(AvroWithRegistry, Topics.Access);

        AccessEvent e = codec.Deserialize(framed);

        Assert.Equal(
            new AccessEvent { EventId = "e-old", Ts = 5, ApiKeyId = "k", AccountId = "a", Ip = "192.0.2.7", UserAgent = "ua", Endpoint = "/v1/x", Method = "GET", Status = 200 },
            e);
    }

    [Fact]
    public async Task A_writer_schema_that_cannot_be_resolved_into_ours_is_an_incompatible_schema()
    {
        var other = (RecordSchema)AvroSchema.Parse("""{"type":"record","name":"AccessEvent","namespace":"keyshare.v1","fields":[{"name":"event_id","type":"string"}]}""");
        _registry.Add(4, Topics.Access + "-value", other.ToString());
        var record = new GenericRecord(other);
        record.Add("event_id", "e");
        byte[] framed = [0, 0, 0, 0, 4, .. GenericAvro.WriteWith(other, record)];
        ContractCodec<AccessEvent> codec = await WireFormats.CreateAsync<AccessEvent>(AvroWithRegistry, Topics.Access);

        var ex = Assert.Throws<ContractException>(() => codec.Deserialize(framed));

        Assert.Equal(ContractErrorCodes.IncompatibleSchema, ex.Code);
    }

    [Fact]
    public async Task An_id_of_a_non_avro_schema_is_an_unknown_schema()
    {
        _registry.Add(5, "x-value", "syntax = \"proto3\"; message M {}", SchemaType.Protobuf);
        ContractCodec<Alert> codec = await WireFormats.CreateAsync<Alert>(AvroWithRegistry, Topics.Alerts);

        var ex = Assert.Throws<ContractException>(() => codec.Deserialize(AvroWireFormat<Alert>.SerializeSchemaRegistry(Samples.AlertFull, 5)));

        Assert.Equal(ContractErrorCodes.UnknownSchema, ex.Code);
        Assert.Contains("Protobuf", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_registry_is_an_infrastructure_fault_not_bad_data()
    {
        ContractCodec<Alert> codec = await WireFormats.CreateAsync<Alert>(AvroWithRegistry, Topics.Alerts);
        _registry.Unreachable = true;

        Assert.Throws<HttpRequestException>(() => codec.Deserialize(AvroWireFormat<Alert>.SerializeSchemaRegistry(Samples.AlertFull, 12345)));
    }

    [Fact]
    public async Task A_truncated_registry_header_is_a_parse_error()
    {
        ContractCodec<Alert> codec = await WireFormats.CreateAsync<Alert>(AvroWithRegistry, Topics.Alerts);

        Assert.Equal(ContractErrorCodes.ParseError, Assert.Throws<ContractException>(() => codec.Deserialize([0, 0, 1])).Code);
    }
}
