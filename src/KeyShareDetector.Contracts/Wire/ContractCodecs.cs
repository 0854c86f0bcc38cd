namespace KeyShareDetector.Contracts.Wire;

/// <summary>
/// Default codecs, one per contract type: write JSON, read JSON and Avro single-object encoding. For configured
/// output (Avro, Schema Registry) build codecs with <see cref="WireFormats.CreateAsync{T}"/> instead.
/// </summary>
public static class ContractCodecs
{
    public static ContractCodec<AccessEvent> Access { get; } = WireFormats.Create<AccessEvent>();

    public static ContractCodec<OrderEvent> Order { get; } = WireFormats.Create<OrderEvent>();

    public static ContractCodec<KeyRegistryRecord> Registry { get; } = WireFormats.Create<KeyRegistryRecord>();

    public static ContractCodec<KeyLifecycleEvent> Lifecycle { get; } = WireFormats.Create<KeyLifecycleEvent>();

    public static ContractCodec<EnforcementCommand> Command { get; } = WireFormats.Create<EnforcementCommand>();

    public static ContractCodec<Alert> Alert { get; } = WireFormats.Create<Alert>();

    public static ContractCodec<DeadLetter> DeadLetter { get; } = WireFormats.Create<DeadLetter>();

    public static ContractCodec<FeatureSnapshot> Features { get; } = WireFormats.Create<FeatureSnapshot>();
}
