using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Json;
using KeyShareDetector.Contracts.Wire;

namespace KeyShareDetector.Streams;

/// <summary>The codecs one detector instance uses: readers accept every wire format, writers use the configured one.</summary>
public sealed class WireCodecs
{
    private WireCodecs(ContractCodec<AccessEvent> access, ContractCodec<EnforcementCommand> command, ContractCodec<DeadLetter> deadLetter,
        ContractCodec<FeatureSnapshot> features)
    {
        Access = access;
        Command = command;
        DeadLetter = deadLetter;
        Features = features;
    }

    public ContractCodec<AccessEvent> Access { get; }
    public ContractCodec<EnforcementCommand> Command { get; }
    public ContractCodec<DeadLetter> DeadLetter { get; }
    public ContractCodec<FeatureSnapshot> Features { get; }

    /// <summary>Codecs without a schema registry (JSON or Avro single-object output).</summary>
    public static WireCodecs Create(WireFormatKind output = WireFormatKind.Json) => new(
        WireFormats.Create<AccessEvent>(output), WireFormats.Create<EnforcementCommand>(output), WireFormats.Create<DeadLetter>(output),
        WireFormats.Create<FeatureSnapshot>(output));

    /// <summary>Codecs for the configured topics; with a registry, schema ids are registered or looked up now.</summary>
    public static async Task<WireCodecs> CreateAsync(WireFormatOptions options, TopicNames topics, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(topics);
        return new WireCodecs(
            await WireFormats.CreateAsync<AccessEvent>(options, topics.Access, cancellationToken),
            await WireFormats.CreateAsync<EnforcementCommand>(options, topics.Enforcement, cancellationToken),
            await WireFormats.CreateAsync<DeadLetter>(options, topics.DeadLetters, cancellationToken),
            await WireFormats.CreateAsync<FeatureSnapshot>(options, topics.Features, cancellationToken));
    }

    public byte[] Write(EnforcementCommand command) => Command.Serialize(command);

    public byte[] Write(DeadLetter deadLetter) => DeadLetter.Serialize(deadLetter);

    /// <summary>JSON through <see cref="FeatureSnapshotJson"/> (the same bytes, written without the generic serializer).</summary>
    public byte[] Write(FeatureSnapshot snapshot) => Features.Format == WireFormatKind.Json ? FeatureSnapshotJson.Serialize(snapshot) : Features.Serialize(snapshot);

    public byte[] Write(Alert alert) => Command.Format == WireFormatKind.Json ? ContractCodecs.Alert.SerializeJson(alert) : ContractCodecs.Alert.SerializeAvro(alert);
}
