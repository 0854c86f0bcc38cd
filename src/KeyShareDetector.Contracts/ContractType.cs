using System.Text.Json.Serialization.Metadata;
using KeyShareDetector.Contracts.AvroBinary;
using KeyShareDetector.Contracts.Json;

namespace KeyShareDetector.Contracts;

internal delegate void AvroBodyWriter<in T>(ref AvroWriter writer, T value);

internal delegate T AvroBodyReader<out T>(ref AvroReader reader);

/// <summary>Everything the wire formats need to know about one top-level contract type.</summary>
internal sealed class ContractType<T>
    where T : class
{
    private ContractType(string display, JsonTypeInfo<T> json, AvroBodyWriter<T> writeAvro, AvroBodyReader<T> readAvro, Func<T, string?> findNullItem)
    {
        Display = display;
        Json = json;
        WriteAvro = writeAvro;
        ReadAvro = readAvro;
        FindNullItem = findNullItem;
        Schema = ContractSchemas.For<T>();
        Fingerprint = ContractSchemas.Fingerprint<T>();
    }

    public static ContractType<T> Instance => Holder.Value;

    /// <summary>Lower-case name used as the prefix of every error message, e.g. "access event".</summary>
    public string Display { get; }

    public JsonTypeInfo<T> Json { get; }

    public AvroBodyWriter<T> WriteAvro { get; }

    public AvroBodyReader<T> ReadAvro { get; }

    /// <summary>
    /// System.Text.Json does not apply nullable annotations to collection items, so a JSON "[null]" arrives as a
    /// null item; this names the first one (or returns null).
    /// </summary>
    public Func<T, string?> FindNullItem { get; }

    public global::Avro.RecordSchema Schema { get; }

    public long Fingerprint { get; }

    private static ContractType<T> Create()
    {
        object type = typeof(T) switch
        {
            var t when t == typeof(AccessEvent) => new ContractType<AccessEvent>(
                "access event", ContractJsonContext.Wire.AccessEvent, ContractAvroCodecs.WriteAccessEvent, ContractAvroCodecs.ReadAccessEvent, static _ => null),
            var t when t == typeof(OrderEvent) => new ContractType<OrderEvent>(
                "order event", ContractJsonContext.Wire.OrderEvent, ContractAvroCodecs.WriteOrderEvent, ContractAvroCodecs.ReadOrderEvent, static _ => null),
            var t when t == typeof(KeyRegistryRecord) => new ContractType<KeyRegistryRecord>(
                "key registry record", ContractJsonContext.Wire.KeyRegistryRecord, ContractAvroCodecs.WriteKeyRegistryRecord, ContractAvroCodecs.ReadKeyRegistryRecord,
                static k => NullItem(k.AllowedCidrs, "allowed_cidrs")),
            var t when t == typeof(KeyLifecycleEvent) => new ContractType<KeyLifecycleEvent>(
                "key lifecycle event", ContractJsonContext.Wire.KeyLifecycleEvent, ContractAvroCodecs.WriteKeyLifecycleEvent, ContractAvroCodecs.ReadKeyLifecycleEvent, static _ => null),
            var t when t == typeof(EnforcementCommand) => new ContractType<EnforcementCommand>(
                "enforcement command", ContractJsonContext.Wire.EnforcementCommand, ContractAvroCodecs.WriteEnforcementCommand, ContractAvroCodecs.ReadEnforcementCommand,
                static c => NullItemInReasons(c.Reasons, "reasons")),
            var t when t == typeof(Alert) => new ContractType<Alert>(
                "alert", ContractJsonContext.Wire.Alert, ContractAvroCodecs.WriteAlert, ContractAvroCodecs.ReadAlert,
                static a => NullItem(a.Metrics, "metrics")),
            var t when t == typeof(DeadLetter) => new ContractType<DeadLetter>(
                "dead letter", ContractJsonContext.Wire.DeadLetter, ContractAvroCodecs.WriteDeadLetter, ContractAvroCodecs.ReadDeadLetter, static _ => null),
            var t when t == typeof(FeatureSnapshot) => new ContractType<FeatureSnapshot>(
                "feature snapshot", ContractJsonContext.Wire.FeatureSnapshot, ContractAvroCodecs.WriteFeatureSnapshot, ContractAvroCodecs.ReadFeatureSnapshot,
                static f => NullItem(f.Metrics, "metrics") ?? NullItemInReasons(f.Findings, "findings") ?? NullItem(f.CapsExceeded, "caps_exceeded")),
            _ => throw new NotSupportedException(
                $"{typeof(T).Name} is not a top-level contract type; known: {string.Join(", ", ContractSchemas.Types.Select(t => t.Name))}"),
        };
        return (ContractType<T>)type;
    }

    private static string? NullItem<TItem>(IReadOnlyList<TItem>? items, string field)
        where TItem : class
    {
        int index = IndexOfNull(items);
        return index < 0 ? null : $"{field}[{index}]";
    }

    private static string? NullItemInReasons(IReadOnlyList<Reason>? reasons, string field)
    {
        if (reasons is null)
        {
            return null;
        }

        int top = IndexOfNull(reasons);
        if (top >= 0)
        {
            return $"{field}[{top}]";
        }

        for (int i = 0; i < reasons.Count; i++)
        {
            int index = IndexOfNull(reasons[i].Metrics);
            if (index >= 0)
            {
                return $"{field}[{i}].metrics[{index}]";
            }

            index = IndexOfNull(reasons[i].Subjects);
            if (index >= 0)
            {
                return $"{field}[{i}].subjects[{index}]";
            }
        }

        return null;
    }

    private static int IndexOfNull<TItem>(IReadOnlyList<TItem>? items)
        where TItem : class
    {
        for (int i = 0; i < (items?.Count ?? 0); i++)
        {
            if (items![i] is null)
            {
                return i;
            }
        }

        return -1;
    }

    private static class Holder
    {
        public static readonly ContractType<T> Value = Create();
    }
}
