using FsCheck.Xunit;
using KeyShareDetector.Contracts.Json;
using KeyShareDetector.Contracts.Tests.TestSupport;
using KeyShareDetector.Contracts.Wire;

namespace KeyShareDetector.Contracts.Tests.Wire;

/// <summary>The detector's snapshot writer against the generic JSON wire format, which stays the reference.</summary>
[Properties(Arbitrary = [typeof(ContractArbitraries)], MaxTest = 300)]
public sealed class FeatureSnapshotJsonTests
{
    [Property]
    public void Any_snapshot_is_written_byte_for_byte_as_the_generic_json_format_writes_it(FeatureSnapshot value) =>
        Assert.Equal(JsonWireFormat<FeatureSnapshot>.Instance.Serialize(value), FeatureSnapshotJson.Serialize(value));

    [Fact]
    public void The_samples_are_written_as_the_generic_json_format_writes_them()
    {
        foreach (var s in new[] { Samples.FeaturesFull, Samples.FeaturesMinimal })
        {
            Assert.Equal(JsonWireFormat<FeatureSnapshot>.Instance.Serialize(s), FeatureSnapshotJson.Serialize(s));
        }
    }

    [Fact]
    public void Text_needing_escapes_is_escaped_as_the_generic_format_escapes_it()
    {
        var s = Samples.FeaturesFull with { ApiKeyId = "k\"\\\n\t\u0001é€😀<>&'+", PolicyVersion = "v\ud800x" };
        Assert.Equal(JsonWireFormat<FeatureSnapshot>.Instance.Serialize(s), FeatureSnapshotJson.Serialize(s));
    }

    [Fact]
    public void A_forbidden_null_is_refused_with_the_generic_formats_message()
    {
        var broken = Samples.FeaturesFull with { Findings = [Samples.FeaturesFull.Findings[0] with { Subjects = ["a", null!] }] };
        var generic = Assert.Throws<ContractException>(() => JsonWireFormat<FeatureSnapshot>.Instance.Serialize(broken));
        var fast = Assert.Throws<ContractException>(() => FeatureSnapshotJson.Serialize(broken));
        Assert.Equal(generic.Message, fast.Message);
    }

    [Fact]
    public void A_score_json_cannot_hold_is_refused_as_the_generic_format_refuses_it()
    {
        var broken = Samples.FeaturesMinimal with { RiskScore = double.NaN };
        var generic = Assert.Throws<ContractException>(() => JsonWireFormat<FeatureSnapshot>.Instance.Serialize(broken));
        var fast = Assert.Throws<ContractException>(() => FeatureSnapshotJson.Serialize(broken));
        Assert.Equal(generic.Message, fast.Message);
    }
}
