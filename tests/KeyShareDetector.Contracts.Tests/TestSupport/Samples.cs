using KeyShareDetector.Contracts.Wire;

namespace KeyShareDetector.Contracts.Tests.TestSupport;

/// <summary>One record of each contract type, with every optional field set ("full") and with them all unset ("minimal").</summary>
internal static class Samples
{
    public static readonly AccessEvent AccessFull = new()
    {
        EventId = "evt-0001",
        Ts = 1_700_000_000_123,
        ApiKeyId = "key-42",
        AccountId = "acct-7",
        Ip = "2001:db8::1",
        UserAgent = "python-requests/2.31 \"quoted\" \\ é 中 😀",
        SessionId = "sess-9",
        Endpoint = "/api/v3/order",
        Method = "POST",
        Status = 201,
        ClientTs = -1,
        TlsFingerprint = "t13d1516h2_8daaf6152771_b0da82dd1658",
        Permission = Permission.TRADE,
    };

    public static readonly AccessEvent AccessMinimal = new()
    {
        EventId = "evt-0002",
        Ts = 0,
        ApiKeyId = "key-42",
        AccountId = "acct-7",
        Ip = "203.0.113.9",
        UserAgent = "",
        Endpoint = "/api/v3/account",
    };

    public static readonly OrderEvent OrderFull = new()
    {
        EventId = "ord-evt-1",
        Ts = long.MaxValue,
        ApiKeyId = "key-42",
        AccountId = "acct-7",
        OrderId = "o-123",
        Symbol = "BTC-USDT",
        Side = OrderSide.SELL,
        EventType = OrderEventType.FILL,
        Price = 64_123.45,
        Quantity = 0.1,
        FilledQuantity = 0.05,
        BestBid = 64_123.4,
        BestAsk = double.Epsilon,
        Ip = "198.51.100.4",
        SessionId = "sess-9",
    };

    public static readonly OrderEvent OrderMinimal = new()
    {
        EventId = "ord-evt-2",
        Ts = long.MinValue,
        ApiKeyId = "key-42",
        AccountId = "acct-7",
        OrderId = "o-124",
        Symbol = "ETH-USDT",
        Side = OrderSide.BUY,
        EventType = OrderEventType.PLACE,
        Price = -0.0,
        Quantity = double.MaxValue,
    };

    public static readonly KeyRegistryRecord RegistryFull = new()
    {
        ApiKeyId = "key-42",
        AccountId = "acct-7",
        AllowedCidrs = ["203.0.113.0/24", "2001:db8::/32"],
        Permissions = [Permission.READ, Permission.TRADE, Permission.WITHDRAW],
        Status = KeyStatus.SUSPENDED,
        CreatedAt = 1_600_000_000_000,
        ExpiresAt = 1_800_000_000_000,
        PlatformId = "copy-trader-inc",
    };

    public static readonly KeyRegistryRecord RegistryMinimal = new()
    {
        ApiKeyId = "key-43",
        AccountId = "acct-8",
        CreatedAt = 1,
    };

    public static readonly KeyLifecycleEvent LifecycleFull = new()
    {
        EventId = "lc-1",
        Ts = 1_700_000_100_000,
        ApiKeyId = "key-42",
        AccountId = "acct-7",
        Kind = LifecycleKind.REAUTH_COMPLETED,
        CommandId = "cmd-abc",
    };

    public static readonly KeyLifecycleEvent LifecycleMinimal = new()
    {
        EventId = "lc-2",
        Ts = 1_700_000_100_001,
        ApiKeyId = "key-42",
        AccountId = "acct-7",
        Kind = LifecycleKind.ALLOWLIST_CHANGED,
    };

    public static readonly EnforcementCommand CommandFull = new()
    {
        CommandId = "cmd-abc",
        ApiKeyId = "key-42",
        AccountId = "acct-7",
        Action = EnforcementAction.REVOKE,
        IssuedAt = 1_700_000_000_123,
        PolicyVersion = "policy-2024-05-01",
        RiskScore = 0.97,
        Reasons =
        [
            new Reason
            {
                Code = "IMPOSSIBLE_TRAVEL",
                Summary = "Two countries 9000 km apart within 4 minutes.",
                Metrics = [new Metric { Name = "speed_kmh", Value = 135_000 }, new Metric { Name = "minutes", Value = 4 }],
                Subjects = ["203.0.113.9", "198.51.100.4", "AS64500"],
            },
            new Reason { Code = "NEW_ASN", Summary = "First use from this network." },
        ],
        PreviousState = KeyState.REAUTH_REQUIRED,
        NewState = KeyState.REVOKED,
        ExpiresAt = 1_700_003_600_123,
        WindowStart = 1_699_999_700_000,
        WindowEnd = 1_700_000_000_000,
        Shadow = true,
        Signature = "q1w2e3+/r4t5y6==",
        SigningKeyId = "hmac-2024",
    };

    public static readonly EnforcementCommand CommandMinimal = new()
    {
        CommandId = "cmd-def",
        ApiKeyId = "key-42",
        AccountId = "acct-7",
        Action = EnforcementAction.WARN,
        IssuedAt = 1,
        PolicyVersion = "v1",
        RiskScore = 0,
        PreviousState = KeyState.NORMAL,
        NewState = KeyState.WARNED,
        ExpiresAt = 2,
        WindowStart = 0,
        WindowEnd = 1,
    };

    public static readonly Alert AlertFull = new()
    {
        AlertId = "alert-1",
        Ts = 1_700_000_000_123,
        Severity = AlertSeverity.CRITICAL,
        Kind = "MASS_COMPROMISE",
        DedupKey = "mass-compromise:2024-05-01",
        Summary = "120 keys revoked in 5 minutes.",
        Runbook = "https://runbooks.example/keyshare#mass-compromise",
        ApiKeyId = "key-42",
        CommandId = "cmd-abc",
        Metrics = [new Metric { Name = "revoked", Value = 120 }],
    };

    public static readonly Alert AlertMinimal = new()
    {
        AlertId = "alert-2",
        Ts = 1,
        Severity = AlertSeverity.INFO,
        Kind = "DLQ_RATE",
        DedupKey = "dlq",
        Summary = "DLQ rate above 1/s.",
        Runbook = "https://runbooks.example/keyshare#dlq",
    };

    public static readonly DeadLetter DeadLetterFull = new()
    {
        SourceTopic = "exchange.api-access.v1",
        SourcePartition = 11,
        SourceOffset = 123_456_789,
        SourceTimestamp = 1_700_000_000_123,
        ErrorCode = "PARSE_ERROR",
        Reason = "access event: malformed JSON",
        OriginalKey = [0x6B, 0x65, 0x79],
        OriginalValue = [0x00, 0xFF, 0x7B, 0xC3],
    };

    public static readonly DeadLetter DeadLetterMinimal = new()
    {
        SourceTopic = "exchange.orders.v1",
        SourcePartition = -1,
        SourceOffset = 0,
        SourceTimestamp = 0,
        ErrorCode = "UNKNOWN_FORMAT",
        Reason = "empty",
    };

    public static readonly FeatureSnapshot FeaturesFull = new()
    {
        ApiKeyId = "key-42",
        AccountId = "acct-7",
        Ts = 1_700_000_000_123,
        WindowStart = 1_699_999_700_000,
        WindowEnd = 1_700_000_000_000,
        PolicyVersion = "policy-2024-05-01",
        State = KeyState.REAUTH_REQUIRED,
        RiskScore = 0.83,
        Metrics =
        [
            new Metric { Name = "distinct_ips", Value = 17 },
            new Metric { Name = "distinct_countries", Value = 4 },
            new Metric { Name = "max_speed_kmh", Value = 135_000.5 },
        ],
        Findings =
        [
            new Reason
            {
                Code = "IMPOSSIBLE_TRAVEL",
                Summary = "Two countries 9000 km apart within 4 minutes.",
                Metrics = [new Metric { Name = "speed_kmh", Value = 135_000 }],
                Subjects = ["203.0.113.9", "2001:db8::1", "AS64500"],
            },
            new Reason { Code = "CONCURRENT_SESSIONS", Summary = "5 sessions at once \"from\" é 中 😀." },
        ],
        LateRecords = 3,
        CapsExceeded = ["distinct_ips", "sessions"],
    };

    public static readonly FeatureSnapshot FeaturesMinimal = new()
    {
        ApiKeyId = "key-43",
        AccountId = "acct-8",
        Ts = 0,
        WindowStart = long.MinValue,
        WindowEnd = long.MaxValue,
        PolicyVersion = "",
        State = KeyState.NORMAL,
        RiskScore = 0,
    };

    public static readonly IReadOnlyDictionary<string, Sample> All = new Sample[]
    {
        new Sample<AccessEvent>("access event, all optional fields set", AccessFull),
        new Sample<AccessEvent>("access event, optional fields null", AccessMinimal),
        new Sample<OrderEvent>("order event, all optional fields set", OrderFull),
        new Sample<OrderEvent>("order event, optional fields null", OrderMinimal),
        new Sample<KeyRegistryRecord>("key registry record, all optional fields set", RegistryFull),
        new Sample<KeyRegistryRecord>("key registry record, optional fields null", RegistryMinimal),
        new Sample<KeyLifecycleEvent>("key lifecycle event, all optional fields set", LifecycleFull),
        new Sample<KeyLifecycleEvent>("key lifecycle event, optional fields null", LifecycleMinimal),
        new Sample<EnforcementCommand>("enforcement command, all optional fields set", CommandFull),
        new Sample<EnforcementCommand>("enforcement command, optional fields null", CommandMinimal),
        new Sample<Alert>("alert, all optional fields set", AlertFull),
        new Sample<Alert>("alert, optional fields null", AlertMinimal),
        new Sample<DeadLetter>("dead letter, all optional fields set", DeadLetterFull),
        new Sample<DeadLetter>("dead letter, optional fields null", DeadLetterMinimal),
        new Sample<FeatureSnapshot>("feature snapshot, all optional fields set", FeaturesFull),
        new Sample<FeatureSnapshot>("feature snapshot, optional fields null", FeaturesMinimal),
    }.ToDictionary(s => s.Name);

    public static TheoryData<string> Names => [.. All.Keys];
}

/// <summary>A sample record with the generic operations the tests need, so theories can run over all types.</summary>
internal abstract class Sample(string name)
{
    public string Name { get; } = name;

    public abstract object Value { get; }

    public abstract Type Type { get; }

    public abstract byte[] ToJson();

    public abstract object FromJson(byte[] data);

    public abstract byte[] ToSingleObject();

    public abstract byte[] ToAvroBody();

    public abstract object FromAvroBody(byte[] body);

    public abstract object FromAnyFormat(byte[] data);

    public abstract Task<object> RoundTripThroughSchemaRegistryAsync(FakeSchemaRegistryClient registry, string topic);

    public override string ToString() => Name;
}

internal sealed class Sample<T>(string name, T value) : Sample(name)
    where T : class
{
    public override object Value => value;

    public override Type Type => typeof(T);

    public override byte[] ToJson() => JsonWireFormat<T>.Instance.Serialize(value);

    public override object FromJson(byte[] data) => JsonWireFormat<T>.Instance.Deserialize(data);

    public override byte[] ToSingleObject() => AvroWireFormat<T>.SingleObject.Serialize(value);

    public override byte[] ToAvroBody() => AvroWireFormat<T>.SerializeBody(value);

    public override object FromAvroBody(byte[] body) => AvroWireFormat<T>.DeserializeBody(body);

    public override object FromAnyFormat(byte[] data) => WireFormats.Create<T>().Deserialize(data);

    public override async Task<object> RoundTripThroughSchemaRegistryAsync(FakeSchemaRegistryClient registry, string topic)
    {
        var options = new WireFormatOptions { Format = WireFormatKind.Avro, SchemaRegistry = registry };
        ContractCodec<T> writer = await WireFormats.CreateAsync<T>(options, topic);
        byte[] framed = writer.Serialize(value);
        Assert.Equal(0x00, framed[0]);

        // A separate reader (another instance of the detector) that only knows the registry, not the writer.
        ContractCodec<T> reader = await WireFormats.CreateAsync<T>(options with { Format = WireFormatKind.Json }, topic);
        return reader.Deserialize(framed);
    }
}
