namespace KeyShareDetector.Contracts;

/// <summary>
/// A record could not be read or written under the contract. <see cref="Code"/> is stable and machine-readable
/// (one of <see cref="ContractErrorCodes"/>) so the dead-letter queue can record why; the message says what and where.
/// </summary>
public sealed class ContractException : Exception
{
    public ContractException()
        : this(ContractErrorCodes.ParseError, "the record does not follow the contract")
    {
    }

    public ContractException(string message)
        : this(ContractErrorCodes.ParseError, message)
    {
    }

    public ContractException(string message, Exception innerException)
        : this(ContractErrorCodes.ParseError, message, innerException)
    {
    }

    public ContractException(string code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
    }

    /// <summary>Stable reason code, e.g. <c>PARSE_ERROR</c>, <c>MISSING_FIELD</c>, <c>UNKNOWN_ENUM</c>.</summary>
    public string Code { get; }
}

/// <summary>The reason codes a <see cref="ContractException"/> carries; they end up in <see cref="DeadLetter.ErrorCode"/>.</summary>
public static class ContractErrorCodes
{
    /// <summary>Not well-formed: malformed JSON, truncated or trailing Avro bytes, invalid UTF-8, empty record.</summary>
    public const string ParseError = "PARSE_ERROR";

    /// <summary>Well-formed, but a field has the wrong type (a string where a number belongs, a non-object record...).</summary>
    public const string WrongType = "WRONG_TYPE";

    /// <summary>A required field is absent or null.</summary>
    public const string MissingField = "MISSING_FIELD";

    /// <summary>An enum field holds a symbol (JSON) or an index (Avro) the contract does not define.</summary>
    public const string UnknownEnum = "UNKNOWN_ENUM";

    /// <summary>Avro record written with a schema we do not know: unknown single-object fingerprint or registry schema id.</summary>
    public const string UnknownSchema = "UNKNOWN_SCHEMA";

    /// <summary>The writer schema is known but cannot be resolved against ours (Avro schema resolution failed).</summary>
    public const string IncompatibleSchema = "INCOMPATIBLE_SCHEMA";

    /// <summary>The first bytes match none of the wire formats (JSON object, Avro single-object, Schema Registry framing).</summary>
    public const string UnknownFormat = "UNKNOWN_FORMAT";

    /// <summary>A value cannot be written under the contract (null required field, undefined enum value, non-finite JSON number).</summary>
    public const string InvalidValue = "INVALID_VALUE";
}
