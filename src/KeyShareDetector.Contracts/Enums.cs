namespace KeyShareDetector.Contracts;

/// <summary>Side of an order.</summary>
public enum OrderSide { BUY, SELL }

/// <summary>What happened to an order.</summary>
public enum OrderEventType { PLACE, CANCEL, FILL, MODIFY }

/// <summary>What an API key may do; unregistered use of a stronger permission weighs more.</summary>
public enum Permission { READ, TRADE, WITHDRAW }

/// <summary>Status of a key in the exchange's registry.</summary>
public enum KeyStatus { ACTIVE, SUSPENDED, REVOKED, EXPIRED }

/// <summary>Feedback from the exchange backend about a key.</summary>
public enum LifecycleKind { REAUTH_COMPLETED, KEY_ROTATED, KEY_REVOKED, KEY_CREATED, ALLOWLIST_CHANGED }

/// <summary>Enforcement action the exchange backend applies to a key.</summary>
public enum EnforcementAction { WARN, REAUTH, REVOKE }

/// <summary>Rung of the DAXA escalation ladder a key is on.</summary>
public enum KeyState { NORMAL, MONITORED, WARNED, REAUTH_REQUIRED, REVOKED }

/// <summary>How urgently on-call must look at an alert.</summary>
public enum AlertSeverity { INFO, WARNING, CRITICAL }
