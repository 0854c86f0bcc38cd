using System.Collections;
using System.Text.Json.Serialization.Metadata;

namespace KeyShareDetector.Contracts.Json;

/// <summary>
/// Finds a null where the contract forbids one, before writing. System.Text.Json would silently leave such a
/// field out (nulls are omitted), producing JSON that no reader accepts; the producer must hear about it instead.
/// Walks the source-generated metadata, so it follows the records without a list to keep in sync.
/// </summary>
internal static class JsonWriteValidation
{
    /// <summary>The path of the first forbidden null ("api_key_id", "reasons[1].code"), or null when there is none.</summary>
    public static string? FindForbiddenNull(object value, JsonTypeInfo typeInfo)
    {
        IList<JsonPropertyInfo> properties = typeInfo.Properties;
        for (int i = 0; i < properties.Count; i++)
        {
            JsonPropertyInfo property = properties[i];
            if (property.PropertyType.IsValueType || property.Get is null)
            {
                continue;
            }

            object? propertyValue = property.Get(value);
            if (propertyValue is null)
            {
                if (!property.IsGetNullable)
                {
                    return property.Name;
                }

                continue;
            }

            if (property.PropertyType == typeof(string) || property.PropertyType == typeof(byte[]))
            {
                continue;
            }

            JsonTypeInfo propertyInfo = typeInfo.Options.GetTypeInfo(property.PropertyType);
            if (propertyInfo.Kind == JsonTypeInfoKind.Object && FindForbiddenNull(propertyValue, propertyInfo) is { } inner)
            {
                return $"{property.Name}.{inner}";
            }

            if (propertyInfo.Kind == JsonTypeInfoKind.Enumerable && propertyInfo.ElementType is { IsValueType: false } elementType
                && FindForbiddenNullItem((IEnumerable)propertyValue, elementType, typeInfo) is { } item)
            {
                return property.Name + item;
            }
        }

        return null;
    }

    private static string? FindForbiddenNullItem(IEnumerable items, Type elementType, JsonTypeInfo owner)
    {
        JsonTypeInfo? elementInfo = elementType == typeof(string) ? null : owner.Options.GetTypeInfo(elementType);
        int index = 0;
        foreach (object? item in items)
        {
            if (item is null)
            {
                return $"[{index}]";
            }

            if (elementInfo is { Kind: JsonTypeInfoKind.Object } && FindForbiddenNull(item, elementInfo) is { } inner)
            {
                return $"[{index}].{inner}";
            }

            index++;
        }

        return null;
    }
}
