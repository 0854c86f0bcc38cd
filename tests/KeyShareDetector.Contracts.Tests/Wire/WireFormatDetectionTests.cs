using KeyShareDetector.Contracts.Tests.TestSupport;
using KeyShareDetector.Contracts.Wire;

namespace KeyShareDetector.Contracts.Tests.Wire;

public sealed class WireFormatDetectionTests
{
    [Theory]
    [InlineData(new byte[] { (byte)'{' }, DetectedWireFormat.Json)]
    [InlineData(new byte[] { (byte)' ', (byte)'\r', (byte)'\n', (byte)'\t', (byte)'{' }, DetectedWireFormat.Json)]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, (byte)'{' }, DetectedWireFormat.Json)]
    [InlineData(new byte[] { 0xC3, 0x01 }, DetectedWireFormat.AvroSingleObject)]
    [InlineData(new byte[] { 0x00, 0, 0, 0, 1 }, DetectedWireFormat.SchemaRegistry)]
    [InlineData(new byte[] { }, DetectedWireFormat.Unknown)]
    [InlineData(new byte[] { (byte)' ' }, DetectedWireFormat.Unknown)]
    [InlineData(new byte[] { (byte)'[' }, DetectedWireFormat.Unknown)]
    [InlineData(new byte[] { 0xC3 }, DetectedWireFormat.Unknown)]
    [InlineData(new byte[] { 0xC3, 0x02 }, DetectedWireFormat.Unknown)]
    [InlineData(new byte[] { 0x4F, 0x62, 0x6A, 0x01 }, DetectedWireFormat.Unknown)]
    public void The_format_is_detected_from_the_first_bytes(byte[] data, DetectedWireFormat expected)
    {
        Assert.Equal(expected, WireFormats.Detect(data));
    }

    [Fact]
    public void One_codec_reads_json_and_avro_whatever_it_writes()
    {
        ContractCodec<Alert> writesAvro = WireFormats.Create<Alert>(WireFormatKind.Avro);

        Assert.Equal(0xC3, writesAvro.Serialize(Samples.AlertFull)[0]);
        Assert.Equivalent(Samples.AlertFull, writesAvro.Deserialize(ContractCodecs.Alert.SerializeJson(Samples.AlertFull)), strict: true);
        Assert.Equivalent(Samples.AlertFull, ContractCodecs.Alert.Deserialize(writesAvro.Serialize(Samples.AlertFull)), strict: true);
    }

    [Fact]
    public void The_default_codecs_write_json()
    {
        Assert.Equal(WireFormatKind.Json, ContractCodecs.Access.Format);
        Assert.Equal((byte)'{', ContractCodecs.DeadLetter.Serialize(Samples.DeadLetterFull)[0]);
    }

    [Fact]
    public void An_empty_record_is_an_unknown_format()
    {
        var ex = Assert.Throws<ContractException>(() => ContractCodecs.Access.Deserialize([]));

        Assert.Equal(ContractErrorCodes.UnknownFormat, ex.Code);
        Assert.Contains("empty record", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_that_is_not_a_json_object_is_an_unknown_format()
    {
        var ex = Assert.Throws<ContractException>(() => ContractCodecs.Access.Deserialize("hello"u8));

        Assert.Equal(ContractErrorCodes.UnknownFormat, ex.Code);
        Assert.Contains("0x68656C6C", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_avro_format_alone_rejects_json()
    {
        var ex = Assert.Throws<ContractException>(() => AvroWireFormat<Alert>.SingleObject.Deserialize(ContractCodecs.Alert.SerializeJson(Samples.AlertFull)));

        Assert.Equal(ContractErrorCodes.UnknownFormat, ex.Code);
    }

    [Fact]
    public void A_registry_framed_record_without_a_configured_registry_is_an_unknown_schema_id()
    {
        byte[] framed = AvroWireFormat<Alert>.SerializeSchemaRegistry(Samples.AlertFull, schemaId: 17);

        var ex = Assert.Throws<ContractException>(() => ContractCodecs.Alert.Deserialize(framed));

        Assert.Equal(ContractErrorCodes.UnknownSchema, ex.Code);
        Assert.Contains("unknown schema id 17", ex.Message, StringComparison.Ordinal);
    }
}
