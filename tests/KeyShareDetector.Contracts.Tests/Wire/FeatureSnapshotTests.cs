using System.Text;
using KeyShareDetector.Contracts.Tests.TestSupport;
using KeyShareDetector.Contracts.Wire;

namespace KeyShareDetector.Contracts.Tests.Wire;

/// <summary>What is specific to FeatureSnapshot; the generic round trips and interop run over it with the other types.</summary>
public sealed class FeatureSnapshotTests
{
    [Fact]
    public void Json_output_of_a_feature_snapshot_is_stable_and_readable()
    {
        byte[] json = ContractCodecs.Features.SerializeJson(Samples.FeaturesFull);

        Assert.Equal(
            """{"api_key_id":"key-42","account_id":"acct-7","ts":1700000000123,"window_start":1699999700000,"window_end":1700000000000,"policy_version":"policy-2024-05-01","state":"REAUTH_REQUIRED","risk_score":0.83,"metrics":[{"name":"distinct_ips","value":17},{"name":"distinct_countries","value":4},{"name":"max_speed_kmh","value":135000.5}],"findings":[{"code":"IMPOSSIBLE_TRAVEL","summary":"Two countries 9000 km apart within 4 minutes.","metrics":[{"name":"speed_kmh","value":135000}],"subjects":["203.0.113.9","2001:db8::1","AS64500"]},{"code":"CONCURRENT_SESSIONS","summary":"5 sessions at once \"from\" é 中 \uD83D\uDE00.","metrics":[],"subjects":[]}],"late_records":3,"caps_exceeded":["distinct_ips","sessions"]}""",
            Encoding.UTF8.GetString(json));
    }

    [Fact]
    public void Fields_with_defaults_may_be_left_out_of_json()
    {
        FeatureSnapshot f = ContractCodecs.Features.Deserialize(
            """{"api_key_id":"k","account_id":"a","ts":1,"window_start":0,"window_end":1,"policy_version":"v1","state":"MONITORED","risk_score":0.5}"""u8);

        Assert.Equal(KeyState.MONITORED, f.State);
        Assert.Empty(f.Metrics);
        Assert.Empty(f.Findings);
        Assert.Equal(0, f.LateRecords);
        Assert.Empty(f.CapsExceeded);
    }

    [Fact]
    public void A_missing_required_field_names_the_record_type()
    {
        var ex = Assert.Throws<ContractException>(() => ContractCodecs.Features.Deserialize(
            """{"api_key_id":"k","account_id":"a","ts":1,"window_start":0,"window_end":1,"policy_version":"v1","risk_score":0.5}"""u8));

        Assert.Equal(ContractErrorCodes.MissingField, ex.Code);
        Assert.Equal("feature snapshot: missing required field 'state'", ex.Message);
    }

    [Fact]
    public void A_missing_field_inside_a_finding_is_named_with_its_path()
    {
        string json = Encoding.UTF8.GetString(ContractCodecs.Features.SerializeJson(Samples.FeaturesFull))
            .Replace("\"code\":\"CONCURRENT_SESSIONS\",", "", StringComparison.Ordinal);

        var ex = Assert.Throws<ContractException>(() => ContractCodecs.Features.Deserialize(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(ContractErrorCodes.MissingField, ex.Code);
        Assert.Equal("feature snapshot: missing required field 'findings[1].code'", ex.Message);
    }

    [Theory]
    [InlineData("\"subjects\":[]", "\"subjects\":[null]", "findings[1].subjects[0]")]
    [InlineData("\"metrics\":[]", "\"metrics\":[null]", "findings[1].metrics[0]")]
    [InlineData("\"caps_exceeded\":[\"distinct_ips\",", "\"caps_exceeded\":[null,", "caps_exceeded[0]")]
    [InlineData("\"metrics\":[{\"name\":\"distinct_ips\"", "\"metrics\":[null,{\"name\":\"distinct_ips\"", "metrics[0]")]
    [InlineData("\"findings\":[", "\"findings\":[null,", "findings[0]")]
    public void A_null_item_in_a_list_read_from_json_is_a_wrong_type_naming_its_path(string find, string replace, string path)
    {
        string json = Encoding.UTF8.GetString(ContractCodecs.Features.SerializeJson(Samples.FeaturesFull));
        Assert.Contains(find, json, StringComparison.Ordinal);

        var ex = Assert.Throws<ContractException>(() =>
            ContractCodecs.Features.Deserialize(Encoding.UTF8.GetBytes(json.Replace(find, replace, StringComparison.Ordinal))));

        Assert.Equal(ContractErrorCodes.WrongType, ex.Code);
        Assert.Equal($"feature snapshot: field '{path}' must not be null", ex.Message);
    }

    [Fact]
    public void Writing_a_null_item_in_a_finding_is_an_invalid_value_naming_its_path_in_both_formats()
    {
        FeatureSnapshot broken = Samples.FeaturesFull with { Findings = [Samples.FeaturesFull.Findings[0] with { Subjects = ["a", null!] }] };

        var json = Assert.Throws<ContractException>(() => ContractCodecs.Features.SerializeJson(broken));
        var avro = Assert.Throws<ContractException>(() => ContractCodecs.Features.SerializeAvro(broken));

        Assert.Equal(ContractErrorCodes.InvalidValue, json.Code);
        Assert.Equal("feature snapshot: required field 'findings[0].subjects[1]' is null", json.Message);
        Assert.Equal(ContractErrorCodes.InvalidValue, avro.Code);
        Assert.Equal("feature snapshot: required field 'findings.subjects' is null", avro.Message);
    }

    [Fact]
    public void Writing_a_null_finding_or_cap_as_avro_names_the_list()
    {
        var finding = Assert.Throws<ContractException>(() => ContractCodecs.Features.SerializeAvro(Samples.FeaturesMinimal with { Findings = [null!] }));
        var cap = Assert.Throws<ContractException>(() => ContractCodecs.Features.SerializeAvro(Samples.FeaturesMinimal with { CapsExceeded = ["x", null!] }));

        Assert.Equal("feature snapshot: required field 'findings[]' is null", finding.Message);
        Assert.Equal("feature snapshot: required field 'caps_exceeded' is null", cap.Message);
    }

    [Fact]
    public void Command_reasons_keep_their_own_names_in_avro_errors()
    {
        EnforcementCommand broken = Samples.CommandFull with { Reasons = [Samples.CommandFull.Reasons[0] with { Code = null! }] };

        var ex = Assert.Throws<ContractException>(() => ContractCodecs.Command.SerializeAvro(broken));

        Assert.Equal("enforcement command: required field 'reasons.code' is null", ex.Message);
    }

    [Fact]
    public void Writing_an_undefined_state_is_an_invalid_value_in_both_formats()
    {
        FeatureSnapshot broken = Samples.FeaturesMinimal with { State = (KeyState)9 };

        Assert.Equal(ContractErrorCodes.InvalidValue, Assert.Throws<ContractException>(() => ContractCodecs.Features.SerializeJson(broken)).Code);
        Assert.Equal(ContractErrorCodes.InvalidValue, Assert.Throws<ContractException>(() => ContractCodecs.Features.SerializeAvro(broken)).Code);
    }

    [Fact]
    public async Task Feature_snapshots_register_under_the_features_topic_value_subject()
    {
        using var registry = new FakeSchemaRegistryClient();
        var options = new WireFormatOptions { Format = WireFormatKind.Avro, SchemaRegistry = registry };

        ContractCodec<FeatureSnapshot> codec = await WireFormats.CreateAsync<FeatureSnapshot>(options, Topics.Features);
        byte[] framed = codec.Serialize(Samples.FeaturesFull);

        Assert.Equal("keyshare.features.v1", Topics.Features);
        Assert.Contains("keyshare.features.v1-value", await registry.GetAllSubjectsAsync());
        Assert.Equal(AvroWireFormat<FeatureSnapshot>.SerializeBody(Samples.FeaturesFull), framed[5..]);
        Assert.Equivalent(Samples.FeaturesFull, ContractCodecs.Features.Deserialize(ContractCodecs.Features.SerializeAvro(Samples.FeaturesFull)), strict: true);
    }
}
