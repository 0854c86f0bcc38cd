using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Fleet;
using KeyShareDetector.Detection.Net;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.Signals;
using KeyShareDetector.Detection.Signals.Spoofing;

namespace KeyShareDetector.Detection.State;

/// <summary>A signal's latest finding, kept while it is recent enough to count in the risk score.</summary>
public sealed record ActiveFinding(SignalFinding Finding, long SeenAt);

/// <summary>Everything the detector remembers about one API key: its registry record, signal aggregates, active
/// findings and its rung on the ladder.</summary>
/// <remarks>Stream time is per key (the largest event time seen for it), so decisions do not depend on how
/// keys are spread over partitions: a live run, a replay and a backtest agree.</remarks>
public sealed class KeyRiskState
{
    private KeyRegistryRecord? _registry;

    public KeyRiskState(string apiKeyId, DetectionPolicy policy)
        : this(apiKeyId, (policy ?? throw new ArgumentNullException(nameof(policy))).Spoofing)
    {
        IpDiversity = new IpDiversityAggregate(policy.IpDiversity);
        _spoofing = new SpoofingAggregate();
    }

    // For the codec, which reads the IP diversity and spoofing aggregates whole and sets them: not made twice per record.
    private KeyRiskState(string apiKeyId, SpoofingRule spoofingRule)
    {
        ApiKeyId = apiKeyId;
        SpoofingRule = spoofingRule;
        IpDiversity = null!;
    }

    /// <summary>A state for the codec to fill: its IP diversity and spoofing aggregates are set by the caller.</summary>
    internal static KeyRiskState ForDecoding(string apiKeyId, DetectionPolicy policy) => new(apiKeyId, policy.Spoofing);

    /// <summary>
    /// This state, emptied to be filled by the codec with another key's (as <see cref="ForDecoding"/> makes one): every
    /// counter, the ladder, the registry and the findings as a new state has them, the aggregates cleared but kept with
    /// their lists and tables, so reading key after key into one state does not build them again. The IP diversity
    /// aggregate is left for the codec, which keeps it when the stored one has the same window and cap.
    /// </summary>
    internal KeyRiskState ResetForDecoding(string apiKeyId, DetectionPolicy policy)
    {
        ApiKeyId = apiKeyId;
        SpoofingRule = policy.Spoofing;
        AccountId = "";
        StreamTime = long.MinValue;
        Events = 0;
        LateRecords = 0;
        Ladder.Clear();
        LastScore = 0;
        LastSnapshotBucket = long.MinValue;
        Registry = null;
        Unregistered.Clear();
        Travel.Clear();
        Sessions.Clear();
        Fingerprints.Clear();
        Fleet.Clear();
        _spoofing = null;
        _spoofingSection = null;
        Active.Clear();
        return this;
    }

    /// <summary>The spoofing rule of the policy the state was made or read under: its figures are stored as counted under it.</summary>
    internal SpoofingRule SpoofingRule { get; private set; }

    public string ApiKeyId { get; private set; }
    public string AccountId { get; set; } = "";
    /// <summary>Largest event time seen for this key, epoch ms; long.MinValue before the first event.</summary>
    public long StreamTime { get; set; } = long.MinValue;
    public long Events { get; set; }
    /// <summary>Records that arrived after every window they belong to had closed (counted, reported, not used).</summary>
    public long LateRecords { get; set; }
    public LadderState Ladder { get; } = new();
    public double LastScore { get; set; }
    /// <summary>Hop bucket of the last feature snapshot, so at most one routine snapshot per hop is emitted.</summary>
    public long LastSnapshotBucket { get; set; } = long.MinValue;

    /// <summary>The key as the exchange registered it; null until a registry record arrives.</summary>
    public KeyRegistryRecord? Registry
    {
        get => _registry;
        set
        {
            _registry = value;
            Allowlist = value is null ? CidrSet.Empty : CidrSet.Parse(value.AllowedCidrs);
        }
    }

    /// <summary>Parsed allowlist of <see cref="Registry"/> (derived, not stored).</summary>
    public CidrSet Allowlist { get; private set; } = CidrSet.Empty;

    public IpDiversityAggregate IpDiversity { get; set; }
    public UnregisteredAccessAggregate Unregistered { get; private set; } = new();
    public ImpossibleTravelAggregate Travel { get; private set; } = new();
    public ConcurrentSessionsAggregate Sessions { get; private set; } = new();
    public FingerprintDiversityAggregate Fingerprints { get; private set; } = new();
    private SpoofingAggregate? _spoofing;
    private SpoofingSection? _spoofingSection;

    /// <summary>The key's spoofing aggregate, decoded from the stored bytes the first time it is asked for.</summary>
    public SpoofingAggregate Spoofing
    {
        get => _spoofing ??= _spoofingSection!.Decode();
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            _spoofing = value;
            _spoofingSection = null;
        }
    }

    /// <summary>The stored spoofing aggregate while it has not been decoded (null once it has, or if it never was stored).</summary>
    internal SpoofingSection? StoredSpoofing => _spoofing is null ? _spoofingSection : null;

    /// <summary>Takes a stored spoofing aggregate, decoded only when something needs more than <see cref="StoredSpoofing"/> serves.</summary>
    internal void SetSpoofingSection(SpoofingSection section)
    {
        _spoofing = null;
        _spoofingSection = section;
    }

    /// <summary>
    /// <see cref="SpoofingAggregate.AdvanceTo"/>, without decoding a stored aggregate that holds no record due for
    /// release: then moving its stream time on is all it would do.
    /// </summary>
    public void AdvanceSpoofing(long streamTime, SpoofingRule rule, List<SignalFinding> findings)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (StoredSpoofing is { } section && !section.WouldRelease(streamTime, rule))
        {
            section.StreamTime = Math.Max(section.StreamTime, streamTime);
            return;
        }
        Spoofing.AdvanceTo(streamTime, rule, findings);
    }

    /// <summary>The spoofing figures a snapshot shows, from the stored aggregate when they were counted under <paramref name="rule"/>'s window.</summary>
    public SpoofingFigures SpoofingFiguresFor(SpoofingRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (StoredSpoofing is { } section && section.Figures.CycleWindowMs == rule.CycleRepetitionWindowMs) return section.Figures;
        return SpoofingFigures.Of(Spoofing, rule);
    }
    public KeyFleetMemory Fleet { get; private set; } = new();

    /// <summary>Takes every aggregate, the ladder and the counters of <paramref name="fresh"/> (a key starting clean).</summary>
    public void ResetFrom(KeyRiskState fresh)
    {
        ArgumentNullException.ThrowIfNull(fresh);
        IpDiversity = fresh.IpDiversity;
        Unregistered = fresh.Unregistered;
        Travel = fresh.Travel;
        Sessions = fresh.Sessions;
        Fingerprints = fresh.Fingerprints;
        Spoofing = fresh.Spoofing;
        Fleet = fresh.Fleet;
        Active.Clear();
        Ladder.State = KeyState.NORMAL;
        Ladder.EpisodePeak = KeyState.NORMAL;
        Ladder.Closed = false;
        Ladder.ProbationUntil = long.MinValue;
        Ladder.LastEvidenceAt = long.MinValue;
        LastScore = 0;
    }

    /// <summary>Latest finding per signal code, in code order.</summary>
    public SortedDictionary<string, ActiveFinding> Active { get; } = new(StringComparer.Ordinal);
}
