namespace KeyShareDetector.Contracts;

/// <summary>Default topic names; every one is configurable.</summary>
public static class Topics
{
    public const string Access = "exchange.api-access.v1";
    public const string Orders = "exchange.orders.v1";
    public const string Registry = "exchange.key-registry.v1";
    public const string Lifecycle = "exchange.key-lifecycle.v1";
    public const string Policy = "keyshare.policy.v1";
    public const string Enforcement = "keyshare.enforcement.v1";
    public const string EnforcementShadow = "keyshare.enforcement-shadow.v1";
    public const string Alerts = "keyshare.alerts.v1";
    public const string Features = "keyshare.features.v1";
    public const string DeadLetters = "keyshare.dlq.v1";
}
