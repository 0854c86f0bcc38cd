using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Detection.Fleet;
using KeyShareDetector.Detection.Signals;
using KeyShareDetector.Detection.State;

namespace KeyShareDetector.Streams.Topology;

/// <summary>Which input a record came from.</summary>
public enum InputKind : byte { Access = 1, Order = 2, Registry = 3, RegistryDeleted = 4, Lifecycle = 5, Downgrade = 6, FleetFinding = 7 }

/// <summary>One parsed, validated input record for the per-key stage (exactly one payload is set).</summary>
/// <remarks><see cref="InputKind.Downgrade"/> comes from the breaker stage: the rung the exchange was actually told;
/// <see cref="InputKind.FleetFinding"/> from the fleet stage: evidence shared with other keys.</remarks>
public sealed record KeyInput(InputKind Kind, AccessEvent? Access = null, OrderEvent? Order = null,
    KeyRegistryRecord? Registry = null, KeyLifecycleEvent? Lifecycle = null, KeyState Applied = KeyState.NORMAL,
    SignalFinding? Finding = null, long FindingTs = 0)
{
    /// <summary>Binary form for internal topics: one kind byte, then the payload in Avro single-object encoding.</summary>
    public static byte[] Encode(KeyInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        byte[] body = input.Kind switch
        {
            InputKind.Access => ContractCodecs.Access.SerializeAvro(input.Access!),
            InputKind.Order => ContractCodecs.Order.SerializeAvro(input.Order!),
            InputKind.Registry => ContractCodecs.Registry.SerializeAvro(input.Registry!),
            InputKind.Lifecycle => ContractCodecs.Lifecycle.SerializeAvro(input.Lifecycle!),
            InputKind.Downgrade => [(byte)input.Applied],
            InputKind.FleetFinding => EncodeFinding(input.Finding!, input.FindingTs),
            _ => [],
        };
        var bytes = new byte[body.Length + 1];
        bytes[0] = (byte)input.Kind;
        body.CopyTo(bytes, 1);
        return bytes;
    }

    private static byte[] EncodeFinding(SignalFinding finding, long ts)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(ts);
            KeyRiskStateCodec.WriteFinding(w, finding);
        }
        return ms.ToArray();
    }

    private static KeyInput DecodeFinding(byte[] body)
    {
        using var r = new BinaryReader(new MemoryStream(body), System.Text.Encoding.UTF8);
        long ts = r.ReadInt64();
        return new KeyInput(InputKind.FleetFinding, Finding: KeyRiskStateCodec.ReadFinding(r), FindingTs: ts);
    }

    public static KeyInput Decode(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var body = bytes.AsSpan(1);
        return (InputKind)bytes[0] switch
        {
            InputKind.Access => new(InputKind.Access, Access: ContractCodecs.Access.Deserialize(body)),
            InputKind.Order => new(InputKind.Order, Order: ContractCodecs.Order.Deserialize(body)),
            InputKind.Registry => new(InputKind.Registry, Registry: ContractCodecs.Registry.Deserialize(body)),
            InputKind.RegistryDeleted => new(InputKind.RegistryDeleted),
            InputKind.Lifecycle => new(InputKind.Lifecycle, Lifecycle: ContractCodecs.Lifecycle.Deserialize(body)),
            InputKind.Downgrade => new(InputKind.Downgrade, Applied: (KeyState)body[0]),
            InputKind.FleetFinding => DecodeFinding(body.ToArray()),
            var k => throw new InvalidDataException($"unknown key input kind {k}"),
        };
    }
}

/// <summary>An input record after parsing and validation: either a usable input or a dead letter.</summary>
/// <remarks><see cref="NeedsRekey"/>: the record had no key, so it may sit on another partition than the rest of
/// its key's records; it goes through an internal repartition topic keyed by its api key id.</remarks>
public sealed record InboundRecord(KeyInput? Input, DeadLetter? DeadLetter, bool NeedsRekey = false);

/// <summary>What the per-key stage emits: a command, a feature snapshot, observations for the fleet stage.</summary>
public sealed record DetectorOutput(EnforcementCommand? Command, FeatureSnapshot? Snapshot, IReadOnlyList<FleetObservation>? Observations = null);

/// <summary>What the breaker stage emits for one command: the final command, alerts, and whether it was downgraded.</summary>
public sealed record BreakerOutput(EnforcementCommand Command, IReadOnlyList<Alert> Alerts, bool Downgraded);
