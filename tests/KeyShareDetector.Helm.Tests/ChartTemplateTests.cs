using System.Text.RegularExpressions;
using KeyShareDetector.Helm.Tests.Lint;
using YamlDotNet.RepresentationModel;

namespace KeyShareDetector.Helm.Tests;

public sealed class ChartTemplateTests(ChartFixture fixture) : IClassFixture<ChartFixture>
{
    public static TheoryData<string> Templates() =>
        new(ChartSource.Load(ChartSource.RepositoryChartDirectory()).Templates.Keys.Order(StringComparer.Ordinal));

    public static TheoryData<string> Manifests() =>
        new(ChartFixture.ManifestTemplates(ChartSource.Load(ChartSource.RepositoryChartDirectory())));

    [Fact]
    public void Every_value_a_template_reads_exists_in_values_yaml_and_is_documented_and_every_value_is_read()
    {
        var findings = ChartLinter.Lint(fixture.Chart);
        Assert.True(findings.Count == 0, string.Join(Environment.NewLine, findings));
    }

    [Fact]
    public void The_scanner_sees_the_values_the_chart_reads_through_with_blocks_and_pipelines()
    {
        var refs = fixture.Chart.Templates
            .SelectMany(t => TemplateScanner.Scan(t.Key, t.Value).References).Select(r => r.Path).ToHashSet();
        Assert.Contains("kafka.ssl.caKey", refs);                    // with .Values.kafka.ssl {{ .caKey }}
        Assert.Contains("metrics.serviceMonitor.interval", refs);   // with .Values.metrics.serviceMonitor
        Assert.Contains("image.tag", refs);                          // .Values.image.tag | default .Chart.AppVersion
        Assert.Contains("resources", refs);                          // toYaml .Values.resources
        Assert.Contains("detector.rocksDbMemoryMb", refs);
        Assert.True(refs.Count > 60, $"only {refs.Count} value paths found");
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Template_is_balanced(string template)
    {
        var scan = TemplateScanner.Scan(template, fixture.Chart.Templates[template]);
        Assert.Empty(scan.Problems);
        Assert.NotEmpty(scan.Actions);
    }

    [Theory]
    [MemberData(nameof(Manifests))]
    public void Template_is_yaml_with_kind_and_api_version_once_actions_are_taken_out(string template)
    {
        var skeleton = fixture.Skeleton(template);
        Assert.NotEmpty(skeleton.Documents);
        foreach (var doc in skeleton.Documents)
        {
            Assert.False(string.IsNullOrEmpty(doc.Text("apiVersion")), template);
            Assert.False(string.IsNullOrEmpty(doc.Text("kind")), template);
            Assert.NotNull(doc.Get("metadata", "name"));
        }
    }

    [Fact]
    public void Pdb_allows_exactly_one_unavailable_instance()
    {
        var pdb = Assert.Single(fixture.Skeleton("pdb.yaml").Documents);
        Assert.Equal("policy/v1", pdb.Text("apiVersion"));
        Assert.Equal("PodDisruptionBudget", pdb.Text("kind"));
        Assert.Equal("1", pdb.Text("spec", "maxUnavailable"));
        Assert.Null(pdb.Get("spec", "minAvailable"));
        Assert.DoesNotContain("maxUnavailable: {{", fixture.Chart.Templates["pdb.yaml"], StringComparison.Ordinal);
    }

    private (TemplateSkeleton Skeleton, YamlMappingNode Set, YamlNode Container) StatefulSet()
    {
        var skeleton = fixture.Skeleton("statefulset.yaml");
        var set = Assert.Single(skeleton.Documents);
        Assert.Equal("StatefulSet", set.Text("kind"));
        var container = Assert.Single(set.Items("spec", "template", "spec", "containers"));
        Assert.Equal("keyshare", container.Text("name"));
        return (skeleton, set, container);
    }

    [Theory]
    [InlineData("startupProbe", "/healthz")]
    [InlineData("livenessProbe", "/healthz")]
    [InlineData("readinessProbe", "/readyz")]
    public void Probes_hit_health_endpoints_on_the_management_port(string probe, string path)
    {
        var (skeleton, _, container) = StatefulSet();
        Assert.Equal(path, container.Text(probe, "httpGet", "path"));
        Assert.Equal("management", container.Text(probe, "httpGet", "port"));
        var port = Assert.Single(container.Items("ports"), p => p.Text("name") == "management");
        Assert.Equal(".Values.management.port", skeleton.ActionOf(port.Get("containerPort")!));
    }

    [Fact]
    public void State_dir_is_a_persistent_volume_claim_and_tmp_is_writable()
    {
        var (skeleton, set, container) = StatefulSet();
        var claim = Assert.Single(set.Items("spec", "volumeClaimTemplates"));
        Assert.Equal("state", claim.Text("metadata", "name"));
        Assert.Equal(".Values.persistence.size", skeleton.ActionOf(claim.Get("spec", "resources", "requests", "storage")!));
        var mounts = container.Items("volumeMounts").ToList();
        var state = Assert.Single(mounts, m => m.Text("name") == "state");
        Assert.Equal(".Values.detector.stateDir", skeleton.ActionOf(state.Get("mountPath")!));
        Assert.Single(mounts, m => m.Text("name") == "tmp" && m.Text("mountPath") == "/tmp");
        var signing = Assert.Single(mounts, m => m.Text("name") == "signing");
        Assert.Equal("true", signing.Text("readOnly"));
        Assert.Contains("toYaml .Values.securityContext", fixture.Chart.Templates["statefulset.yaml"], StringComparison.Ordinal);
        Assert.Contains("toYaml .Values.podSecurityContext", fixture.Chart.Templates["statefulset.yaml"], StringComparison.Ordinal);
    }

    [Fact]
    public void Grace_period_resources_and_settings_are_wired()
    {
        var (skeleton, set, container) = StatefulSet();
        Assert.Equal(".Values.terminationGracePeriodSeconds", skeleton.ActionOf(set.Get("spec", "template", "spec", "terminationGracePeriodSeconds")!));
        Assert.Contains("toYaml .Values.resources", fixture.Chart.Templates["statefulset.yaml"], StringComparison.Ordinal);
        var envFrom = Assert.Single(container.Items("envFrom"));
        Assert.NotNull(envFrom.Get("configMapRef", "name"));

        var settings = fixture.Skeleton("configmap.yaml");
        var data = settings.Documents[0].Get("data")!;
        Assert.Equal(".Values.detector.rocksDbMemoryMb | quote", settings.ActionOf(data.Get("KEYSHARE__Detector__RocksDbMemoryMb")!));
        Assert.Equal(".Values.detector.stateDir | quote", settings.ActionOf(data.Get("KEYSHARE__Detector__StateDir")!));
        Assert.Equal(".Values.detector.fleetPartitions | quote", settings.ActionOf(data.Get("KEYSHARE__Detector__FleetPartitions")!));
        Assert.Equal(".Values.detector.keyStateFormat | quote", settings.ActionOf(data.Get("KEYSHARE__Detector__KeyStateFormat")!));
        Assert.Contains("has (toString .Values.detector.keyStateFormat) (list \"8\" \"9\")", fixture.Chart.Templates["_helpers.tpl"], StringComparison.Ordinal);
        Assert.Equal(".Values.detector.mallocArenaMax | quote", settings.ActionOf(data.Get("MALLOC_ARENA_MAX")!));
        // The runtime reads it from the environment only (no runtimeconfig property): the config map is where it can be set.
        Assert.Equal(".Values.detector.tieredCallCountingDelayMs | quote", settings.ActionOf(data.Get("DOTNET_TC_CallCountingDelayMs")!));
        Assert.Contains("regexMatch \"^[0-9]+$\" (toString .Values.detector.tieredCallCountingDelayMs)", fixture.Chart.Templates["_helpers.tpl"], StringComparison.Ordinal);
        Assert.Equal(".Values.management.port | quote", settings.ActionOf(data.Get("KEYSHARE__Management__Port")!));
        Assert.Equal("/etc/keyshare/signing/secret", data.Text("KEYSHARE__Signing__SecretFile"));
        // The validation helper bounds RocksDB by the container memory limit.
        Assert.Matches(new Regex(@"gt \(add \(int \.Values\.detector\.rocksDbMemoryMb\) 256\) \$limitMi\)"), fixture.Chart.Templates["_helpers.tpl"]);
    }

    [Fact]
    public void Secrets_reach_the_pod_from_secrets_never_from_the_settings_config_map()
    {
        var (_, _, container) = StatefulSet();
        var env = container.Items("env").ToList();
        foreach (var name in new[] { "KEYSHARE__Kafka__SaslPassword", "KEYSHARE__Kafka__SslKeyPassword" })
        {
            var entry = Assert.Single(env, e => e.Text("name") == name);
            Assert.NotNull(entry.Get("valueFrom", "secretKeyRef", "name"));
            Assert.Null(entry.Get("value"));
        }
        var configMapReads = TemplateScanner.Scan("configmap.yaml", fixture.Chart.Templates["configmap.yaml"]).References.Select(r => r.Path);
        Assert.DoesNotContain(configMapReads, p => p is "kafka.sasl.password" or "kafka.ssl.keyPassword" or "signing.secret");
        var secret = Assert.Single(fixture.Skeleton("secret.yaml").Documents);
        Assert.Equal("Secret", secret.Text("kind"));
    }

    [Fact]
    public void Services_expose_the_management_port_and_the_statefulset_is_governed_by_the_headless_one()
    {
        var services = fixture.Skeleton("service.yaml").Documents;
        Assert.Equal(2, services.Count);
        Assert.Equal("None", services[0].Text("spec", "clusterIP"));
        foreach (var s in services)
        {
            var port = Assert.Single(s.Items("spec", "ports"));
            Assert.Equal("management", port.Text("targetPort"));
        }
        var (_, set, _) = StatefulSet();
        Assert.EndsWith("-headless", set.Text("spec", "serviceName"), StringComparison.Ordinal);
    }

    [Fact]
    public void Service_monitor_is_optional_and_scrapes_metrics_on_the_management_port()
    {
        var text = fixture.Chart.Templates["servicemonitor.yaml"];
        Assert.StartsWith("{{- if .Values.metrics.serviceMonitor.enabled }}", text, StringComparison.Ordinal);
        var monitor = Assert.Single(fixture.Skeleton("servicemonitor.yaml").Documents);
        var endpoint = Assert.Single(monitor.Items("spec", "endpoints"));
        Assert.Equal("management", endpoint.Text("port"));
        Assert.Equal("/metrics", endpoint.Text("path"));
    }

    [Fact]
    public void Keda_scaled_object_is_optional_targets_the_statefulset_and_scales_on_the_application_consumer_group()
    {
        var text = fixture.Chart.Templates["scaledobject.yaml"];
        Assert.StartsWith("{{- if .Values.autoscaling.keda.enabled }}", text, StringComparison.Ordinal);
        var skeleton = fixture.Skeleton("scaledobject.yaml");
        var scaled = skeleton.Documents.Single(d => d.Text("kind") == "ScaledObject");
        Assert.Equal("StatefulSet", scaled.Text("spec", "scaleTargetRef", "kind"));
        Assert.Equal(".Values.autoscaling.keda.maxReplicaCount", skeleton.ActionOf(scaled.Get("spec", "maxReplicaCount")!));
        var trigger = Assert.Single(scaled.Items("spec", "triggers"));
        Assert.Equal("kafka", trigger.Text("type"));
        Assert.Equal(".Values.detector.applicationId | quote", skeleton.ActionOf(trigger.Get("metadata", "consumerGroup")!));
        Assert.Equal("false", trigger.Text("metadata", "allowIdleConsumers"));
        // The statefulset leaves the replica count to KEDA when it is on.
        Assert.Contains("{{- if not .Values.autoscaling.keda.enabled }}\n  replicas: {{ .Values.replicaCount }}",
            fixture.Chart.Templates["statefulset.yaml"].Replace("\r\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Keda_template_fails_before_rendering_when_max_replicas_exceed_partitions()
    {
        var guard = PartitionGuard.Find(fixture.Chart.Templates["scaledobject.yaml"]);
        Assert.NotNull(guard);
        var firstManifestLine = fixture.Chart.Templates["scaledobject.yaml"].IndexOf("apiVersion:", StringComparison.Ordinal);
        Assert.True(guard.Position < firstManifestLine, "the guard must come before any output");
        Assert.Equal("autoscaling.keda.maxReplicaCount", guard.Left);
        Assert.Equal("detector.inputPartitions", guard.Right);
    }

    [Theory]
    [InlineData(4, 4, false)]
    [InlineData(1, 4, false)]
    [InlineData(5, 4, true)]
    [InlineData(13, 12, true)]
    public void Partition_guard_condition_fails_exactly_when_replicas_would_outnumber_partitions(int maxReplicas, int partitions, bool fails)
    {
        var guard = PartitionGuard.Find(fixture.Chart.Templates["scaledobject.yaml"])!;
        var values = new Dictionary<string, int> { ["autoscaling.keda.maxReplicaCount"] = maxReplicas, ["detector.inputPartitions"] = partitions };
        Assert.Equal(fails, guard.Fails(values));
    }

    [Fact]
    public void Replica_count_has_the_same_partition_guard()
    {
        Assert.Matches(new Regex(@"if gt \(int \.Values\.replicaCount\) \(int \.Values\.detector\.inputPartitions\) -?\}\}\s*\{\{-? fail"),
            fixture.Chart.Templates["_helpers.tpl"]);
        Assert.Contains("include \"keyshare.validate\"", fixture.Chart.Templates["configmap.yaml"], StringComparison.Ordinal);
    }
}

/// <summary>The `if gt (int .Values.X) (int .Values.Y) }}{{ fail ...` guard of a template, evaluated on given numbers.</summary>
public sealed partial record PartitionGuard(string Left, string Right, int Position)
{
    public static PartitionGuard? Find(string template)
    {
        var m = Guard().Match(template);
        return m.Success ? new PartitionGuard(m.Groups["left"].Value, m.Groups["right"].Value, m.Index) : null;
    }

    public bool Fails(IReadOnlyDictionary<string, int> values) => values[Left] > values[Right];

    [GeneratedRegex(@"\{\{-?\s*if\s+gt\s+\(int\s+\$?\.Values\.(?<left>[\w.]+)\)\s+\(int\s+\$?\.Values\.(?<right>[\w.]+)\)\s*-?\}\}\s*\{\{-?\s*fail\b")]
    private static partial Regex Guard();
}
