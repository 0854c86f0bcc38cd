using YamlDotNet.RepresentationModel;

namespace KeyShareDetector.Helm.Tests.Lint;

public enum FindingKind
{
    /// <summary>A template reads a values path that values.yaml does not have.</summary>
    Missing,
    /// <summary>A key (read by a template, or anywhere in values.yaml) has no `# --` documentation.</summary>
    Undocumented,
    /// <summary>A values.yaml leaf that no template reads.</summary>
    Unused,
    /// <summary>Unbalanced delimiters or blocks, or a root object read where dot is rebound.</summary>
    Structure,
}

public sealed record Finding(FindingKind Kind, string Subject, string Where)
{
    public override string ToString() => $"{Kind}: {Subject} ({Where})";
}

/// <summary>
/// The chart checks helm would need a cluster (or `helm lint` plus helm-docs) for: every value a template
/// reads exists in values.yaml and is documented (<see cref="ValuesDocument"/> has the rule), every value in
/// values.yaml is documented and read somewhere, and every template is balanced.
/// </summary>
public static class ChartLinter
{
    public static IReadOnlyList<Finding> Lint(ChartSource chart)
    {
        var findings = new List<Finding>();
        var values = new ValuesDocument(chart.ValuesYaml);
        var references = new List<ValueReference>();
        foreach (var (name, text) in chart.Templates.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var scan = TemplateScanner.Scan(name, text);
            references.AddRange(scan.References);
            findings.AddRange(scan.Problems.Select(p => new Finding(FindingKind.Structure, p.Message, $"{p.Template}:{p.Line}")));
        }

        foreach (var group in references.GroupBy(r => r.Path, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var first = group.First();
            var where = $"{first.Template}:{first.Line}";
            var missingAt = FirstMissing(values, group.Key);
            if (missingAt is not null)
            {
                findings.Add(new Finding(FindingKind.Missing, group.Key, where));
                continue;
            }
            if (!values.IsDocumented(group.Key)) findings.Add(new Finding(FindingKind.Undocumented, group.Key, where));
        }

        var read = references.Select(r => r.Path).ToHashSet(StringComparer.Ordinal);
        foreach (var entry in values.Entries.OrderBy(e => e.Line))
        {
            if (!values.IsDocumented(entry.Path) && !read.Contains(entry.Path))
                findings.Add(new Finding(FindingKind.Undocumented, entry.Path, $"values.yaml:{entry.Line}"));
            if (entry.IsLeaf && !IsRead(entry.Path, read))
                findings.Add(new Finding(FindingKind.Unused, entry.Path, $"values.yaml:{entry.Line}"));
        }
        return findings;
    }

    /// <summary>The first segment of a dotted path values.yaml does not have, or null when all exist.</summary>
    private static string? FirstMissing(ValuesDocument values, string path)
    {
        YamlNode node = values.Root;
        var prefix = "";
        foreach (var segment in path.Split('.'))
        {
            prefix = prefix.Length == 0 ? segment : prefix + "." + segment;
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(segment), out var child))
                return prefix;
            node = child;
        }
        return null;
    }

    /// <summary>A leaf is read when a template reads it or any map above it (toYaml, with, range, default).</summary>
    private static bool IsRead(string leaf, HashSet<string> read)
    {
        for (var p = leaf; ; p = p[..p.LastIndexOf('.')])
        {
            if (read.Contains(p)) return true;
            if (!p.Contains('.')) return false;
        }
    }
}
