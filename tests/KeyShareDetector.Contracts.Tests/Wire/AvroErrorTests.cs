using System.Buffers.Binary;
using KeyShareDetector.Contracts.Tests.TestSupport;
using KeyShareDetector.Contracts.Wire;

namespace KeyShareDetector.Contracts.Tests.Wire;

public sealed class AvroErrorTests
{
    public static TheoryData<string> SampleNames => Samples.Names;

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Every_truncation_of_an_avro_record_is_a_parse_error(string sample)
    {
        Sample s = Samples.All[sample];
        byte[] full = s.ToSingleObject();

        for (int length = 2; length < full.Length; length++)
        {
            byte[] truncated = full[..length];
            var ex = Assert.Throws<ContractException>(() => s.FromAnyFormat(truncated));
            Assert.Equal(ContractErrorCodes.ParseError, ex.Code);
        }
    }

    [Fact]
    public void A_truncated_record_names_the_field_it_ended_in()
    {
        // The record ends with "/api/v3/account" and five null unions (one byte each): cut into the string.
        byte[] full = ContractCodecs.Access.SerializeAvro(Samples.AccessMinimal);

        var ex = Assert.Throws<ContractException>(() => ContractCodecs.Access.Deserialize(full[..^8]));

        Assert.Equal("access event: Avro data ends inside field 'endpoint' (truncated record?)", ex.Message);
    }

    [Fact]
    public void Bytes_after_the_end_of_the_record_are_a_parse_error()
    {
        byte[] data = [.. ContractCodecs.Lifecycle.SerializeAvro(Samples.LifecycleMinimal), 0x00];

        var ex = Assert.Throws<ContractException>(() => ContractCodecs.Lifecycle.Deserialize(data));

        Assert.Equal(ContractErrorCodes.ParseError, ex.Code);
        Assert.Contains("1 unexpected byte", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_single_object_fingerprint_is_an_unknown_schema()
    {
        byte[] data = ContractCodecs.Lifecycle.SerializeAvro(Samples.LifecycleMinimal);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(2), 0x0123456789ABCDEF);

        var ex = Assert.Throws<ContractException>(() => ContractCodecs.Lifecycle.Deserialize(data));

        Assert.Equal(ContractErrorCodes.UnknownSchema, ex.Code);
        Assert.Contains("unknown Avro schema fingerprint 0x0123456789ABCDEF", ex.Message, StringComparison.Ordinal);
        Assert.Contains("keyshare.v1.KeyLifecycleEvent", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_of_another_contract_type_is_an_unknown_schema()
    {
        byte[] order = ContractCodecs.Order.SerializeAvro(Samples.OrderFull);

        Assert.Equal(ContractErrorCodes.UnknownSchema, Assert.Throws<ContractException>(() => ContractCodecs.Access.Deserialize(order)).Code);
    }

    /// <summary>
    /// Regression (a property test's corruption, CI): an array block count of long.MinValue, whose negation overflows,
    /// escaped as an OverflowException instead of a parse error.
    /// </summary>
    [Fact]
    public void An_array_block_count_of_the_smallest_long_is_a_parse_error()
    {
        // KeyRegistryRecord body: two one-character strings (length 1 = 0x02), then the allowed CIDRs' block count.
        byte[] body = AvroWireFormat<KeyRegistryRecord>.SerializeBody(new KeyRegistryRecord
        {
            ApiKeyId = "k", AccountId = "a", AllowedCidrs = ["10.0.0.0/8"], Permissions = [Permission.READ], Status = KeyStatus.ACTIVE, CreatedAt = 1,
        });
        Assert.Equal([0x02, (byte)'k', 0x02, (byte)'a', 0x02], body[..5]);
        // zigzag(long.MinValue) = 2^64 - 1: nine 0xFF bytes and a final 0x01.
        byte[] corrupt = [.. body[..4], 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, .. body[5..]];

        var ex = Assert.Throws<ContractException>(() => AvroWireFormat<KeyRegistryRecord>.DeserializeBody(corrupt));

        Assert.Equal(ContractErrorCodes.ParseError, ex.Code);
        Assert.Contains("allowed_cidrs", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_enum_index_outside_the_symbols_is_an_unknown_enum()
    {
        // KeyLifecycleEvent body: four strings and a long, then the enum "kind".
        byte[] body = AvroWireFormat<KeyLifecycleEvent>.SerializeBody(Samples.LifecycleMinimal);
        int kindAt = body.Length - 2;
        Assert.Equal((byte)(2 * (int)LifecycleKind.ALLOWLIST_CHANGED), body[kindAt]);
        body[kindAt] = 2 * 9;

        var ex = Assert.Throws<ContractException>(() => AvroWireFormat<KeyLifecycleEvent>.DeserializeBody(body));

        Assert.Equal(ContractErrorCodes.UnknownEnum, ex.Code);
        Assert.Contains("'kind'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_union_branch_other_than_null_or_value_is_a_parse_error()
    {
        byte[] body = AvroWireFormat<KeyLifecycleEvent>.SerializeBody(Samples.LifecycleMinimal);
        body[^1] = 2 * 2; // branch 2 of ["null", "string"]

        Assert.Equal(ContractErrorCodes.ParseError, Assert.Throws<ContractException>(() => AvroWireFormat<KeyLifecycleEvent>.DeserializeBody(body)).Code);
    }

    [Fact]
    public void Invalid_utf8_in_a_string_is_a_parse_error()
    {
        byte[] body = AvroWireFormat<KeyLifecycleEvent>.SerializeBody(Samples.LifecycleMinimal);
        body[1] = 0xFF; // first byte of event_id

        var ex = Assert.Throws<ContractException>(() => AvroWireFormat<KeyLifecycleEvent>.DeserializeBody(body));

        Assert.Equal(ContractErrorCodes.ParseError, ex.Code);
        Assert.Contains("not valid UTF-8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_huge_array_count_fails_without_allocating_it()
    {
        // KeyRegistryRecord: api_key_id "k", account_id "a", then allowed_cidrs claiming 2^40 items.
        byte[] body = [2, (byte)'k', 2, (byte)'a', 0x80, 0x80, 0x80, 0x80, 0x80, 0x40];

        Assert.Equal(ContractErrorCodes.ParseError, Assert.Throws<ContractException>(() => AvroWireFormat<KeyRegistryRecord>.DeserializeBody(body)).Code);
    }

    [Fact]
    public void A_varint_longer_than_ten_bytes_is_a_parse_error()
    {
        byte[] body = [2, (byte)'e', .. Enumerable.Repeat((byte)0xFF, 11), 0x01];

        Assert.Equal(ContractErrorCodes.ParseError, Assert.Throws<ContractException>(() => AvroWireFormat<KeyLifecycleEvent>.DeserializeBody(body)).Code);
    }

    [Fact]
    public void Arrays_written_in_several_blocks_with_byte_sizes_are_read()
    {
        // allowed_cidrs as two blocks: -1 item (with byte size 2) "a", then 1 item "b", then the terminator.
        byte[] body =
        [
            2, (byte)'k', 2, (byte)'a',
            1, 4, 2, (byte)'x', 2, 2, (byte)'y', 0,
            0, // permissions: empty
            0, // status ACTIVE
            2, // created_at 1
            0, // expires_at null
            0, // platform_id null
        ];

        KeyRegistryRecord k = AvroWireFormat<KeyRegistryRecord>.DeserializeBody(body);

        Assert.Equal(["x", "y"], k.AllowedCidrs);
    }

    [Fact]
    public void Writing_a_null_required_field_as_avro_is_an_invalid_value()
    {
        var ex = Assert.Throws<ContractException>(() => ContractCodecs.Alert.SerializeAvro(Samples.AlertMinimal with { Runbook = null! }));

        Assert.Equal(ContractErrorCodes.InvalidValue, ex.Code);
        Assert.Equal("alert: required field 'runbook' is null", ex.Message);
    }

    [Fact]
    public void Writing_an_undefined_enum_value_as_avro_is_an_invalid_value()
    {
        var ex = Assert.Throws<ContractException>(() => ContractCodecs.Alert.SerializeAvro(Samples.AlertMinimal with { Severity = (AlertSeverity)(-1) }));

        Assert.Equal(ContractErrorCodes.InvalidValue, ex.Code);
    }

    [Fact]
    public void Nan_and_infinity_survive_avro_which_can_carry_them()
    {
        OrderEvent odd = Samples.OrderFull with { Price = double.NaN, BestBid = double.PositiveInfinity };

        OrderEvent back = ContractCodecs.Order.Deserialize(ContractCodecs.Order.SerializeAvro(odd));

        Assert.True(double.IsNaN(back.Price));
        Assert.Equal(double.PositiveInfinity, back.BestBid);
    }
}
