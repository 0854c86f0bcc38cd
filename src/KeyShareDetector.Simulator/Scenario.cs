using KeyShareDetector.Contracts;

namespace KeyShareDetector.Simulator;

/// <summary>Which input topic a simulated record belongs on.</summary>
public enum SimTopic : byte { Access, Orders, Registry, Lifecycle }

/// <summary>One simulated input record: exactly one payload is set; <see cref="Key"/> is the api key id.</summary>
public sealed record SimRecord(SimTopic Topic, string Key, long Ts, AccessEvent? Access = null, OrderEvent? Order = null,
    KeyRegistryRecord? Registry = null, KeyLifecycleEvent? Lifecycle = null)
{
    public static SimRecord Of(AccessEvent e) => new(SimTopic.Access, e.ApiKeyId, e.Ts, Access: e);
    public static SimRecord Of(OrderEvent e) => new(SimTopic.Orders, e.ApiKeyId, e.Ts, Order: e);
    public static SimRecord Of(KeyRegistryRecord r, long ts) => new(SimTopic.Registry, r.ApiKeyId, ts, Registry: r);
    public static SimRecord Of(KeyLifecycleEvent e) => new(SimTopic.Lifecycle, e.ApiKeyId, e.Ts, Lifecycle: e);
}

/// <summary>A labelled traffic sample: registry records first, then every event in event-time order.</summary>
public sealed class Scenario
{
    public Scenario(IReadOnlyList<KeyLabel> labels, IReadOnlyList<SimRecord> records)
    {
        Labels = labels;
        Records = records;
    }

    /// <summary>Ground truth: each key's population and, for abusive ones, when the abuse starts (event time).</summary>
    public IReadOnlyList<KeyLabel> Labels { get; }

    public IReadOnlyList<SimRecord> Records { get; }

    public int EventCount => Records.Count(r => r.Topic is SimTopic.Access or SimTopic.Orders);
}
