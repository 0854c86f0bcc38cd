using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using KeyShareDetector.Contracts.Json;

namespace KeyShareDetector.Contracts.Signing;

/// <summary>
/// Finds a JSON field the signature does not cover. The stream readers skip unknown fields (schema evolution),
/// but a verifier must not: an unknown field is either unsigned (anyone could have added it) or part of a newer
/// canonical form this verifier cannot check, and a field renamed to something unknown would silently fall back to
/// its default (renaming <c>"shadow":false</c> left the command unchanged and verifying).
/// </summary>
internal static class SignedJsonFields
{
    private static readonly Shape Command = new(
        ContractJsonContext.Wire.EnforcementCommand,
        new Dictionary<string, Shape>(StringComparer.Ordinal)
        {
            ["reasons"] = new(ContractJsonContext.Wire.Reason, new Dictionary<string, Shape>(StringComparer.Ordinal)
            {
                ["metrics"] = new(ContractJsonContext.Wire.Metric, []),
            }),
        });

    /// <summary>The path of the first field outside the contract (e.g. <c>reasons[1].subjectz</c>), or null. The JSON must already have decoded.</summary>
    public static string? FindUnknown(ReadOnlySpan<byte> json)
    {
        if (json.StartsWith("\uFEFF"u8))
        {
            json = json[3..];
        }

        var reader = new Utf8JsonReader(json);
        return reader.Read() && reader.TokenType == JsonTokenType.StartObject ? FindUnknown(ref reader, Command, "") : null;
    }

    // The reader is on the StartObject of a record of the given shape; leaves it on the matching EndObject.
    private static string? FindUnknown(ref Utf8JsonReader reader, Shape shape, string path)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string? name = shape.Match(ref reader);
            if (name is null)
            {
                return path + Describe(ref reader);
            }

            reader.Read();
            if (shape.Children.TryGetValue(name, out Shape? child) && reader.TokenType == JsonTokenType.StartArray)
            {
                for (int i = 0; reader.Read() && reader.TokenType == JsonTokenType.StartObject; i++)
                {
                    if (FindUnknown(ref reader, child, string.Create(CultureInfo.InvariantCulture, $"{path}{name}[{i}].")) is { } unknown)
                    {
                        return unknown;
                    }
                }
            }
            else
            {
                reader.Skip();
            }
        }

        return null;
    }

    private static string Describe(ref Utf8JsonReader reader)
    {
        try
        {
            string name = reader.GetString() ?? "";
            return name.Length > 64 ? name[..64] + "..." : name;
        }
        catch (InvalidOperationException)
        {
            return "(a name that is not valid UTF-8)";
        }
    }

    private sealed class Shape(JsonTypeInfo type, Dictionary<string, Shape> children)
    {
        private readonly (string Name, byte[] Utf8)[] _names = [.. type.Properties.Select(p => (p.Name, Encoding.UTF8.GetBytes(p.Name)))];

        public Dictionary<string, Shape> Children { get; } = children;

        public string? Match(ref Utf8JsonReader reader)
        {
            foreach (var (name, utf8) in _names)
            {
                if (reader.ValueTextEquals(utf8))
                {
                    return name;
                }
            }

            return null;
        }
    }
}
