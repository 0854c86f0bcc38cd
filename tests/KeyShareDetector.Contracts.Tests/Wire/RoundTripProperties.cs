using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using KeyShareDetector.Contracts.Tests.TestSupport;
using KeyShareDetector.Contracts.Wire;

namespace KeyShareDetector.Contracts.Tests.Wire;

/// <summary>Round trips and interop over generated records, and robustness of the readers against corrupted bytes.</summary>
[Properties(Arbitrary = [typeof(ContractArbitraries)], MaxTest = 150)]
public sealed class RoundTripProperties
{
    [Property]
    public void Any_access_event_round_trips_in_every_format(AccessEvent value) => AssertRoundTrips(value);

    [Property]
    public void Any_order_event_round_trips_in_every_format(OrderEvent value) => AssertRoundTrips(value);

    [Property]
    public void Any_key_registry_record_round_trips_in_every_format(KeyRegistryRecord value) => AssertRoundTrips(value);

    [Property]
    public void Any_key_lifecycle_event_round_trips_in_every_format(KeyLifecycleEvent value) => AssertRoundTrips(value);

    [Property]
    public void Any_enforcement_command_round_trips_in_every_format(EnforcementCommand value) => AssertRoundTrips(value);

    [Property]
    public void Any_alert_round_trips_in_every_format(Alert value) => AssertRoundTrips(value);

    [Property]
    public void Any_dead_letter_round_trips_in_every_format(DeadLetter value) => AssertRoundTrips(value);

    [Property]
    public void Any_feature_snapshot_round_trips_in_every_format(FeatureSnapshot value) => AssertRoundTrips(value);

    [Property]
    public void A_corrupted_access_event_is_read_or_rejected_with_a_contract_exception(AccessEvent value, NonNegativeInt at, byte with) =>
        AssertCorruptionIsContained(value, at.Get, with);

    [Property]
    public void A_corrupted_enforcement_command_is_read_or_rejected_with_a_contract_exception(EnforcementCommand value, NonNegativeInt at, byte with) =>
        AssertCorruptionIsContained(value, at.Get, with);

    [Property]
    public void A_corrupted_key_registry_record_is_read_or_rejected_with_a_contract_exception(KeyRegistryRecord value, NonNegativeInt at, byte with) =>
        AssertCorruptionIsContained(value, at.Get, with);

    [Property]
    public void A_corrupted_feature_snapshot_is_read_or_rejected_with_a_contract_exception(FeatureSnapshot value, NonNegativeInt at, byte with) =>
        AssertCorruptionIsContained(value, at.Get, with);

    [Property]
    public void Random_bytes_after_an_avro_header_are_read_or_rejected_with_a_contract_exception(byte[] body)
    {
        byte[] singleObject = [0xC3, 0x01, .. BitConverter.GetBytes(AvroWireFormat<Alert>.Fingerprint), .. body];

        AssertReadOrContractException<Alert>(singleObject);
        AssertReadOrContractException<Alert>(body);
    }

    private static void AssertRoundTrips<T>(T value)
        where T : class
    {
        ContractCodec<T> codec = WireFormats.Create<T>();

        Assert.Equivalent(value, codec.Deserialize(codec.SerializeJson(value)), strict: true);
        Assert.Equivalent(value, codec.Deserialize(codec.SerializeAvro(value)), strict: true);
        Assert.Equivalent(value, RoundTripThroughSchemaRegistry(value), strict: true);

        // Interop with the reference implementation, both ways, byte for byte.
        byte[] reference = GenericAvro.Write(value);
        Assert.Equal(reference, AvroWireFormat<T>.SerializeBody(value));
        Assert.Equivalent(value, GenericAvro.Read(typeof(T), reference), strict: true);
    }

    private static T RoundTripThroughSchemaRegistry<T>(T value)
        where T : class
    {
        using var registry = new FakeSchemaRegistryClient();
        var options = new WireFormatOptions { Format = WireFormatKind.Avro, SchemaRegistry = registry };

        // The fake registry completes synchronously, and property bodies are synchronous.
        ContractCodec<T> codec = WireFormats.CreateAsync<T>(options, "topic").GetAwaiter().GetResult();
        byte[] framed = codec.Serialize(value);
        Assert.Equal(0, framed[0]);
        return codec.Deserialize(framed);
    }

    private static void AssertCorruptionIsContained<T>(T value, int at, byte with)
        where T : class
    {
        ContractCodec<T> codec = WireFormats.Create<T>();
        foreach (byte[] encoded in new[] { codec.SerializeJson(value), codec.SerializeAvro(value) })
        {
            encoded[at % encoded.Length] = with;
            AssertReadOrContractException<T>(encoded);
            AssertReadOrContractException<T>(encoded[..(at % encoded.Length)]);
        }
    }

    private static void AssertReadOrContractException<T>(byte[] data)
        where T : class
    {
        try
        {
            WireFormats.Create<T>().Deserialize(data);
        }
        catch (ContractException)
        {
            // Rejected as bad data: what the DLQ expects.
        }
    }
}
