using KeyShareDetector.Audit.Ledger;
using KeyShareDetector.Contracts;

namespace KeyShareDetector.Audit.Sink;

/// <summary>Settings of the ledger sink (the consumer that writes the enforcement and alert topics to PostgreSQL).</summary>
public sealed record LedgerSinkOptions
{
    public required string BootstrapServers { get; init; }
    /// <summary>Consumer group: instances with the same group split the partitions.</summary>
    public string GroupId { get; init; } = "keyshare-audit-ledger";
    public string CommandTopic { get; init; } = Topics.Enforcement;
    public string AlertTopic { get; init; } = Topics.Alerts;
    /// <summary>Most records stored per database transaction.</summary>
    public int MaxBatchSize { get; init; } = 1000;
    /// <summary>Longest a partial batch waits for more records before it is stored.</summary>
    public TimeSpan MaxBatchWait { get; init; } = TimeSpan.FromMilliseconds(200);
    /// <summary>Extra librdkafka settings (SASL, SSL...), applied before ours.</summary>
    public IReadOnlyDictionary<string, string> KafkaSettings { get; init; } = new Dictionary<string, string>();
    public LedgerResilienceOptions Resilience { get; init; } = new();

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(BootstrapServers)) yield return "bootstrapServers: required (--bootstrap-servers or KAFKA_BOOTSTRAP_SERVERS)";
        if (string.IsNullOrWhiteSpace(GroupId)) yield return "groupId: must not be empty";
        if (MaxBatchSize < 1) yield return "maxBatchSize: must be >= 1";
        if (MaxBatchWait <= TimeSpan.Zero) yield return "maxBatchWait: must be > 0";
    }
}
