using System.Collections.Frozen;
using Avro;

namespace KeyShareDetector.Contracts;

/// <summary>
/// The Avro schemas of the contract types, loaded from the .avsc files embedded in this assembly
/// (schemas/*.avsc in the repository is the source of truth).
/// </summary>
public static class ContractSchemas
{
    /// <summary>Avro namespace shared by every contract schema.</summary>
    public const string Namespace = "keyshare.v1";

    private static readonly FrozenDictionary<Type, string> Files = new Dictionary<Type, string>
    {
        [typeof(AccessEvent)] = "access_event.avsc",
        [typeof(OrderEvent)] = "order_event.avsc",
        [typeof(KeyRegistryRecord)] = "key_registry_record.avsc",
        [typeof(KeyLifecycleEvent)] = "key_lifecycle_event.avsc",
        [typeof(EnforcementCommand)] = "enforcement_command.avsc",
        [typeof(Alert)] = "alert.avsc",
        [typeof(DeadLetter)] = "dead_letter.avsc",
        [typeof(FeatureSnapshot)] = "feature_snapshot.avsc",
    }.ToFrozenDictionary();

    /// <summary>The top-level contract types, each with its own .avsc file.</summary>
    public static IReadOnlyCollection<Type> Types => Files.Keys;

    /// <summary>The schema of <typeparamref name="T"/>.</summary>
    public static RecordSchema For<T>()
        where T : class => SchemaCache<T>.Schema;

    /// <summary>The schema of a top-level contract type (parsed on each call; prefer <see cref="For{T}"/>).</summary>
    public static RecordSchema For(Type type) => (RecordSchema)Schema.Parse(GetSchemaText(type));

    /// <summary>The .avsc text of <typeparamref name="T"/>, as embedded (this is what gets registered in a Schema Registry).</summary>
    public static string GetSchemaText<T>()
        where T : class => SchemaCache<T>.Text;

    /// <summary>The .avsc text of a top-level contract type.</summary>
    public static string GetSchemaText(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        string name = GetResourceName(type);
        using Stream stream = typeof(ContractSchemas).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded schema '{name}' is missing from {typeof(ContractSchemas).Assembly.GetName().Name}; check the EmbeddedResource item in the csproj.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The manifest resource name, e.g. <c>schemas/access_event.avsc</c>.</summary>
    public static string GetResourceName(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return Files.TryGetValue(type, out string? file)
            ? "schemas/" + file
            : throw new ArgumentException($"{type.Name} is not a top-level contract type; known: {string.Join(", ", Files.Keys.Select(t => t.Name))}", nameof(type));
    }

    /// <summary>CRC-64-AVRO fingerprint of the schema's parsing canonical form, as used by single-object encoding.</summary>
    public static long Fingerprint<T>()
        where T : class => SchemaCache<T>.Fingerprint;

    private static class SchemaCache<T>
        where T : class
    {
        public static readonly string Text = GetSchemaText(typeof(T));

        public static readonly RecordSchema Schema = (RecordSchema)Avro.Schema.Parse(Text);

        public static readonly long Fingerprint = SchemaNormalization.ParsingFingerprint64(Schema);
    }
}
