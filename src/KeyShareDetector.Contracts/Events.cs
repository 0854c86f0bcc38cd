namespace KeyShareDetector.Contracts;

/// <summary>One authenticated API request made with a key (topic exchange.api-access.v1, keyed by api key id).</summary>
public sealed record AccessEvent
{
    public required string EventId { get; init; }
    /// <summary>Server receive time, epoch milliseconds (event time).</summary>
    public required long Ts { get; init; }
    public required string ApiKeyId { get; init; }
    public required string AccountId { get; init; }
    public required string Ip { get; init; }
    public required string UserAgent { get; init; }
    public string? SessionId { get; init; }
    public required string Endpoint { get; init; }
    public string? Method { get; init; }
    public int? Status { get; init; }
    /// <summary>Client-supplied timestamp, epoch milliseconds, when the API carries one.</summary>
    public long? ClientTs { get; init; }
    public string? TlsFingerprint { get; init; }
    /// <summary>Permission the endpoint needs, when the exchange knows it.</summary>
    public Permission? Permission { get; init; }
}

/// <summary>An order lifecycle event (topic exchange.orders.v1, keyed by api key id).</summary>
public sealed record OrderEvent
{
    public required string EventId { get; init; }
    public required long Ts { get; init; }
    public required string ApiKeyId { get; init; }
    public required string AccountId { get; init; }
    public required string OrderId { get; init; }
    public required string Symbol { get; init; }
    public required OrderSide Side { get; init; }
    public required OrderEventType EventType { get; init; }
    public required double Price { get; init; }
    public required double Quantity { get; init; }
    public double FilledQuantity { get; init; }
    public double? BestBid { get; init; }
    public double? BestAsk { get; init; }
    public string? Ip { get; init; }
    public string? SessionId { get; init; }
}

/// <summary>A key as the exchange registered it (compacted topic exchange.key-registry.v1, keyed by api key id).</summary>
public sealed record KeyRegistryRecord
{
    public required string ApiKeyId { get; init; }
    public required string AccountId { get; init; }
    // "?? []": a null (e.g. a field absent from JSON: the System.Text.Json source generator then passes null and
    // skips the initializer) means empty, so readers never see a null list.
    /// <summary>Allowlisted CIDRs, IPv4 or IPv6; empty means no allowlist.</summary>
    public IReadOnlyList<string> AllowedCidrs { get; init => field = value ?? []; } = [];
    public IReadOnlyList<Permission> Permissions { get; init => field = value ?? []; } = [];
    public KeyStatus Status { get; init; } = KeyStatus.ACTIVE;
    public required long CreatedAt { get; init; }
    public long? ExpiresAt { get; init; }
    /// <summary>Registered delegated platform (bot vendor, copy trading) that uses this key from its published CIDRs.</summary>
    public string? PlatformId { get; init; }
}

/// <summary>Feedback from the exchange backend (topic exchange.key-lifecycle.v1, keyed by api key id).</summary>
public sealed record KeyLifecycleEvent
{
    public required string EventId { get; init; }
    public required long Ts { get; init; }
    public required string ApiKeyId { get; init; }
    public required string AccountId { get; init; }
    public required LifecycleKind Kind { get; init; }
    /// <summary>The command this event answers, when it answers one.</summary>
    public string? CommandId { get; init; }
}
