using KeyShareDetector.Audit.Ledger;
using KeyShareDetector.Contracts;

namespace KeyShareDetector.Audit.Tests.Support;

/// <summary>Commands and alerts to feed the ledger.</summary>
internal static class Samples
{
    public static readonly long T0 = new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    public static EnforcementCommand Command(int i, string? key = null, string? account = null, EnforcementAction action = EnforcementAction.WARN, long? issuedAt = null) => new()
    {
        CommandId = $"cmd-{i:D6}",
        ApiKeyId = key ?? $"key-{i % 97}",
        AccountId = account ?? $"acct-{i % 13}",
        Action = action,
        IssuedAt = issuedAt ?? T0 + i * 1000L,
        PolicyVersion = "default-1",
        RiskScore = 0.8,
        Reasons =
        [
            new Reason
            {
                Code = "IP_DIVERSITY",
                Summary = "7 distinct /24 networks in 5 min",
                Metrics = [new Metric { Name = "distinct_networks", Value = 7 }],
                Subjects = ["203.0.113.0/24"],
            },
        ],
        PreviousState = KeyState.MONITORED,
        NewState = KeyState.WARNED,
        ExpiresAt = T0 + 86_400_000L,
        WindowStart = T0 - 300_000L,
        WindowEnd = T0,
    };

    public static Alert Alert(int i, string? commandId = null) => new()
    {
        AlertId = $"alert-{i:D6}",
        Ts = T0 + i,
        Severity = AlertSeverity.WARNING,
        Kind = "REVOKE_ISSUED",
        DedupKey = $"revoke/key-{i}",
        Summary = "key revoked",
        Runbook = "docs/RUNBOOK.md#revoke",
        ApiKeyId = $"key-{i}",
        CommandId = commandId,
    };

    public static IncomingCommand Incoming(EnforcementCommand command, long offset = 0) => new(command, new SourceOffset(Topics.Enforcement, 0, offset));
}
