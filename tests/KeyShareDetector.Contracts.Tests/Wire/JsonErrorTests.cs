using System.Text;
using KeyShareDetector.Contracts.Tests.TestSupport;
using KeyShareDetector.Contracts.Wire;

namespace KeyShareDetector.Contracts.Tests.Wire;

public sealed class JsonErrorTests
{
    private static ContractException ReadAccess(string json) =>
        Assert.Throws<ContractException>(() => ContractCodecs.Access.Deserialize(Encoding.UTF8.GetBytes(json)));

    private const string ValidAccess =
        """{"event_id":"e1","ts":1,"api_key_id":"k1","account_id":"a1","ip":"192.0.2.1","user_agent":"ua","endpoint":"/x"}""";

    [Fact]
    public void The_valid_access_event_used_by_these_tests_is_valid()
    {
        Assert.Equal("k1", ContractCodecs.Access.Deserialize(Encoding.UTF8.GetBytes(ValidAccess)).ApiKeyId);
    }

    [Fact]
    public void Malformed_json_is_a_parse_error()
    {
        ContractException ex = ReadAccess("""{"event_id":"e1","ts":1,""");

        Assert.Equal(ContractErrorCodes.ParseError, ex.Code);
        Assert.StartsWith("access event: malformed JSON", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_after_the_object_is_a_parse_error()
    {
        Assert.Equal(ContractErrorCodes.ParseError, ReadAccess(ValidAccess + " {}").Code);
    }

    [Fact]
    public void A_string_where_a_number_belongs_is_a_wrong_type_naming_the_field()
    {
        ContractException ex = ReadAccess(ValidAccess.Replace("\"ts\":1", "\"ts\":\"1\"", StringComparison.Ordinal));

        Assert.Equal(ContractErrorCodes.WrongType, ex.Code);
        Assert.Contains("'ts'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fractional_number_in_an_integer_field_is_a_wrong_type()
    {
        Assert.Equal(ContractErrorCodes.WrongType, ReadAccess(ValidAccess.Replace("\"ts\":1", "\"ts\":1.5", StringComparison.Ordinal)).Code);
    }

    [Fact]
    public void A_json_array_instead_of_an_object_is_a_wrong_type()
    {
        var ex = Assert.Throws<ContractException>(() => JsonWireFormat<AccessEvent>.Instance.Deserialize("[1,2]"u8));

        Assert.Equal(ContractErrorCodes.WrongType, ex.Code);
    }

    [Fact]
    public void The_json_literal_null_is_a_wrong_type()
    {
        Assert.Equal(ContractErrorCodes.WrongType, Assert.Throws<ContractException>(() => JsonWireFormat<Alert>.Instance.Deserialize("null"u8)).Code);
    }

    [Fact]
    public void A_missing_required_field_is_named_in_the_message()
    {
        ContractException ex = ReadAccess(ValidAccess.Replace("\"api_key_id\":\"k1\",", "", StringComparison.Ordinal));

        Assert.Equal(ContractErrorCodes.MissingField, ex.Code);
        Assert.Equal("access event: missing required field 'api_key_id'", ex.Message);
    }

    [Fact]
    public void A_missing_required_value_type_field_is_named_in_the_message()
    {
        ContractException ex = ReadAccess(ValidAccess.Replace("\"ts\":1,", "", StringComparison.Ordinal));

        Assert.Equal("access event: missing required field 'ts'", ex.Message);
    }

    [Fact]
    public void A_required_field_set_to_null_counts_as_missing()
    {
        ContractException ex = ReadAccess(ValidAccess.Replace("\"ip\":\"192.0.2.1\"", "\"ip\":null", StringComparison.Ordinal));

        Assert.Equal(ContractErrorCodes.MissingField, ex.Code);
        Assert.Equal("access event: required field 'ip' is null", ex.Message);
    }

    [Fact]
    public void A_missing_field_inside_a_nested_record_is_named_with_its_path()
    {
        string json = Encoding.UTF8.GetString(ContractCodecs.Command.SerializeJson(Samples.CommandFull))
            .Replace("\"summary\":\"First use from this network.\",", "", StringComparison.Ordinal);

        var ex = Assert.Throws<ContractException>(() => ContractCodecs.Command.Deserialize(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(ContractErrorCodes.MissingField, ex.Code);
        Assert.Equal("enforcement command: missing required field 'reasons[1].summary'", ex.Message);
    }

    [Fact]
    public void An_unknown_enum_symbol_is_rejected_with_the_symbols_it_expected()
    {
        ContractException ex = ReadAccess(ValidAccess.Replace("}", ",\"permission\":\"ADMIN\"}", StringComparison.Ordinal));

        Assert.Equal(ContractErrorCodes.UnknownEnum, ex.Code);
        Assert.Equal("access event: field 'permission': unknown Permission value 'ADMIN' (expected one of READ, TRADE, WITHDRAW)", ex.Message);
    }

    [Fact]
    public void An_unknown_enum_symbol_inside_a_list_is_rejected()
    {
        var ex = Assert.Throws<ContractException>(() => ContractCodecs.Registry.Deserialize(
            """{"api_key_id":"k","account_id":"a","created_at":5,"permissions":["READ","FUTURES"]}"""u8));

        Assert.Equal(ContractErrorCodes.UnknownEnum, ex.Code);
        Assert.Contains("permissions[1]", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"buy\"")]
    [InlineData("\"0\"")]
    [InlineData("\"BUY, SELL\"")]
    [InlineData("\" BUY\"")]
    public void Enum_symbols_are_exact_and_case_sensitive(string side)
    {
        string json = $$"""{"event_id":"e","ts":1,"api_key_id":"k","account_id":"a","order_id":"o","symbol":"s","side":{{side}},"event_type":"PLACE","price":1,"quantity":1}""";

        var ex = Assert.Throws<ContractException>(() => ContractCodecs.Order.Deserialize(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(ContractErrorCodes.UnknownEnum, ex.Code);
    }

    [Fact]
    public void An_enum_given_as_a_number_is_a_wrong_type()
    {
        string json = """{"event_id":"e","ts":1,"api_key_id":"k","account_id":"a","order_id":"o","symbol":"s","side":0,"event_type":"PLACE","price":1,"quantity":1}""";

        var ex = Assert.Throws<ContractException>(() => ContractCodecs.Order.Deserialize(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(ContractErrorCodes.WrongType, ex.Code);
        Assert.Contains("'side'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duplicate_field_is_a_parse_error_naming_it()
    {
        ContractException ex = ReadAccess(ValidAccess.Replace("}", ",\"api_key_id\":\"k2\"}", StringComparison.Ordinal));

        Assert.Equal(ContractErrorCodes.ParseError, ex.Code);
        Assert.Contains("duplicate field 'api_key_id'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_null_list_is_a_wrong_type()
    {
        var ex = Assert.Throws<ContractException>(() => ContractCodecs.Registry.Deserialize(
            """{"api_key_id":"k","account_id":"a","created_at":5,"allowed_cidrs":null}"""u8));

        Assert.Equal(ContractErrorCodes.WrongType, ex.Code);
        Assert.Contains("'allowed_cidrs'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_null_item_in_a_list_is_a_wrong_type_naming_its_index()
    {
        var ex = Assert.Throws<ContractException>(() => ContractCodecs.Registry.Deserialize(
            """{"api_key_id":"k","account_id":"a","created_at":5,"allowed_cidrs":["10.0.0.0/8",null]}"""u8));

        Assert.Equal(ContractErrorCodes.WrongType, ex.Code);
        Assert.Equal("key registry record: field 'allowed_cidrs[1]' must not be null", ex.Message);
    }

    [Fact]
    public void A_null_item_in_a_nested_list_is_a_wrong_type_naming_its_path()
    {
        var ex = Assert.Throws<ContractException>(() => ContractCodecs.Command.Deserialize(Encoding.UTF8.GetBytes(
            Encoding.UTF8.GetString(ContractCodecs.Command.SerializeJson(Samples.CommandFull))
                .Replace("\"subjects\":[]", "\"subjects\":[null]", StringComparison.Ordinal))));

        Assert.Equal("enforcement command: field 'reasons[1].subjects[0]' must not be null", ex.Message);
    }

    [Fact]
    public void Writing_a_record_with_a_null_required_field_is_an_invalid_value()
    {
        AccessEvent broken = Samples.AccessMinimal with { ApiKeyId = null! };

        Assert.Equal(ContractErrorCodes.InvalidValue, Assert.Throws<ContractException>(() => ContractCodecs.Access.SerializeJson(broken)).Code);
    }

    [Fact]
    public void Writing_an_undefined_enum_value_is_an_invalid_value()
    {
        OrderEvent broken = Samples.OrderMinimal with { Side = (OrderSide)7 };

        var ex = Assert.Throws<ContractException>(() => ContractCodecs.Order.SerializeJson(broken));

        Assert.Equal(ContractErrorCodes.InvalidValue, ex.Code);
        Assert.StartsWith("order event: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Writing_nan_as_json_is_an_invalid_value()
    {
        EnforcementCommand broken = Samples.CommandMinimal with { RiskScore = double.NaN };

        Assert.Equal(ContractErrorCodes.InvalidValue, Assert.Throws<ContractException>(() => ContractCodecs.Command.SerializeJson(broken)).Code);
    }

    [Fact]
    public void Writing_a_null_item_in_a_nested_list_is_an_invalid_value_naming_its_path()
    {
        EnforcementCommand broken = Samples.CommandFull with { Reasons = [Samples.CommandFull.Reasons[0] with { Subjects = ["a", null!] }] };

        var ex = Assert.Throws<ContractException>(() => ContractCodecs.Command.SerializeJson(broken));

        Assert.Equal("enforcement command: required field 'reasons[0].subjects[1]' is null", ex.Message);
    }

    [Fact]
    public void A_lone_surrogate_is_written_as_the_replacement_character_in_both_formats()
    {
        AccessEvent odd = Samples.AccessMinimal with { UserAgent = "bad \uD800 text" };

        Assert.Equal("bad \uFFFD text", ContractCodecs.Access.Deserialize(ContractCodecs.Access.SerializeJson(odd)).UserAgent);
        Assert.Equal("bad \uFFFD text", ContractCodecs.Access.Deserialize(ContractCodecs.Access.SerializeAvro(odd)).UserAgent);
    }

    [Fact]
    public void Invalid_utf8_in_a_field_name_is_a_parse_error()
    {
        // Found by the corruption property: the diagnosis itself threw InvalidOperationException.
        byte[] json = [.. "{\""u8, 0x80, .. "\":1}"u8];

        Assert.Equal(ContractErrorCodes.ParseError, Assert.Throws<ContractException>(() => ContractCodecs.Access.Deserialize(json)).Code);
    }
}
