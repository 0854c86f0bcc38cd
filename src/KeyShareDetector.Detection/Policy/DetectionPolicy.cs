using KeyShareDetector.Detection.Windows;

namespace KeyShareDetector.Detection.Policy;

/// <summary>Thresholds of the IP diversity rule; policy data, never constants in code.</summary>
public sealed record IpDiversityRule
{
    public HoppingWindowSpec Window { get; init; } = new(SizeMs: 600_000, HopMs: 60_000, GraceMs: 30_000);
    public int MinDistinctIps { get; init; } = 3;
    public int MinDistinctPrefixes { get; init; } = 3;
    /// <summary>Cap on IPs (and prefixes) tracked per key so one hostile key cannot exhaust memory.</summary>
    public int MaxTrackedIps { get; init; } = 256;
    public double Weight { get; init; } = 60;
}

/// <summary>Bounds that decide whether an input record is usable at all.</summary>
public sealed record InputLimits
{
    /// <summary>Longest accepted identifier (key, account, session, event id).</summary>
    public int MaxIdLength { get; init; } = 128;
    public int MaxTextLength { get; init; } = 1024;
    /// <summary>Earliest accepted event time (2015-01-01) and latest (2100-01-01), epoch ms.</summary>
    public long MinTs { get; init; } = 1_420_070_400_000;
    public long MaxTs { get; init; } = 4_102_444_800_000;
    /// <summary>Largest accepted distance between the payload ts and the Kafka record timestamp.</summary>
    public long MaxRecordSkewMs { get; init; } = 24L * 3600 * 1000;
}

/// <summary>The versioned policy the detector applies.</summary>
public sealed record DetectionPolicy
{
    public string Version { get; init; } = "default-1";
    /// <summary>Event time from which this version applies, epoch ms.</summary>
    public long EffectiveFrom { get; init; }
    public IpDiversityRule IpDiversity { get; init; } = new();
    public InputLimits Limits { get; init; } = new();
    /// <summary>How long after issue a command stays actionable, ms of event time.</summary>
    public long CommandTtlMs { get; init; } = 24L * 3600 * 1000;

    public static DetectionPolicy Default { get; } = new();

    /// <summary>Every problem with the policy, one line each, naming the setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Version)) errors.Add("version: must not be empty");
        if (IpDiversity.Window.Validate() is { } w) errors.Add("ipDiversity.window: " + w);
        if (IpDiversity.MinDistinctIps < 2) errors.Add("ipDiversity.minDistinctIps: must be >= 2");
        if (IpDiversity.MinDistinctPrefixes < 1) errors.Add("ipDiversity.minDistinctPrefixes: must be >= 1");
        if (IpDiversity.MaxTrackedIps < IpDiversity.MinDistinctIps) errors.Add("ipDiversity.maxTrackedIps: must be >= minDistinctIps");
        if (CommandTtlMs <= 0) errors.Add("commandTtlMs: must be > 0");
        return errors;
    }
}
