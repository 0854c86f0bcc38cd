using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using KeyShareDetector.Contracts;

namespace KeyShareDetector.Detection.Alerts;

/// <summary>The alerts on-call receives, with stable kinds, dedup keys and runbook hints; ids are deterministic.</summary>
public static class AlertFactory
{
    public const string RevokeIssued = "REVOKE_ISSUED";
    public const string BreakerTripped = "BREAKER_TRIPPED";
    public const string MassCompromise = "MASS_COMPROMISE";
    public const string DeadLetterRate = "DLQ_RATE";
    public const string StreamThreadFailed = "STREAM_THREAD_FAILED";

    public static Alert ForRevoke(EnforcementCommand c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return Create(RevokeIssued, AlertSeverity.INFO, $"revoke:{c.ApiKeyId}", c.IssuedAt,
            $"REVOKE issued for key {c.ApiKeyId} (account {c.AccountId}), score {c.RiskScore.ToString("F1", CultureInfo.InvariantCulture)}: {(c.Reasons.Count > 0 ? c.Reasons[0].Summary : "")}",
            "docs/RUNBOOK.md#revoke-issued: check the evidence in the command; the backend expires the key; answer the owner's appeal with the reasons",
            c.ApiKeyId, c.CommandId, [("risk_score", c.RiskScore)]);
    }

    public static Alert ForBreaker(long ts, string policyVersion, int maxRevokes, long windowMs, string firstDowngradedKey) =>
        Create(BreakerTripped, AlertSeverity.CRITICAL, $"breaker:{policyVersion}", ts,
            string.Create(CultureInfo.InvariantCulture,
                $"revoke breaker tripped: more than {maxRevokes} revokes within {windowMs / 60_000} min under policy {policyVersion}; further revokes are downgraded to REAUTH"),
            "docs/RUNBOOK.md#breaker-tripped: a rule may be revoking far too many keys; check the policy version, switch it to shadow mode or roll back",
            firstDowngradedKey, null, [("max_revokes", maxRevokes), ("window_ms", windowMs)]);

    public static Alert ForMassCompromise(long ts, string network, int keys, long windowStart, long windowEnd, IReadOnlyList<string> sampleKeys) =>
        Create(MassCompromise, AlertSeverity.CRITICAL, $"mass-compromise:{network}:{windowStart}", ts,
            string.Create(CultureInfo.InvariantCulture,
                $"{keys} keys first used from {network} within {(windowEnd - windowStart) / 60_000} min: possible leak of many keys (3Commas-like)"),
            "docs/RUNBOOK.md#mass-compromise: block the network at the edge, check the listed keys' owners, consider forced rotation",
            sampleKeys.Count > 0 ? sampleKeys[0] : null, null, [("keys", keys), ("window_start", windowStart), ("window_end", windowEnd)]);

    public static Alert ForDeadLetterRate(long minuteStart, string topic, long count, long threshold) =>
        Create(DeadLetterRate, AlertSeverity.WARNING, $"dlq-rate:{topic}:{minuteStart}", minuteStart,
            string.Create(CultureInfo.InvariantCulture, $"{count} records from {topic} dead-lettered within one minute (threshold {threshold})"),
            "docs/RUNBOOK.md#dlq-rate: read keyshare.dlq.v1 for the error codes; usually a producer changed its format",
            null, null, [("count", count), ("threshold", threshold)]);

    public static Alert ForStreamFailure(long ts, string applicationId, string detail) =>
        Create(StreamThreadFailed, AlertSeverity.CRITICAL, $"stream-failed:{applicationId}", ts,
            $"a stream thread of {applicationId} died: {detail}",
            "docs/RUNBOOK.md#stream-thread-failed: the instance stops detecting; check its logs and restart it",
            null, null, []);

    private static Alert Create(string kind, AlertSeverity severity, string dedupKey, long ts, string summary, string runbook,
        string? apiKeyId, string? commandId, IEnumerable<(string Name, double Value)> metrics)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"ksd-alert-v1\n{kind}\n{dedupKey}\n{ts}")), hash);
        return new Alert
        {
            AlertId = Convert.ToHexStringLower(hash[..16]),
            Ts = ts,
            Severity = severity,
            Kind = kind,
            DedupKey = dedupKey,
            Summary = summary,
            Runbook = runbook,
            ApiKeyId = apiKeyId,
            CommandId = commandId,
            Metrics = metrics.Select(m => new Metric { Name = m.Name, Value = m.Value }).ToList(),
        };
    }
}
