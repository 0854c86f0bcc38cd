using KeyShareDetector.Helm.Tests.Lint;

namespace KeyShareDetector.Helm.Tests;

/// <summary>The checker on small in-memory charts: it must catch what it claims to catch.</summary>
public sealed class LinterNegativeTests
{
    private const string ChartYaml = "apiVersion: v2\nname: tiny\nversion: 0.1.0\n";

    private static IReadOnlyList<Finding> Lint(string values, params (string Name, string Text)[] templates) =>
        ChartLinter.Lint(new ChartSource(ChartYaml, values, templates.ToDictionary(t => t.Name, t => t.Text)));

    private const string GoodValues = """
        # -- Image settings.
        image:
          # -- Repository.
          repository: example/app
        # -- Pod resources.
        resources:
          # -- Limits.
          limits:
            memory: 1Gi
        """;

    private const string GoodTemplate = "image: {{ .Values.image.repository }}\nresources:\n  {{- toYaml .Values.resources | nindent 2 }}\n";

    [Fact]
    public void A_documented_chart_passes()
    {
        Assert.Empty(Lint(GoodValues, ("t.yaml", GoodTemplate)));
    }

    [Fact]
    public void A_value_missing_from_values_yaml_is_caught_with_its_template_and_line()
    {
        var findings = Lint(GoodValues, ("t.yaml", GoodTemplate + "tag: {{ .Values.image.tag | default \"latest\" }}\n"));
        var f = Assert.Single(findings);
        Assert.Equal(FindingKind.Missing, f.Kind);
        Assert.Equal("image.tag", f.Subject);
        Assert.Equal("t.yaml:4", f.Where);
    }

    [Fact]
    public void Reading_below_a_scalar_is_missing_too()
    {
        var f = Assert.Single(Lint(GoodValues, ("t.yaml", GoodTemplate + "x: {{ .Values.image.repository.host }}\n")));
        Assert.Equal((FindingKind.Missing, "image.repository.host"), (f.Kind, f.Subject));
    }

    [Fact]
    public void An_undocumented_value_is_caught()
    {
        var values = GoodValues + "\n# -- Pull policy.\npullPolicy: Always\nreplicas: 2\n";
        var findings = Lint(values, ("t.yaml", GoodTemplate + "a: {{ .Values.pullPolicy }}\nb: {{ .Values.replicas }}\n"));
        var f = Assert.Single(findings);
        Assert.Equal((FindingKind.Undocumented, "replicas"), (f.Kind, f.Subject));
    }

    [Fact]
    public void An_undocumented_value_no_template_reads_is_caught_as_undocumented_and_unused()
    {
        var findings = Lint(GoodValues + "\nextra: 1\n", ("t.yaml", GoodTemplate));
        Assert.Contains(findings, f => f is { Kind: FindingKind.Undocumented, Subject: "extra" });
        Assert.Contains(findings, f => f is { Kind: FindingKind.Unused, Subject: "extra" });
    }

    [Fact]
    public void A_plain_comment_or_a_comment_separated_by_a_blank_line_is_not_documentation()
    {
        var values = GoodValues + "\n# replicas, but not helm-docs style\nreplicas: 2\n# -- Orphan description.\n\nport: 80\n";
        var findings = Lint(values, ("t.yaml", GoodTemplate + "a: {{ .Values.replicas }}\nb: {{ .Values.port }}\n"));
        Assert.Equal(["port", "replicas"], findings.Where(f => f.Kind == FindingKind.Undocumented).Select(f => f.Subject).Order());
    }

    [Fact]
    public void A_map_entry_inherits_its_parents_doc_but_only_one_level_down()
    {
        // probes documents probes.liveness (a map entry of a documented map) but not probes.liveness.periodSeconds.
        var values = """
            # -- Probe timings.
            probes:
              liveness:
                periodSeconds: 10
            """;
        var findings = Lint(values, ("t.yaml", "p: {{ .Values.probes.liveness.periodSeconds }}\n"));
        var f = Assert.Single(findings);
        Assert.Equal((FindingKind.Undocumented, "probes.liveness.periodSeconds"), (f.Kind, f.Subject));

        var fixedValues = values.Replace("  liveness:", "  # -- Liveness probe timings.\n  liveness:", StringComparison.Ordinal);
        Assert.Empty(Lint(fixedValues, ("t.yaml", "p: {{ .Values.probes.liveness.periodSeconds }}\n")));
    }

    [Fact]
    public void Relative_fields_inside_with_are_resolved_and_checked()
    {
        var template = GoodTemplate + "{{- with .Values.image }}\nrepo: {{ .repository }}\nregistry: {{ .registry }}\n{{- end }}\n";
        var f = Assert.Single(Lint(GoodValues, ("t.yaml", template)));
        Assert.Equal((FindingKind.Missing, "image.registry"), (f.Kind, f.Subject));
    }

    [Theory]
    [InlineData("x: {{ $.Values.nope }}")]
    [InlineData("{{- $root := . }}x: {{ $root.Values.nope }}")]
    [InlineData("x: {{ index .Values \"nope\" }}")]
    [InlineData("x: {{ default \"a\" .Values.nope | quote }}")]
    [InlineData("{{- if and .Values.image.repository (not .Values.nope) }}x: 1{{ end }}")]
    [InlineData("{{- range $k, $v := .Values.nope }}{{ $k }}{{ end }}")]
    [InlineData("{{- with .Values.image }}{{ toYaml $.Values.nope }}{{ end }}")]
    [InlineData("{{- define \"x\" -}}{{ .Values.nope }}{{- end -}}")]
    public void Every_way_of_reading_a_value_is_seen(string line)
    {
        var findings = Lint(GoodValues, ("t.yaml", GoodTemplate + line + "\n"));
        Assert.Contains(findings, f => f is { Kind: FindingKind.Missing, Subject: "nope" });
    }

    [Fact]
    public void Text_inside_string_literals_is_not_a_reference()
    {
        Assert.Empty(Lint(GoodValues, ("t.yaml", GoodTemplate + "{{- if not .Values.image.repository }}{{ fail \"set .Values.nope\" }}{{ end }}\n")));
    }

    [Theory]
    [InlineData("{{- if .Values.image.repository }}\nx: 1\n", "'if' is never closed")]
    [InlineData("x: 1\n{{- end }}\n", "'end' without an open")]
    [InlineData("x: {{ .Values.image.repository\n", "never closed")]
    [InlineData("x: .Values.image.repository }}\n", "without a matching")]
    [InlineData("{{- range .Values.resources }}{{- with . }}x{{ end }}\n", "'range' is never closed")]
    [InlineData("{{- else }}\n", "'else' outside")]
    public void Unbalanced_templates_are_caught(string text, string message)
    {
        var findings = Lint(GoodValues, ("t.yaml", GoodTemplate + text));
        Assert.Contains(findings, f => f.Kind == FindingKind.Structure && f.Subject.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Root_objects_read_through_a_rebound_dot_are_caught()
    {
        var template = GoodTemplate + "{{- with .Values.image }}\nname: {{ .Release.Name }}\nrepo: {{ .Values.image.repository }}\n{{- end }}\n";
        var findings = Lint(GoodValues, ("t.yaml", template)).Where(f => f.Kind == FindingKind.Structure).ToList();
        Assert.Equal(2, findings.Count);
        Assert.Contains(findings, f => f.Subject.Contains(".Release.Name", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Subject.Contains("use '$.Values'", StringComparison.Ordinal));
    }

    [Fact]
    public void Else_of_a_with_block_sees_the_outer_dot_again()
    {
        var template = GoodTemplate + "{{- with .Values.image }}\nr: {{ .repository }}\n{{- else }}\nr: {{ .Values.image.repository }}\n{{- end }}\n";
        Assert.Empty(Lint(GoodValues, ("t.yaml", template)));
    }

    [Fact]
    public void The_partition_guard_detector_needs_the_fail()
    {
        Assert.Null(PartitionGuard.Find("{{- if gt (int .Values.a) (int .Values.b) }}\nwarning: true\n{{- end }}"));
        Assert.NotNull(PartitionGuard.Find("{{- if gt (int .Values.a) (int .Values.b) }}\n{{- fail \"too many\" }}\n{{- end }}"));
    }

    [Fact]
    public void The_skeleton_keeps_the_yaml_and_names_the_actions_behind_placeholders()
    {
        var skeleton = TemplateSkeleton.Of("t.yaml", "{{- if .Values.on }}\nkind: Thing\nspec:\n  port: {{ .Values.port }}\n  {{- toYaml .Values.extra | nindent 2 }}\n{{- end }}\n");
        var doc = Assert.Single(skeleton.Documents);
        Assert.Equal("Thing", doc.Text("kind"));
        Assert.Equal(".Values.port", skeleton.ActionOf(doc.Get("spec", "port")!));
    }
}
