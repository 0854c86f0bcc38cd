using System.Text.Json;
using System.Text.Json.Serialization;

namespace KeyShareDetector.Contracts.Json;

/// <summary>
/// Enums as their exact symbol names, as in the .avsc. Unlike <see cref="JsonStringEnumConverter{TEnum}"/> it
/// accepts neither numbers, nor other casing, nor comma lists, and it reports an unknown symbol distinctly so
/// the record lands in the DLQ as <c>UNKNOWN_ENUM</c> rather than a generic parse error.
/// </summary>
internal sealed class ContractEnumConverter<TEnum> : JsonConverter<TEnum>
    where TEnum : struct, Enum
{
    public override TEnum Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            // Message left empty on purpose: System.Text.Json then fills in its own, with the path.
            throw new JsonException();
        }

        byte[][] names = EnumSymbols<TEnum>.Utf8Names;
        for (int i = 0; i < names.Length; i++)
        {
            if (reader.ValueTextEquals(names[i]))
            {
                return EnumSymbols<TEnum>.FromIndex(i);
            }
        }

        throw new UnknownEnumSymbolException(
            $"unknown {typeof(TEnum).Name} value '{reader.GetString()}' (expected one of {EnumSymbols<TEnum>.Expected})");
    }

    public override void Write(Utf8JsonWriter writer, TEnum value, JsonSerializerOptions options)
    {
        int index = EnumSymbols<TEnum>.IndexOf(value);
        if (index < 0)
        {
            throw new ContractException(
                ContractErrorCodes.InvalidValue,
                $"{value} is not a {typeof(TEnum).Name} symbol ({EnumSymbols<TEnum>.Expected})");
        }

        writer.WriteStringValue(EnumSymbols<TEnum>.JsonNames[index]);
    }
}

/// <summary>Raised inside System.Text.Json (which adds the JSON path) and turned into <c>UNKNOWN_ENUM</c>.</summary>
internal sealed class UnknownEnumSymbolException : JsonException
{
    public UnknownEnumSymbolException(string message)
        : base(message)
    {
    }
}
