using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KeyShareDetector.Contracts.Json;

/// <summary>
/// Source-generated System.Text.Json metadata for the contract types: snake_case names (the .avsc field names),
/// enums as symbol names, nulls omitted, nullable annotations enforced, properties in declaration order.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    NumberHandling = JsonNumberHandling.Strict,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    Converters =
    [
        typeof(ContractEnumConverter<OrderSide>),
        typeof(ContractEnumConverter<OrderEventType>),
        typeof(ContractEnumConverter<Permission>),
        typeof(ContractEnumConverter<KeyStatus>),
        typeof(ContractEnumConverter<LifecycleKind>),
        typeof(ContractEnumConverter<EnforcementAction>),
        typeof(ContractEnumConverter<KeyState>),
        typeof(ContractEnumConverter<AlertSeverity>),
    ])]
[JsonSerializable(typeof(AccessEvent))]
[JsonSerializable(typeof(OrderEvent))]
[JsonSerializable(typeof(KeyRegistryRecord))]
[JsonSerializable(typeof(KeyLifecycleEvent))]
[JsonSerializable(typeof(EnforcementCommand))]
[JsonSerializable(typeof(Alert))]
[JsonSerializable(typeof(DeadLetter))]
[JsonSerializable(typeof(FeatureSnapshot))]
internal sealed partial class ContractJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The instance the wire formats use: the generated options plus what the attribute cannot express.
    /// Relaxed escaping keeps base64 signatures and non-ASCII text readable in kcat ('+' stays '+');
    /// it still escapes quotes, backslashes and control characters, and nothing here is embedded in HTML.
    /// Duplicate fields are rejected: "last one wins" would let two readers disagree about a record.
    /// </summary>
    public static ContractJsonContext Wire => WireHolder.Instance;

    // A holder so that Default (generated, initialised in another file) is complete before it is copied.
    private static class WireHolder
    {
        public static readonly ContractJsonContext Instance = new(new JsonSerializerOptions(Default.Options)
        {
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            AllowDuplicateProperties = false,
            TypeInfoResolver = null,
        });
    }
}
