using KeyShareDetector.Contracts;

namespace KeyShareDetector.Audit.Ledger;

/// <summary>Where a ledger row came from: the Kafka coordinates of the record it was read from.</summary>
public readonly record struct SourceOffset(string Topic, int Partition, long Offset);

/// <summary>A command read from the enforcement topic, ready to store.</summary>
public sealed record IncomingCommand(EnforcementCommand Command, SourceOffset Source);

/// <summary>An alert read from the alerts topic, ready to store.</summary>
public sealed record IncomingAlert(Alert Alert, SourceOffset Source);

/// <summary>An analyst's verdict on a command.</summary>
public enum DispositionKind { CONFIRMED, FALSE_POSITIVE, NOTE }

/// <summary>Filters for <see cref="AuditLedger.SearchCommandsAsync"/>; null means "any".</summary>
public sealed record CommandQuery
{
    public string? ApiKeyId { get; init; }
    public string? AccountId { get; init; }
    public EnforcementAction? Action { get; init; }
    /// <summary>Inclusive lower bound on issued_at.</summary>
    public DateTimeOffset? From { get; init; }
    /// <summary>Exclusive upper bound on issued_at.</summary>
    public DateTimeOffset? To { get; init; }
    public int Limit { get; init; } = 100;
}

/// <summary>A command as stored in the ledger (without its evidence).</summary>
public sealed record CommandRow
{
    public required string CommandId { get; init; }
    public required string ApiKeyId { get; init; }
    public required string AccountId { get; init; }
    public required string Action { get; init; }
    public required long IssuedAtMs { get; init; }
    public required string PolicyVersion { get; init; }
    public required double RiskScore { get; init; }
    public required string PreviousState { get; init; }
    public required string NewState { get; init; }
    public required bool Shadow { get; init; }
    public required string SourceTopic { get; init; }
    public required int SourcePartition { get; init; }
    public required long SourceOffset { get; init; }

    public DateTimeOffset IssuedAt => DateTimeOffset.FromUnixTimeMilliseconds(IssuedAtMs);
}

/// <summary>One disposition row.</summary>
public sealed record DispositionRow
{
    public required long Id { get; init; }
    public required string CommandId { get; init; }
    public required string Kind { get; init; }
    public required string Analyst { get; init; }
    public string? Note { get; init; }
    public required DateTime CreatedAt { get; init; }
}

/// <summary>A command with its evidence (the reasons, as JSON), the whole command and its dispositions.</summary>
public sealed record CommandDetail(CommandRow Command, string EvidenceJson, string RawJson, IReadOnlyList<DispositionRow> Dispositions);
