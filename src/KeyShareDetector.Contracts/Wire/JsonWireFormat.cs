using System.Text.Json;
using KeyShareDetector.Contracts.Json;

namespace KeyShareDetector.Contracts.Wire;

/// <summary>
/// The JSON wire format: one UTF-8 object, snake_case field names as in the .avsc, enums as symbol names,
/// null fields left out, properties in declaration order (byte-identical output for equal records).
/// </summary>
public sealed class JsonWireFormat<T> : IWireFormat<T>
    where T : class
{
    private readonly ContractType<T> _type = ContractType<T>.Instance;

    private JsonWireFormat()
    {
    }

    /// <summary>The format is stateless; share this instance.</summary>
    public static JsonWireFormat<T> Instance { get; } = new();

    /// <inheritdoc />
    public byte[] Serialize(T value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (JsonWriteValidation.FindForbiddenNull(value, _type.Json) is { } field)
        {
            throw new ContractException(ContractErrorCodes.InvalidValue, $"{_type.Display}: required field '{field}' is null");
        }

        try
        {
            return JsonSerializer.SerializeToUtf8Bytes(value, _type.Json);
        }
        catch (ContractException ex)
        {
            throw new ContractException(ex.Code, $"{_type.Display}: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            // NaN or infinity: not JSON numbers.
            throw new ContractException(ContractErrorCodes.InvalidValue, $"{_type.Display}: cannot be written as JSON: {ex.Message}", ex);
        }
    }

    /// <summary>Decodes one UTF-8 JSON object (a leading BOM is accepted).</summary>
    public T Deserialize(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith("\uFEFF"u8))
        {
            data = data[3..];
        }

        T? value;
        try
        {
            value = JsonSerializer.Deserialize(data, _type.Json);
        }
        catch (JsonException ex)
        {
            throw JsonErrorDiagnosis.Diagnose(data, _type.Json, _type.Display, ex);
        }

        if (value is null)
        {
            throw new ContractException(ContractErrorCodes.WrongType, $"{_type.Display}: expected a JSON object, found null");
        }

        if (_type.FindNullItem(value) is { } field)
        {
            throw new ContractException(ContractErrorCodes.WrongType, $"{_type.Display}: field '{field}' must not be null");
        }

        return value;
    }
}
