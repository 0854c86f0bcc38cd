using System.Text;
using YamlDotNet.RepresentationModel;

namespace KeyShareDetector.Helm.Tests.Lint;

/// <summary>
/// A template with its Go-template parts taken out so the YAML around them can be parsed: a line that is
/// only actions (if, end, include | nindent, toYaml ...) is dropped; an action inside a line becomes a
/// placeholder <c>TPL{n}</c>, with <see cref="Actions"/>[n] holding its text. Both branches of an if/else
/// stay in, so the chart keeps each branch's keys distinct.
/// </summary>
public sealed class TemplateSkeleton
{
    private TemplateSkeleton(string yaml, IReadOnlyList<string> actions)
    {
        Yaml = yaml;
        Actions = actions;
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        Documents = stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>().ToList();
    }

    public string Yaml { get; }
    public IReadOnlyList<string> Actions { get; }
    public IReadOnlyList<YamlMappingNode> Documents { get; }

    public static TemplateSkeleton Of(string name, string template)
    {
        var (tokens, problems) = TemplateScanner.Tokenize(name, template);
        if (problems.Count > 0) throw new InvalidDataException(string.Join("; ", problems));
        var actions = new List<string>();
        var sb = new StringBuilder();
        var cursor = 0;
        foreach (var t in tokens)
        {
            sb.Append(template, cursor, t.Start - cursor);
            sb.Append("TPL").Append(actions.Count);
            actions.Add(t.Text);
            cursor = t.End;
        }
        sb.Append(template, cursor, template.Length - cursor);
        // Comments {{/* */}} were not tokens: blank them out.
        var text = System.Text.RegularExpressions.Regex.Replace(sb.ToString(), @"\{\{-?\s*/\*.*?\*/\s*-?\}\}", "",
            System.Text.RegularExpressions.RegexOptions.Singleline);
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n')
            .Where(l => !System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s*(TPL\d+\s*)+$"));
        return new TemplateSkeleton(string.Join('\n', lines), actions);
    }

    /// <summary>The action behind a placeholder scalar such as <c>TPL7</c>, or null when it is plain text.</summary>
    public string? ActionOf(YamlNode node) =>
        node is YamlScalarNode { Value: { } v } && v.StartsWith("TPL", StringComparison.Ordinal) && int.TryParse(v.AsSpan(3), out var n)
            ? Actions[n]
            : null;
}

/// <summary>Navigation helpers over YamlDotNet nodes.</summary>
public static class Yaml
{
    public static YamlNode? Get(this YamlNode? node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out node)) return null;
        }
        return node;
    }

    public static string? Text(this YamlNode? node, params string[] path) => (node.Get(path) as YamlScalarNode)?.Value;

    public static IEnumerable<YamlNode> Items(this YamlNode? node, params string[] path) =>
        node.Get(path) is YamlSequenceNode s ? s.Children : [];
}
