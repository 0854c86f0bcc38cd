using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace KeyShareDetector.Contracts.Json;

/// <summary>
/// Turns a System.Text.Json failure into a <see cref="ContractException"/> with a stable code and a message that
/// names the field. Runs only on the error path: it re-reads the document against the contract metadata instead
/// of parsing exception messages, so it keeps working when the framework rewords them.
/// </summary>
internal static class JsonErrorDiagnosis
{
    public static ContractException Diagnose(ReadOnlySpan<byte> json, JsonTypeInfo typeInfo, string record, JsonException error)
    {
        if (error is UnknownEnumSymbolException)
        {
            return new ContractException(
                ContractErrorCodes.UnknownEnum,
                $"{record}: field '{FieldName(error.Path)}': {error.Message}",
                error);
        }

        Finding? finding;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return new ContractException(ContractErrorCodes.WrongType, $"{record}: expected a JSON object, found {reader.TokenType}", error);
            }

            finding = CheckObject(ref reader, typeInfo, "");

            // Anything but whitespace after the object makes the reader throw here.
            while (reader.Read())
            {
            }
        }
        catch (JsonException malformed)
        {
            return new ContractException(ContractErrorCodes.ParseError, $"{record}: malformed JSON: {malformed.Message}", error);
        }
        catch (InvalidOperationException invalidText)
        {
            // Utf8JsonReader.GetString on bytes that are not UTF-8.
            return new ContractException(ContractErrorCodes.ParseError, $"{record}: malformed JSON: {invalidText.Message}", error);
        }

        if (finding is { } f)
        {
            return new ContractException(f.Code, $"{record}: {f.Message}", error);
        }

        string where = error.Path is null ? "" : $"field '{FieldName(error.Path)}': ";
        return new ContractException(ContractErrorCodes.WrongType, $"{record}: {where}{error.Message}", error);
    }

    private static Finding? CheckObject(ref Utf8JsonReader reader, JsonTypeInfo typeInfo, string prefix)
    {
        IList<JsonPropertyInfo> properties = typeInfo.Properties;
        var seen = new bool[properties.Count];
        var names = new HashSet<string>(StringComparer.Ordinal);
        Finding? finding = null;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = reader.GetString()!;
            reader.Read();
            if (!names.Add(name))
            {
                finding ??= new Finding(ContractErrorCodes.ParseError, $"duplicate field '{prefix}{name}'");
            }

            int index = IndexOf(properties, name);
            if (index < 0)
            {
                reader.Skip();
                continue;
            }

            JsonPropertyInfo property = properties[index];
            if (reader.TokenType == JsonTokenType.Null)
            {
                if (!property.IsSetNullable)
                {
                    finding ??= property.IsRequired
                        ? new Finding(ContractErrorCodes.MissingField, $"required field '{prefix}{name}' is null")
                        : new Finding(ContractErrorCodes.WrongType, $"field '{prefix}{name}' must not be null");
                }

                continue;
            }

            seen[index] = true;
            Finding? nested = CheckValue(ref reader, typeInfo.Options.GetTypeInfo(property.PropertyType), prefix + name);
            finding ??= nested;
        }

        for (int i = 0; i < properties.Count && finding is null; i++)
        {
            if (properties[i].IsRequired && !seen[i])
            {
                finding = new Finding(ContractErrorCodes.MissingField, $"missing required field '{prefix}{properties[i].Name}'");
            }
        }

        return finding;
    }

    private static Finding? CheckValue(ref Utf8JsonReader reader, JsonTypeInfo typeInfo, string path)
    {
        if (reader.TokenType == JsonTokenType.StartObject && typeInfo.Kind == JsonTypeInfoKind.Object)
        {
            return CheckObject(ref reader, typeInfo, path + ".");
        }

        if (reader.TokenType == JsonTokenType.StartArray && typeInfo.Kind == JsonTypeInfoKind.Enumerable && typeInfo.ElementType is { } elementType)
        {
            JsonTypeInfo elementInfo = typeInfo.Options.GetTypeInfo(elementType);
            Finding? finding = null;
            for (int i = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; i++)
            {
                Finding? item = reader.TokenType == JsonTokenType.Null && !elementType.IsValueType
                    ? new Finding(ContractErrorCodes.WrongType, $"field '{path}[{i}]' must not be null")
                    : CheckValue(ref reader, elementInfo, $"{path}[{i}]");
                finding ??= item;
            }

            return finding;
        }

        reader.Skip();
        return null;
    }

    private static int IndexOf(IList<JsonPropertyInfo> properties, string name)
    {
        for (int i = 0; i < properties.Count; i++)
        {
            if (string.Equals(properties[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>"$.reasons[0].code" becomes "reasons[0].code".</summary>
    internal static string FieldName(string? path) =>
        path is null ? "" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    private readonly record struct Finding(string Code, string Message);
}
