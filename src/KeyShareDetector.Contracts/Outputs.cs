namespace KeyShareDetector.Contracts;

/// <summary>A named number behind a reason (count, window bound, speed...).</summary>
public sealed record Metric
{
    public required string Name { get; init; }
    public required double Value { get; init; }
}

/// <summary>Why a command or alert was raised: a stable code, a sentence, the numbers and identifiers behind it.</summary>
public sealed record Reason
{
    public required string Code { get; init; }
    public required string Summary { get; init; }
    // "?? []" (and "?? \"\"" below): null, e.g. a field absent from JSON (the System.Text.Json source generator
    // then passes null and skips the initializer), means the default, so readers never see a null list or string.
    public IReadOnlyList<Metric> Metrics { get; init => field = value ?? []; } = [];
    /// <summary>Identifiers involved (IPs, prefixes, ASNs, countries, order ids), capped in size.</summary>
    public IReadOnlyList<string> Subjects { get; init => field = value ?? []; } = [];
}

/// <summary>A signed instruction to the exchange backend (topic keyshare.enforcement.v1, keyed by api key id).</summary>
public sealed record EnforcementCommand
{
    /// <summary>Deterministic: hash of key, action, policy version and triggering window.</summary>
    public required string CommandId { get; init; }
    public required string ApiKeyId { get; init; }
    public required string AccountId { get; init; }
    public required EnforcementAction Action { get; init; }
    /// <summary>Event time of the triggering record, epoch milliseconds.</summary>
    public required long IssuedAt { get; init; }
    public required string PolicyVersion { get; init; }
    public required double RiskScore { get; init; }
    public IReadOnlyList<Reason> Reasons { get; init => field = value ?? []; } = [];
    public required KeyState PreviousState { get; init; }
    public required KeyState NewState { get; init; }
    /// <summary>Event time after which the backend should ignore the command if not yet applied.</summary>
    public required long ExpiresAt { get; init; }
    public required long WindowStart { get; init; }
    public required long WindowEnd { get; init; }
    /// <summary>True when emitted by a policy in shadow mode (never acted upon).</summary>
    public bool Shadow { get; init; }
    /// <summary>Base64 HMAC-SHA256 over the canonical encoding; empty before signing.</summary>
    public string Signature { get; init => field = value ?? ""; } = "";
    public string SigningKeyId { get; init => field = value ?? ""; } = "";
}

/// <summary>A page-worthy event for on-call (topic keyshare.alerts.v1).</summary>
public sealed record Alert
{
    public required string AlertId { get; init; }
    public required long Ts { get; init; }
    public required AlertSeverity Severity { get; init; }
    /// <summary>Stable alert kind, e.g. REVOKE_ISSUED, BREAKER_TRIPPED, MASS_COMPROMISE, DLQ_RATE, STREAM_THREAD_FAILED.</summary>
    public required string Kind { get; init; }
    /// <summary>Alerts with the same dedup key are one incident.</summary>
    public required string DedupKey { get; init; }
    public required string Summary { get; init; }
    public required string Runbook { get; init; }
    public string? ApiKeyId { get; init; }
    public string? CommandId { get; init; }
    public IReadOnlyList<Metric> Metrics { get; init => field = value ?? []; } = [];
}

/// <summary>A record the detector could not use, with why and where it came from (topic keyshare.dlq.v1).</summary>
public sealed record DeadLetter
{
    public required string SourceTopic { get; init; }
    public required int SourcePartition { get; init; }
    public required long SourceOffset { get; init; }
    /// <summary>Kafka timestamp of the bad record, epoch milliseconds.</summary>
    public required long SourceTimestamp { get; init; }
    /// <summary>Stable machine-readable reason code, e.g. PARSE_ERROR, INVALID_IP, TS_OUT_OF_RANGE.</summary>
    public required string ErrorCode { get; init; }
    /// <summary>Human-readable reason.</summary>
    public required string Reason { get; init; }
    public byte[]? OriginalKey { get; init; }
    public byte[]? OriginalValue { get; init; }
}
