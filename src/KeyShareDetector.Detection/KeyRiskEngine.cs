using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.Signals;
using KeyShareDetector.Detection.State;

namespace KeyShareDetector.Detection;

/// <summary>What one record did to a key: a command to emit, a feature snapshot to publish, whether it came too late.</summary>
public readonly record struct EngineOutcome(EnforcementCommand? Command, bool Late, FeatureSnapshot? Snapshot)
{
    public static EngineOutcome None { get; } = new(null, false, null);
}

/// <summary>
/// Applies one record to a key's state and decides, deterministically from event data alone, whether to act.
/// The same code serves the live topology, replays, backtests and benchmarks.
/// </summary>
public sealed class KeyRiskEngine
{
    /// <summary>How long a finding keeps counting in the risk score after it was last seen (ms of event time).</summary>
    public const long FindingHoldMs = 600_000;

    private readonly CommandSigner _signer;
    private readonly IGeoLookup? _geo;

    public KeyRiskEngine(DetectionPolicy policy, CommandSigner signer, IGeoLookup? geo = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var errors = policy.Validate();
        if (errors.Count > 0) throw new ArgumentException("invalid policy: " + string.Join("; ", errors), nameof(policy));
        Policy = policy;
        _signer = signer;
        _geo = geo;
    }

    public DetectionPolicy Policy { get; }

    public KeyRiskState NewState(string apiKeyId) => new(apiKeyId, Policy);

    /// <summary>Takes the key's registry record (allowlist, permissions, platform) for the events that follow.</summary>
    public void OnRegistry(KeyRiskState state, KeyRegistryRecord record)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(record);
        state.Registry = record;
        state.AccountId = record.AccountId;
    }

    /// <summary>Applies a validated access event (its IP parses) to the key's state.</summary>
    public EngineOutcome OnAccess(KeyRiskState state, AccessEvent e)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(e);
        long streamTime = Math.Max(state.StreamTime, e.Ts);
        state.StreamTime = streamTime;
        state.AccountId = e.AccountId;
        state.Events++;

        // The newest window this record belongs to starts in its own bucket; if even that one is closed, it is late.
        var window = Policy.IpDiversity.Window;
        if (window.IsClosed(window.BucketOf(e.Ts), streamTime))
        {
            state.LateRecords++;
            return new EngineOutcome(null, true, null);
        }

        var ctx = Enrich(state, e);
        var findings = new List<SignalFinding>(2);
        state.IpDiversity.OnAccess(ctx, Policy.IpDiversity, streamTime, findings);
        state.Unregistered.OnAccess(ctx, Policy.UnregisteredAccess, findings);
        state.Travel.OnAccess(ctx, Policy.ImpossibleTravel, findings);
        state.Sessions.OnAccess(ctx, Policy.ConcurrentSessions, findings);
        state.Fingerprints.OnAccess(ctx, Policy.FingerprintDiversity, findings);
        return Decide(state, e.Ts, findings);
    }

    private AccessContext Enrich(KeyRiskState state, AccessEvent e)
    {
        var address = System.Net.IPAddress.Parse(e.Ip);
        var geo = _geo?.Lookup(address) ?? GeoInfo.Unknown;
        string prefix = IpPrefix.NetworkOf(e.Ip) ?? e.Ip;
        string network = geo.Asn is { } asn ? "AS" + asn.ToString(System.Globalization.CultureInfo.InvariantCulture) : prefix;
        bool hasAllowlist = !state.Allowlist.IsEmpty;
        bool registered = hasAllowlist && state.Allowlist.Contains(address);
        bool platform = registered && state.Registry?.PlatformId is not null;
        return new AccessContext(e, address, prefix, network, geo, hasAllowlist, registered, platform, e.Permission ?? PermissionOf(e.Endpoint));
    }

    /// <summary>Permission an endpoint needs when the exchange did not say: withdrawals, then trading, else read.</summary>
    public static Permission PermissionOf(string endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.Contains("withdraw", StringComparison.OrdinalIgnoreCase)) return Permission.WITHDRAW;
        if (endpoint.Contains("order", StringComparison.OrdinalIgnoreCase) || endpoint.Contains("trade", StringComparison.OrdinalIgnoreCase)) return Permission.TRADE;
        return Permission.READ;
    }

    private EngineOutcome Decide(KeyRiskState state, long ts, List<SignalFinding> findings)
    {
        foreach (var f in findings) state.Active[f.Code] = new ActiveFinding(f, ts);
        List<string>? stale = null;
        foreach (var (code, a) in state.Active)
        {
            if (a.SeenAt < state.StreamTime - FindingHoldMs) (stale ??= []).Add(code);
        }
        if (stale is not null) foreach (var code in stale) state.Active.Remove(code);

        double score = 0;
        ActiveFinding? lead = null;
        double leadContribution = -1;
        foreach (var (code, a) in state.Active)
        {
            double contribution = Contribution(a.Finding);
            score += contribution;
            if (contribution > leadContribution)
            {
                lead = a;
                leadContribution = contribution;
            }
        }
        score = Math.Round(score, 4);
        state.LastScore = score;

        EnforcementCommand? command = null;
        if (score >= Policy.WarnScore && state.Ladder < KeyState.WARNED && lead is not null)
        {
            command = Command(state, EnforcementAction.WARN, KeyState.WARNED, ts, score, lead.Finding);
            state.Ladder = KeyState.WARNED;
        }

        long bucket = Policy.IpDiversity.Window.BucketOf(state.StreamTime);
        FeatureSnapshot? snapshot = null;
        if (findings.Count > 0 || command is not null || bucket != state.LastSnapshotBucket)
        {
            state.LastSnapshotBucket = bucket;
            snapshot = Snapshot(state, ts, score);
        }
        return new EngineOutcome(command, false, snapshot);
    }

    private double Contribution(SignalFinding f) => Policy.WeightOf(f.Code) * Math.Min(f.Strength, Policy.StrengthCap);

    /// <summary>Reasons of the active findings, strongest contribution first (ties by code).</summary>
    private List<Reason> Reasons(KeyRiskState state)
    {
        var list = state.Active.Values.Where(a => Contribution(a.Finding) > 0).ToList();
        list.Sort((a, b) =>
        {
            int c = Contribution(b.Finding).CompareTo(Contribution(a.Finding));
            return c != 0 ? c : string.CompareOrdinal(a.Finding.Code, b.Finding.Code);
        });
        return list.Select(a => a.Finding.Reason).ToList();
    }

    private EnforcementCommand Command(KeyRiskState state, EnforcementAction action, KeyState next, long ts, double score, SignalFinding lead)
    {
        var command = new EnforcementCommand
        {
            CommandId = CommandIdentity.Of(state.ApiKeyId, action, Policy.Version, lead.WindowStart, lead.WindowEnd),
            ApiKeyId = state.ApiKeyId,
            AccountId = state.AccountId,
            Action = action,
            IssuedAt = ts,
            PolicyVersion = Policy.Version,
            RiskScore = score,
            Reasons = Reasons(state),
            PreviousState = state.Ladder,
            NewState = next,
            ExpiresAt = ts + Policy.CommandTtlMs,
            WindowStart = lead.WindowStart,
            WindowEnd = lead.WindowEnd,
        };
        return _signer.Sign(command);
    }

    private FeatureSnapshot Snapshot(KeyRiskState state, long ts, double score)
    {
        var window = Policy.IpDiversity.Window;
        long start = window.BucketOf(state.StreamTime) - window.BucketsPerWindow + 1;
        var d = state.IpDiversity;
        var caps = new List<string>();
        if (d.Ips.Overflowed) caps.Add("ips");
        if (d.Networks.Overflowed) caps.Add("networks");
        if (state.Sessions.Overflowed) caps.Add("sessions");
        if (state.Fingerprints.Overflowed) caps.Add("fingerprints");
        return new FeatureSnapshot
        {
            ApiKeyId = state.ApiKeyId,
            AccountId = state.AccountId,
            Ts = ts,
            WindowStart = window.WindowStart(start),
            WindowEnd = window.WindowEnd(start),
            PolicyVersion = Policy.Version,
            State = state.Ladder,
            RiskScore = score,
            Metrics =
            [
                new Metric { Name = "distinct_ips", Value = d.Ips.CountWindow(start) },
                new Metric { Name = "distinct_prefixes", Value = d.Prefixes.CountWindow(start) },
                new Metric { Name = "distinct_networks", Value = d.Networks.CountWindow(start) },
                new Metric { Name = "distinct_countries", Value = d.Countries.CountWindow(start) },
                new Metric { Name = "tracked_sessions", Value = state.Sessions.Tracked },
                new Metric { Name = "unregistered_ips", Value = state.Unregistered.Hits },
                new Metric { Name = "events", Value = state.Events },
            ],
            Findings = Reasons(state),
            LateRecords = state.LateRecords,
            CapsExceeded = caps,
        };
    }
}
