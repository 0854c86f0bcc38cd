using KeyShareDetector.Contracts.Tests.TestSupport;

namespace KeyShareDetector.Contracts.Tests.Wire;

public sealed class RoundTripTests
{
    public static TheoryData<string> SampleNames => Samples.Names;

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void A_record_survives_a_json_round_trip(string sample)
    {
        Sample s = Samples.All[sample];

        object back = s.FromJson(s.ToJson());

        Assert.Equivalent(s.Value, back, strict: true);
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void A_record_survives_an_avro_single_object_round_trip(string sample)
    {
        Sample s = Samples.All[sample];
        byte[] bytes = s.ToSingleObject();

        object back = s.FromAnyFormat(bytes);

        Assert.Equal([0xC3, 0x01], bytes[..2]);
        Assert.Equivalent(s.Value, back, strict: true);
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public async Task A_record_survives_a_schema_registry_round_trip(string sample)
    {
        Sample s = Samples.All[sample];
        using var registry = new FakeSchemaRegistryClient();

        object back = await s.RoundTripThroughSchemaRegistryAsync(registry, "some.topic.v1");

        Assert.Equivalent(s.Value, back, strict: true);
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void A_record_read_from_json_reads_the_same_from_avro(string sample)
    {
        Sample s = Samples.All[sample];

        object fromJson = s.FromAnyFormat(s.ToJson());
        object fromAvro = s.FromAnyFormat(s.ToSingleObject());

        Assert.Equivalent(fromJson, fromAvro, strict: true);
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Apache_avro_generic_writer_bytes_decode_to_the_same_record(string sample)
    {
        Sample s = Samples.All[sample];

        byte[] reference = GenericAvro.Write(s.Value);

        Assert.Equivalent(s.Value, s.FromAvroBody(reference), strict: true);
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Our_avro_bytes_decode_with_the_apache_avro_generic_reader(string sample)
    {
        Sample s = Samples.All[sample];

        object back = GenericAvro.Read(s.Type, s.ToAvroBody());

        Assert.Equivalent(s.Value, back, strict: true);
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Our_avro_body_is_byte_identical_to_the_apache_avro_generic_writer(string sample)
    {
        Sample s = Samples.All[sample];

        Assert.Equal(GenericAvro.Write(s.Value), s.ToAvroBody());
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Serializing_the_same_record_twice_gives_identical_bytes(string sample)
    {
        Sample s = Samples.All[sample];

        Assert.Equal(s.ToJson(), s.ToJson());
        Assert.Equal(s.ToSingleObject(), s.ToSingleObject());
    }
}
