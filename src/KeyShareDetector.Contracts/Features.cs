namespace KeyShareDetector.Contracts;

/// <summary>
/// What the detector knows about one key at one moment (topic keyshare.features.v1, keyed by api key id):
/// the window's numbers, the signals active now, the risk score and the ladder state. Emitted when a signal
/// fires and at most once per window hop otherwise; analysts read it as the evidence behind commands.
/// </summary>
public sealed record FeatureSnapshot
{
    public required string ApiKeyId { get; init; }
    public required string AccountId { get; init; }
    /// <summary>Event time of the record that produced the snapshot, epoch ms.</summary>
    public required long Ts { get; init; }
    public required long WindowStart { get; init; }
    public required long WindowEnd { get; init; }
    public required string PolicyVersion { get; init; }
    public required KeyState State { get; init; }
    public required double RiskScore { get; init; }
    /// <summary>Feature values (distinct IPs, networks, countries, sessions, orders...) by name.</summary>
    public IReadOnlyList<Metric> Metrics { get; init => field = value ?? []; } = [];
    /// <summary>Signals active at this moment, with their evidence.</summary>
    public IReadOnlyList<Reason> Findings { get; init => field = value ?? []; } = [];
    /// <summary>Records of this key that arrived after their windows closed.</summary>
    public long LateRecords { get; init; }
    /// <summary>Per-key caps that were exceeded (itself evidence of a hostile or abused key).</summary>
    public IReadOnlyList<string> CapsExceeded { get; init => field = value ?? []; } = [];
}
