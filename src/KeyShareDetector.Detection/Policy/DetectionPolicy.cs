using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Fleet;
using KeyShareDetector.Detection.Signals;
using KeyShareDetector.Detection.Signals.Spoofing;
using KeyShareDetector.Detection.Windows;

namespace KeyShareDetector.Detection.Policy;

/// <summary>Thresholds of the IP diversity rule; policy data, never constants in code.</summary>
/// <remarks>"Networks" are ASNs when the geo lookup knows them, else /24 (IPv4) or /64 (IPv6) prefixes, so
/// mobile churn inside one carrier ASN is one network. Traffic from a key's registered CIDRs is not counted.</remarks>
public sealed record IpDiversityRule
{
    public HoppingWindowSpec Window { get; init; } = new(SizeMs: 600_000, HopMs: 60_000, GraceMs: 30_000);
    public int MinDistinctIps { get; init; } = 3;
    /// <summary>Distinct networks (ASN, else prefix) within one window needed to fire.</summary>
    public int MinDistinctNetworks { get; init; } = 3;
    /// <summary>Distinct countries within one window that fire on their own (with at least 2 networks).</summary>
    public int MinDistinctCountries { get; init; } = 3;
    /// <summary>Cap on IPs (and prefixes, networks) tracked exactly per key; beyond it a sketch estimates.</summary>
    public int MaxTrackedIps { get; init; } = 256;
    /// <summary>
    /// Whether hosting/VPN networks count as networks and countries. Off by default: owners switch a VPN on and off
    /// between home and mobile; rented servers are judged by the new-network and mass-compromise rules instead.
    /// </summary>
    public bool CountHosting { get; init; }
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
    /// <summary>Most CIDRs (exchanges allow 10-20), or permissions, one registry record may carry: the key's state keeps them.</summary>
    public int MaxAllowlistEntries { get; init; } = 256;
    /// <summary>
    /// Largest accepted order price, quantity, filled quantity, best bid or ask: keeps every notional (price x quantity)
    /// and its daily sums finite, so no evidence number becomes infinite.
    /// </summary>
    public double MaxOrderAmount { get; init; } = 1e15;
}

/// <summary>Keys, accounts, networks and platforms the policy never acts on (safety valve for known good actors).</summary>
public sealed record PolicyAllowlists
{
    public IReadOnlyList<string> Keys { get; init; } = [];
    public IReadOnlyList<string> Accounts { get; init; } = [];
    /// <summary>Traffic from these CIDRs counts as registered for every key (e.g. the exchange's own egress).</summary>
    public IReadOnlyList<string> Cidrs { get; init; } = [];
    /// <summary>Registered platforms (registry platform_id) whose keys are never acted on.</summary>
    public IReadOnlyList<string> Platforms { get; init; } = [];
}

/// <summary>Fleet-wide revoke-rate breaker: above <see cref="MaxRevokes"/> in <see cref="WindowMs"/> of event time, downgrade to REAUTH.</summary>
public sealed record BreakerRule
{
    public int MaxRevokes { get; init; } = 20;
    public long WindowMs { get; init; } = 600_000;

    public IEnumerable<string> Validate()
    {
        if (MaxRevokes < 0) yield return "breaker.maxRevokes: must be >= 0";
        if (WindowMs <= 0) yield return "breaker.windowMs: must be > 0";
    }
}

/// <summary>The versioned policy the detector applies.</summary>
public sealed record DetectionPolicy
{
    public string Version { get; init; } = "default-1";
    /// <summary>Event time from which this version applies, epoch ms.</summary>
    public long EffectiveFrom { get; init; }
    public IpDiversityRule IpDiversity { get; init; } = new();
    public UnregisteredAccessRule UnregisteredAccess { get; init; } = new();
    public ImpossibleTravelRule ImpossibleTravel { get; init; } = new();
    public ConcurrentSessionsRule ConcurrentSessions { get; init; } = new();
    public FingerprintDiversityRule FingerprintDiversity { get; init; } = new();
    public SpoofingRule Spoofing { get; init; } = new();
    public CrossAccountRule CrossAccount { get; init; } = new();
    public MassCompromiseRule MassCompromise { get; init; } = new();
    public NewCountryNetworkRule NewCountryNetwork { get; init; } = new();
    public PermissionProbeRule PermissionProbe { get; init; } = new();
    public InputLimits Limits { get; init; } = new();
    /// <summary>A finding's strength counts at most this much in the risk score.</summary>
    public double StrengthCap { get; init; } = 3;
    public LadderRule Ladder { get; init; } = new();
    public PolicyAllowlists Allowlists { get; init; } = new();
    public BreakerRule Breaker { get; init; } = new();
    /// <summary>Shadow (dry-run) mode: commands are marked shadow and go to the shadow topic, never to the live one.</summary>
    public bool Shadow { get; init; }
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
        if (IpDiversity.MinDistinctNetworks < 2) errors.Add("ipDiversity.minDistinctNetworks: must be >= 2");
        if (IpDiversity.MinDistinctCountries < 2) errors.Add("ipDiversity.minDistinctCountries: must be >= 2");
        if (IpDiversity.MaxTrackedIps < IpDiversity.MinDistinctIps) errors.Add("ipDiversity.maxTrackedIps: must be >= minDistinctIps");
        errors.AddRange(UnregisteredAccess.Validate());
        errors.AddRange(ImpossibleTravel.Validate());
        errors.AddRange(ConcurrentSessions.Validate());
        errors.AddRange(FingerprintDiversity.Validate());
        errors.AddRange(Spoofing.Validate());
        errors.AddRange(CrossAccount.Validate());
        errors.AddRange(MassCompromise.Validate());
        errors.AddRange(NewCountryNetwork.Validate());
        errors.AddRange(PermissionProbe.Validate());
        if (StrengthCap <= 0) errors.Add("strengthCap: must be > 0");
        if (!(Limits.MaxOrderAmount > 0) || !double.IsFinite(Limits.MaxOrderAmount) || Limits.MaxOrderAmount > 1e150)
            errors.Add("limits.maxOrderAmount: must be > 0 and at most 1e150 (its square must stay finite)");
        errors.AddRange(Ladder.Validate());
        errors.AddRange(Breaker.Validate());
        var invalid = new List<string>();
        Net.CidrSet.Parse(Allowlists.Cidrs, invalid);
        foreach (var c in invalid) errors.Add($"allowlists.cidrs: '{c}' is not a CIDR");
        if (CommandTtlMs <= 0) errors.Add("commandTtlMs: must be > 0");
        return errors;
    }

    /// <summary>The weight of a signal code in the risk score (0 for informational codes).</summary>
    public double WeightOf(string code) => code switch
    {
        "IP_DIVERSITY" => IpDiversity.Weight,
        "UNREGISTERED_IP" => UnregisteredAccess.Weight,
        "IMPOSSIBLE_TRAVEL" => ImpossibleTravel.Weight,
        "CONCURRENT_SESSIONS" => ConcurrentSessions.Weight,
        "FINGERPRINT_INTERLEAVING" => FingerprintDiversity.Weight,
        "CROSS_ACCOUNT_IP" or "CROSS_ACCOUNT_PREFIX" or "CROSS_ACCOUNT_FINGERPRINT" => CrossAccount.Weight,
        "MASS_COMPROMISE" => MassCompromise.Weight,
        "NEW_COUNTRY_NETWORK" => NewCountryNetwork.Weight,
        Signals.PermissionProbe.Code => PermissionProbe.Weight,
        _ => Spoofing.WeightOf(code),
    };
}
