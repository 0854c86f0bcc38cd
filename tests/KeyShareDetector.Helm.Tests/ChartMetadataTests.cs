using System.Text.RegularExpressions;
using KeyShareDetector.Helm.Tests.Lint;
using YamlDotNet.RepresentationModel;

namespace KeyShareDetector.Helm.Tests;

public sealed partial class ChartMetadataTests(ChartFixture fixture) : IClassFixture<ChartFixture>
{
    private YamlMappingNode ChartYaml()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(fixture.Chart.ChartYaml));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    [Fact]
    public void Chart_yaml_is_a_v2_application_chart_named_after_its_directory()
    {
        var chart = ChartYaml();
        Assert.Equal("v2", chart.Text("apiVersion"));
        Assert.Equal("application", chart.Text("type"));
        Assert.Equal(Path.GetFileName(fixture.Directory), chart.Text("name"));
        Assert.False(string.IsNullOrWhiteSpace(chart.Text("description")));
    }

    [Fact]
    public void Chart_versions_are_semver_and_kube_version_allows_policy_v1()
    {
        var chart = ChartYaml();
        Assert.Matches(SemVer(), chart.Text("version")!);
        Assert.Matches(SemVer(), chart.Text("appVersion")!);
        Assert.Equal(">=1.25.0-0", chart.Text("kubeVersion"));
    }

    [Fact]
    public void Values_yaml_parses_and_every_key_is_documented()
    {
        var undocumented = fixture.Values.Entries.Where(e => !fixture.Values.IsDocumented(e.Path)).Select(e => $"{e.Path} (line {e.Line})");
        Assert.Empty(undocumented);
        Assert.True(fixture.Values.Entries.Count > 50);
    }

    [Fact]
    public void Default_values_respect_the_chart_rules()
    {
        var v = fixture.Values;
        int Int(string path) => int.Parse(v.Scalar(path)!, System.Globalization.CultureInfo.InvariantCulture);
        var partitions = Int("detector.inputPartitions");
        Assert.InRange(Int("replicaCount"), 1, partitions);
        Assert.InRange(Int("autoscaling.keda.maxReplicaCount"), Int("autoscaling.keda.minReplicaCount"), partitions);
        Assert.True(Int("terminationGracePeriodSeconds") > 30);
        var limit = v.Scalar("resources.limits.memory")!;
        var limitMi = limit.EndsWith("Gi", StringComparison.Ordinal) ? int.Parse(limit[..^2], System.Globalization.CultureInfo.InvariantCulture) * 1024 : int.Parse(limit[..^2], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Int("detector.rocksDbMemoryMb") + 256 <= limitMi, "RocksDB bound + heap headroom must fit the memory limit");
        Assert.Equal("true", v.Scalar("securityContext.readOnlyRootFilesystem"));
        Assert.Equal("true", v.Scalar("podSecurityContext.runAsNonRoot"));
        Assert.Equal("false", v.Scalar("securityContext.allowPrivilegeEscalation"));
        Assert.Equal("/var/lib/keyshare", v.Scalar("detector.stateDir"));
        Assert.Equal("9464", v.Scalar("management.port"));
    }

    [Fact]
    public void No_secret_has_an_inline_default()
    {
        foreach (var path in new[] { "kafka.sasl.password", "kafka.ssl.keyPassword", "signing.secret" })
            Assert.Equal("", fixture.Values.Scalar(path));
    }

    [GeneratedRegex(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")]
    private static partial Regex SemVer();
}
