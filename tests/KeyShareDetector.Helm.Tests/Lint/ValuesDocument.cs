using YamlDotNet.RepresentationModel;

namespace KeyShareDetector.Helm.Tests.Lint;

/// <summary>One key of values.yaml.</summary>
/// <param name="Path">Dotted path, e.g. <c>kafka.sasl.username</c>.</param>
/// <param name="Line">1-based line of the key.</param>
/// <param name="Value">The node under the key.</param>
/// <param name="OwnDoc">The <c># --</c> text of the comment block directly above the key, or null.</param>
public sealed record ValueEntry(string Path, int Line, YamlNode Value, string? OwnDoc)
{
    public string? ParentPath => Path.LastIndexOf('.') is var i and >= 0 ? Path[..i] : null;

    /// <summary>A leaf: a scalar, a sequence or an empty map (a value users fill in themselves).</summary>
    public bool IsLeaf => Value is not YamlMappingNode m || m.Children.Count == 0;
}

/// <summary>
/// values.yaml parsed with YamlDotNet, plus the helm-docs comments read from the raw lines.
/// <para>
/// Documentation rule: a key is documented when the comment block directly above it (consecutive lines
/// starting with <c>#</c>, no blank line between them and the key) contains a line starting with
/// <c># --</c>. An entry of a map is also documented when the map's own key is documented that way
/// (one level only: <c>resources.requests</c> documents <c>resources.requests.cpu</c>, but
/// <c>resources</c> alone does not).
/// </para>
/// </summary>
public sealed class ValuesDocument
{
    private readonly Dictionary<string, ValueEntry> _entries = new(StringComparer.Ordinal);

    public ValuesDocument(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        Root = stream.Documents.Count == 0 ? new YamlMappingNode() : stream.Documents[0].RootNode as YamlMappingNode
            ?? throw new InvalidDataException("values.yaml must be a map at the top");
        var lines = yaml.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        Walk(Root, "", lines);
    }

    public YamlMappingNode Root { get; }

    public IReadOnlyCollection<ValueEntry> Entries => _entries.Values;

    public ValueEntry? Find(string path) => _entries.GetValueOrDefault(path);

    /// <summary>Whether the key at <paramref name="path"/> is documented by the rule above.</summary>
    public bool IsDocumented(string path)
    {
        var entry = Find(path);
        if (entry is null) return false;
        if (entry.OwnDoc is not null) return true;
        return entry.ParentPath is { } parent && Find(parent)?.OwnDoc is not null;
    }

    /// <summary>The scalar at a path (for checks on defaults), or null.</summary>
    public string? Scalar(string path) => (Find(path)?.Value as YamlScalarNode)?.Value;

    private void Walk(YamlMappingNode map, string prefix, string[] lines)
    {
        foreach (var (keyNode, value) in map.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key }) continue;
            var path = prefix.Length == 0 ? key : prefix + "." + key;
            var line = (int)keyNode.Start.Line;
            _entries[path] = new ValueEntry(path, line, value, DocAbove(lines, line));
            if (value is YamlMappingNode child) Walk(child, path, lines);
        }
    }

    /// <summary>The helm-docs comment of the key on 1-based <paramref name="line"/>.</summary>
    internal static string? DocAbove(string[] lines, int line)
    {
        var block = new List<string>();
        for (var i = line - 2; i >= 0; i--)
        {
            var t = lines[i].Trim();
            if (!t.StartsWith('#')) break;
            block.Insert(0, t);
        }
        var start = block.FindIndex(l => l.StartsWith("# --", StringComparison.Ordinal));
        if (start < 0) return null;
        var text = string.Join(" ", block.Skip(start).Select(l => l.TrimStart('#').Trim()))[2..].Trim();
        return text.Length == 0 ? null : text;
    }
}
