using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using KeyShareDetector.Detection.Policy;
using YamlDotNet.RepresentationModel;

namespace KeyShareDetector.Streams.Policy;

/// <summary>A policy document that could not be used, with one line per problem naming the setting.</summary>
public sealed class PolicyDocumentException(string source, IReadOnlyList<string> problems)
    : Exception($"policy {source}: {string.Join("; ", problems)}")
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// Reads and writes policy documents: YAML or JSON, camelCase names mirroring <see cref="DetectionPolicy"/>
/// (see docs/POLICY.md and schemas/policy.schema.json). Unknown settings are errors, so a typo cannot silently
/// fall back to a default. Every document is validated before use.
/// </summary>
public static class PolicyDocuments
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DictionaryKeyPolicy = null,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(allowIntegerValues: false) },
        WriteIndented = true,
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    /// <summary>Loads one document from a .yaml/.yml/.json file.</summary>
    public static DetectionPolicy Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PolicyDocumentException(path, [$"cannot read the file: {e.Message}"]);
        }
        return Parse(text, path);
    }

    /// <summary>Parses YAML (JSON is accepted too: it is YAML) and validates the result.</summary>
    public static DetectionPolicy Parse(string text, string source = "document")
    {
        ArgumentNullException.ThrowIfNull(text);
        JsonNode? node;
        try
        {
            node = YamlToJson(text);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new PolicyDocumentException(source, [$"not valid YAML/JSON at line {e.Start.Line}: {e.Message}"]);
        }
        if (node is not JsonObject) throw new PolicyDocumentException(source, ["the document must be a mapping of settings"]);

        DetectionPolicy? policy;
        try
        {
            policy = node.Deserialize<DetectionPolicy>(Options);
        }
        catch (JsonException e)
        {
            string where = string.IsNullOrEmpty(e.Path) ? "" : e.Path.TrimStart('$', '.') + ": ";
            throw new PolicyDocumentException(source, [where + Simplify(e.Message)]);
        }
        if (policy is null) throw new PolicyDocumentException(source, ["the document is empty"]);
        var problems = policy.Validate();
        if (problems.Count > 0) throw new PolicyDocumentException(source, problems);
        return policy;
    }

    /// <summary>The canonical JSON form (what is published on the policy topic).</summary>
    public static string ToJson(DetectionPolicy policy) => JsonSerializer.Serialize(policy, Options);

    /// <summary>The policy as a YAML document (the format of docs/policy/default-policy.yaml).</summary>
    public static string ToYaml(DetectionPolicy policy)
    {
        var node = JsonNode.Parse(ToJson(policy))!;
        var sb = new System.Text.StringBuilder();
        WriteYaml(sb, node, 0);
        return sb.ToString();
    }

    private static void WriteYaml(System.Text.StringBuilder sb, JsonNode? node, int indent)
    {
        string pad = new(' ', indent);
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj)
                {
                    if (value is JsonObject { Count: > 0 })
                    {
                        sb.Append(pad).Append(name).Append(":\n");
                        WriteYaml(sb, value, indent + 2);
                    }
                    else
                    {
                        sb.Append(pad).Append(name).Append(": ").Append(Inline(value)).Append('\n');
                    }
                }
                break;
            default:
                sb.Append(pad).Append(Inline(node)).Append('\n');
                break;
        }
    }

    private static string Inline(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject { Count: 0 } => "{}",
        JsonArray arr => "[" + string.Join(", ", arr.Select(Inline)) + "]",
        JsonValue v when v.TryGetValue<string>(out var text) => JsonSerializer.Serialize(text),
        _ => value.ToJsonString(),
    };

    /// <summary>JSON Schema of a policy document, derived from the policy types (schemas/policy.schema.json).</summary>
    public static string JsonSchema()
    {
        var node = System.Text.Json.Schema.JsonSchemaExporter.GetJsonSchemaAsNode(Options, typeof(DetectionPolicy),
            new System.Text.Json.Schema.JsonSchemaExporterOptions { TreatNullObliviousAsNonNullable = true });
        if (node is JsonObject root)
        {
            root.Insert(0, "$schema", "https://json-schema.org/draft/2020-12/schema");
            root.Insert(1, "title", "KeyShareDetector policy document");
            root.Insert(2, "description", "Every setting is optional: a document lists what differs from the documented default (docs/POLICY.md). Unknown settings are refused.");
        }
        return node.ToJsonString(Options) + "\n";
    }

    private static string Simplify(string message)
    {
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    /// <summary>Turns a YAML document into a JSON tree: scalars that read as numbers or booleans become them.</summary>
    private static JsonNode? YamlToJson(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        if (stream.Documents.Count == 0) return null;
        return Convert(stream.Documents[0].RootNode);
    }

    private static JsonNode? Convert(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (k, v) in map.Children) obj[((YamlScalarNode)k).Value ?? ""] = Convert(v);
                return obj;
            case YamlSequenceNode seq:
                var arr = new JsonArray();
                foreach (var item in seq.Children) arr.Add(Convert(item));
                return arr;
            case YamlScalarNode scalar:
                string? value = scalar.Value;
                if (value is null) return null;
                if (scalar.Style is YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted) return JsonValue.Create(value);
                if (value is "null" or "~" or "") return null;
                if (value is "true" or "false") return JsonValue.Create(value == "true");
                if (long.TryParse(value.Replace("_", "", StringComparison.Ordinal), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out long l)) return JsonValue.Create(l);
                if (double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double d)) return JsonValue.Create(d);
                return JsonValue.Create(value);
            default:
                return null;
        }
    }
}
