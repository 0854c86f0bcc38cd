using FsCheck;
using FsCheck.Fluent;

namespace KeyShareDetector.Contracts.Tests.TestSupport;

/// <summary>
/// FsCheck generators for the contract types. Strings mix ASCII, JSON-special characters, control characters,
/// non-ASCII and surrogate pairs; numbers include the extremes; doubles are finite (JSON has no NaN).
/// </summary>
public static class ContractArbitraries
{
    private static readonly string[] Atoms =
        ["a", "Z", "0", "-", " ", "\"", "\\", "/", "\n", "\t", "\u0001", "\u007f", "é", "中", "😀", "+", "<", "&", "'", "\u2028"];

    private static Gen<string> Text => Gen.Elements(Atoms).ListOf().Select(parts => string.Concat(parts));

    private static Gen<string?> OptionalText => Gen.OneOf(Gen.Constant<string?>(null), Text.Select(s => (string?)s));

    private static Gen<long> Long => Gen.OneOf(
        Gen.Choose(-1000, 1000).Select(i => (long)i),
        Gen.Zip(Gen.Choose(0, int.MaxValue), Gen.Choose(0, 999), (s, ms) => (s * 1000L) + ms),
        Gen.Zip(Gen.Choose(int.MinValue, int.MaxValue), Gen.Choose(int.MinValue, int.MaxValue), (hi, lo) => ((long)hi << 32) | (uint)lo),
        Gen.Elements(long.MinValue, long.MaxValue, 0L, -1L));

    private static Gen<long?> OptionalLong => Gen.OneOf(Gen.Constant<long?>(null), Long.Select(l => (long?)l));

    private static Gen<int> Int => Gen.OneOf(Gen.Choose(-1000, 1000), Gen.Elements(int.MinValue, int.MaxValue));

    private static Gen<double> Double => Gen.OneOf(
        Gen.Zip(Gen.Choose(-1_000_000, 1_000_000), Gen.Choose(-12, 12), (m, e) => m * Math.Pow(10, e)),
        Gen.Elements(0.0, -0.0, 0.1, 1e-300, double.Epsilon, double.MaxValue, double.MinValue, 64_123.45));

    private static Gen<double?> OptionalDouble => Gen.OneOf(Gen.Constant<double?>(null), Double.Select(d => (double?)d));

    private static Gen<TEnum> Enum<TEnum>()
        where TEnum : struct, System.Enum => Gen.Elements(System.Enum.GetValues<TEnum>());

    private static Gen<TEnum?> OptionalEnum<TEnum>()
        where TEnum : struct, System.Enum => Gen.OneOf(Gen.Constant<TEnum?>(null), Enum<TEnum>().Select(e => (TEnum?)e));

    private static Gen<IReadOnlyList<T>> ListOf<T>(Gen<T> item) => item.ListOf().Select(l => (IReadOnlyList<T>)[.. l]);

    private static Gen<byte[]?> OptionalBytes => Gen.OneOf(
        Gen.Constant<byte[]?>(null),
        Gen.Choose(0, 255).Select(b => (byte)b).ArrayOf().Select(b => (byte[]?)b));

    private static Gen<Metric> MetricGen =>
        from name in Text
        from value in Double
        select new Metric { Name = name, Value = value };

    private static Gen<Reason> ReasonGen =>
        from code in Text
        from summary in Text
        from metrics in ListOf(MetricGen)
        from subjects in ListOf(Text)
        select new Reason { Code = code, Summary = summary, Metrics = metrics, Subjects = subjects };

    public static Arbitrary<AccessEvent> AccessEvents() => (
        from eventId in Text
        from ts in Long
        from apiKeyId in Text
        from accountId in Text
        from ip in Text
        from userAgent in Text
        from sessionId in OptionalText
        from endpoint in Text
        from method in OptionalText
        from status in Gen.OneOf(Gen.Constant<int?>(null), Int.Select(i => (int?)i))
        from clientTs in OptionalLong
        from tls in OptionalText
        from permission in OptionalEnum<Permission>()
        select new AccessEvent
        {
            EventId = eventId, Ts = ts, ApiKeyId = apiKeyId, AccountId = accountId, Ip = ip, UserAgent = userAgent, SessionId = sessionId,
            Endpoint = endpoint, Method = method, Status = status, ClientTs = clientTs, TlsFingerprint = tls, Permission = permission,
        }).ToArbitrary();

    public static Arbitrary<OrderEvent> OrderEvents() => (
        from eventId in Text
        from ts in Long
        from apiKeyId in Text
        from accountId in Text
        from orderId in Text
        from symbol in Text
        from side in Enum<OrderSide>()
        from eventType in Enum<OrderEventType>()
        from price in Double
        from quantity in Double
        from filled in Double
        from bestBid in OptionalDouble
        from bestAsk in OptionalDouble
        from ip in OptionalText
        from sessionId in OptionalText
        select new OrderEvent
        {
            EventId = eventId, Ts = ts, ApiKeyId = apiKeyId, AccountId = accountId, OrderId = orderId, Symbol = symbol, Side = side,
            EventType = eventType, Price = price, Quantity = quantity, FilledQuantity = filled, BestBid = bestBid, BestAsk = bestAsk,
            Ip = ip, SessionId = sessionId,
        }).ToArbitrary();

    public static Arbitrary<KeyRegistryRecord> KeyRegistryRecords() => (
        from apiKeyId in Text
        from accountId in Text
        from cidrs in ListOf(Text)
        from permissions in ListOf(Enum<Permission>())
        from status in Enum<KeyStatus>()
        from createdAt in Long
        from expiresAt in OptionalLong
        from platformId in OptionalText
        select new KeyRegistryRecord
        {
            ApiKeyId = apiKeyId, AccountId = accountId, AllowedCidrs = cidrs, Permissions = permissions, Status = status,
            CreatedAt = createdAt, ExpiresAt = expiresAt, PlatformId = platformId,
        }).ToArbitrary();

    public static Arbitrary<KeyLifecycleEvent> KeyLifecycleEvents() => (
        from eventId in Text
        from ts in Long
        from apiKeyId in Text
        from accountId in Text
        from kind in Enum<LifecycleKind>()
        from commandId in OptionalText
        select new KeyLifecycleEvent { EventId = eventId, Ts = ts, ApiKeyId = apiKeyId, AccountId = accountId, Kind = kind, CommandId = commandId })
        .ToArbitrary();

    public static Arbitrary<EnforcementCommand> EnforcementCommands() => (
        from commandId in Text
        from apiKeyId in Text
        from accountId in Text
        from action in Enum<EnforcementAction>()
        from issuedAt in Long
        from policyVersion in Text
        from riskScore in Double
        from reasons in ListOf(ReasonGen).Resize(4)
        from previous in Enum<KeyState>()
        from next in Enum<KeyState>()
        from expiresAt in Long
        from windowStart in Long
        from windowEnd in Long
        from shadow in Gen.Elements(true, false)
        from signature in Text
        from signingKeyId in Text
        select new EnforcementCommand
        {
            CommandId = commandId, ApiKeyId = apiKeyId, AccountId = accountId, Action = action, IssuedAt = issuedAt,
            PolicyVersion = policyVersion, RiskScore = riskScore, Reasons = reasons, PreviousState = previous, NewState = next,
            ExpiresAt = expiresAt, WindowStart = windowStart, WindowEnd = windowEnd, Shadow = shadow, Signature = signature,
            SigningKeyId = signingKeyId,
        }).ToArbitrary();

    public static Arbitrary<Alert> Alerts() => (
        from alertId in Text
        from ts in Long
        from severity in Enum<AlertSeverity>()
        from kind in Text
        from dedupKey in Text
        from summary in Text
        from runbook in Text
        from apiKeyId in OptionalText
        from commandId in OptionalText
        from metrics in ListOf(MetricGen)
        select new Alert
        {
            AlertId = alertId, Ts = ts, Severity = severity, Kind = kind, DedupKey = dedupKey, Summary = summary, Runbook = runbook,
            ApiKeyId = apiKeyId, CommandId = commandId, Metrics = metrics,
        }).ToArbitrary();

    public static Arbitrary<DeadLetter> DeadLetters() => (
        from topic in Text
        from partition in Int
        from offset in Long
        from timestamp in Long
        from errorCode in Text
        from reason in Text
        from key in OptionalBytes
        from value in OptionalBytes
        select new DeadLetter
        {
            SourceTopic = topic, SourcePartition = partition, SourceOffset = offset, SourceTimestamp = timestamp, ErrorCode = errorCode,
            Reason = reason, OriginalKey = key, OriginalValue = value,
        }).ToArbitrary();

    public static Arbitrary<FeatureSnapshot> FeatureSnapshots() => (
        from apiKeyId in Text
        from accountId in Text
        from ts in Long
        from windowStart in Long
        from windowEnd in Long
        from policyVersion in Text
        from state in Enum<KeyState>()
        from riskScore in Double
        from metrics in ListOf(MetricGen)
        from findings in ListOf(ReasonGen).Resize(4)
        from lateRecords in Long
        from capsExceeded in ListOf(Text)
        select new FeatureSnapshot
        {
            ApiKeyId = apiKeyId, AccountId = accountId, Ts = ts, WindowStart = windowStart, WindowEnd = windowEnd,
            PolicyVersion = policyVersion, State = state, RiskScore = riskScore, Metrics = metrics, Findings = findings,
            LateRecords = lateRecords, CapsExceeded = capsExceeded,
        }).ToArbitrary();
}
