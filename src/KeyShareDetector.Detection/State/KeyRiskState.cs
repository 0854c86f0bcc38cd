using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.Signals;

namespace KeyShareDetector.Detection.State;

/// <summary>Everything the detector remembers about one API key: window aggregates and its rung on the ladder.</summary>
/// <remarks>Stream time is per key (the largest event time seen for it), so decisions do not depend on how
/// keys are spread over partitions: a live run, a replay and a backtest agree.</remarks>
public sealed class KeyRiskState
{
    public KeyRiskState(string apiKeyId, DetectionPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ApiKeyId = apiKeyId;
        IpDiversity = new IpDiversityAggregate(policy.IpDiversity);
    }

    public string ApiKeyId { get; }
    public string AccountId { get; set; } = "";
    /// <summary>Largest event time seen for this key, epoch ms; long.MinValue before the first event.</summary>
    public long StreamTime { get; set; } = long.MinValue;
    /// <summary>Newest bucket up to which expiry has run.</summary>
    public long ExpiredThroughBucket { get; set; } = long.MinValue;
    public long Events { get; set; }
    /// <summary>Records that arrived after every window they belong to had closed (counted, reported, not used).</summary>
    public long LateRecords { get; set; }
    public KeyState Ladder { get; set; } = KeyState.NORMAL;
    public IpDiversityAggregate IpDiversity { get; }
}
