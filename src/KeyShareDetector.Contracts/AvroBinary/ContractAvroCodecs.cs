namespace KeyShareDetector.Contracts.AvroBinary;

/// <summary>
/// Hand-written Avro bodies of the contract types, field by field in .avsc order. The interop tests check them
/// against Apache.Avro's GenericDatumWriter/Reader with the embedded schemas, both ways.
/// </summary>
internal static class ContractAvroCodecs
{
    public static void WriteAccessEvent(ref AvroWriter w, AccessEvent e)
    {
        w.WriteString(e.EventId, "event_id");
        w.WriteLong(e.Ts);
        w.WriteString(e.ApiKeyId, "api_key_id");
        w.WriteString(e.AccountId, "account_id");
        w.WriteString(e.Ip, "ip");
        w.WriteString(e.UserAgent, "user_agent");
        w.WriteOptionalString(e.SessionId, "session_id");
        w.WriteString(e.Endpoint, "endpoint");
        w.WriteOptionalString(e.Method, "method");
        w.WriteOptionalInt(e.Status);
        w.WriteOptionalLong(e.ClientTs);
        w.WriteOptionalString(e.TlsFingerprint, "tls_fingerprint");
        w.WriteOptionalEnum(e.Permission, "permission");
    }

    // Object initializers run in source order, which is the field order of the schema.
    public static AccessEvent ReadAccessEvent(ref AvroReader r) => new()
    {
        EventId = r.ReadString("event_id"),
        Ts = r.ReadLong("ts"),
        ApiKeyId = r.ReadString("api_key_id"),
        AccountId = r.ReadString("account_id"),
        Ip = r.ReadString("ip"),
        UserAgent = r.ReadString("user_agent"),
        SessionId = r.ReadOptionalString("session_id"),
        Endpoint = r.ReadString("endpoint"),
        Method = r.ReadOptionalString("method"),
        Status = r.ReadOptionalInt("status"),
        ClientTs = r.ReadOptionalLong("client_ts"),
        TlsFingerprint = r.ReadOptionalString("tls_fingerprint"),
        Permission = r.ReadOptionalEnum<Permission>("permission"),
    };

    public static void WriteOrderEvent(ref AvroWriter w, OrderEvent e)
    {
        w.WriteString(e.EventId, "event_id");
        w.WriteLong(e.Ts);
        w.WriteString(e.ApiKeyId, "api_key_id");
        w.WriteString(e.AccountId, "account_id");
        w.WriteString(e.OrderId, "order_id");
        w.WriteString(e.Symbol, "symbol");
        w.WriteEnum(e.Side, "side");
        w.WriteEnum(e.EventType, "event_type");
        w.WriteDouble(e.Price);
        w.WriteDouble(e.Quantity);
        w.WriteDouble(e.FilledQuantity);
        w.WriteOptionalDouble(e.BestBid);
        w.WriteOptionalDouble(e.BestAsk);
        w.WriteOptionalString(e.Ip, "ip");
        w.WriteOptionalString(e.SessionId, "session_id");
    }

    public static OrderEvent ReadOrderEvent(ref AvroReader r) => new()
    {
        EventId = r.ReadString("event_id"),
        Ts = r.ReadLong("ts"),
        ApiKeyId = r.ReadString("api_key_id"),
        AccountId = r.ReadString("account_id"),
        OrderId = r.ReadString("order_id"),
        Symbol = r.ReadString("symbol"),
        Side = r.ReadEnum<OrderSide>("side"),
        EventType = r.ReadEnum<OrderEventType>("event_type"),
        Price = r.ReadDouble("price"),
        Quantity = r.ReadDouble("quantity"),
        FilledQuantity = r.ReadDouble("filled_quantity"),
        BestBid = r.ReadOptionalDouble("best_bid"),
        BestAsk = r.ReadOptionalDouble("best_ask"),
        Ip = r.ReadOptionalString("ip"),
        SessionId = r.ReadOptionalString("session_id"),
    };

    public static void WriteKeyRegistryRecord(ref AvroWriter w, KeyRegistryRecord k)
    {
        w.WriteString(k.ApiKeyId, "api_key_id");
        w.WriteString(k.AccountId, "account_id");
        w.WriteArray(k.AllowedCidrs, "allowed_cidrs", WriteStringItem);
        w.WriteArray(k.Permissions, "permissions", WriteEnumItem);
        w.WriteEnum(k.Status, "status");
        w.WriteLong(k.CreatedAt);
        w.WriteOptionalLong(k.ExpiresAt);
        w.WriteOptionalString(k.PlatformId, "platform_id");
    }

    public static KeyRegistryRecord ReadKeyRegistryRecord(ref AvroReader r) => new()
    {
        ApiKeyId = r.ReadString("api_key_id"),
        AccountId = r.ReadString("account_id"),
        AllowedCidrs = r.ReadArray("allowed_cidrs", ReadStringItem),
        Permissions = r.ReadArray("permissions", ReadEnumItem<Permission>),
        Status = r.ReadEnum<KeyStatus>("status"),
        CreatedAt = r.ReadLong("created_at"),
        ExpiresAt = r.ReadOptionalLong("expires_at"),
        PlatformId = r.ReadOptionalString("platform_id"),
    };

    public static void WriteKeyLifecycleEvent(ref AvroWriter w, KeyLifecycleEvent e)
    {
        w.WriteString(e.EventId, "event_id");
        w.WriteLong(e.Ts);
        w.WriteString(e.ApiKeyId, "api_key_id");
        w.WriteString(e.AccountId, "account_id");
        w.WriteEnum(e.Kind, "kind");
        w.WriteOptionalString(e.CommandId, "command_id");
    }

    public static KeyLifecycleEvent ReadKeyLifecycleEvent(ref AvroReader r) => new()
    {
        EventId = r.ReadString("event_id"),
        Ts = r.ReadLong("ts"),
        ApiKeyId = r.ReadString("api_key_id"),
        AccountId = r.ReadString("account_id"),
        Kind = r.ReadEnum<LifecycleKind>("kind"),
        CommandId = r.ReadOptionalString("command_id"),
    };

    public static void WriteEnforcementCommand(ref AvroWriter w, EnforcementCommand c)
    {
        w.WriteString(c.CommandId, "command_id");
        w.WriteString(c.ApiKeyId, "api_key_id");
        w.WriteString(c.AccountId, "account_id");
        w.WriteEnum(c.Action, "action");
        w.WriteLong(c.IssuedAt);
        w.WriteString(c.PolicyVersion, "policy_version");
        w.WriteDouble(c.RiskScore);
        w.WriteArray(c.Reasons, "reasons", WriteReasonItem);
        w.WriteEnum(c.PreviousState, "previous_state");
        w.WriteEnum(c.NewState, "new_state");
        w.WriteLong(c.ExpiresAt);
        w.WriteLong(c.WindowStart);
        w.WriteLong(c.WindowEnd);
        w.WriteBoolean(c.Shadow);
        w.WriteString(c.Signature, "signature");
        w.WriteString(c.SigningKeyId, "signing_key_id");
    }

    public static EnforcementCommand ReadEnforcementCommand(ref AvroReader r) => new()
    {
        CommandId = r.ReadString("command_id"),
        ApiKeyId = r.ReadString("api_key_id"),
        AccountId = r.ReadString("account_id"),
        Action = r.ReadEnum<EnforcementAction>("action"),
        IssuedAt = r.ReadLong("issued_at"),
        PolicyVersion = r.ReadString("policy_version"),
        RiskScore = r.ReadDouble("risk_score"),
        Reasons = r.ReadArray("reasons", ReadReasonItem),
        PreviousState = r.ReadEnum<KeyState>("previous_state"),
        NewState = r.ReadEnum<KeyState>("new_state"),
        ExpiresAt = r.ReadLong("expires_at"),
        WindowStart = r.ReadLong("window_start"),
        WindowEnd = r.ReadLong("window_end"),
        Shadow = r.ReadBoolean("shadow"),
        Signature = r.ReadString("signature"),
        SigningKeyId = r.ReadString("signing_key_id"),
    };

    public static void WriteAlert(ref AvroWriter w, Alert a)
    {
        w.WriteString(a.AlertId, "alert_id");
        w.WriteLong(a.Ts);
        w.WriteEnum(a.Severity, "severity");
        w.WriteString(a.Kind, "kind");
        w.WriteString(a.DedupKey, "dedup_key");
        w.WriteString(a.Summary, "summary");
        w.WriteString(a.Runbook, "runbook");
        w.WriteOptionalString(a.ApiKeyId, "api_key_id");
        w.WriteOptionalString(a.CommandId, "command_id");
        w.WriteArray(a.Metrics, "metrics", WriteMetricItem);
    }

    public static Alert ReadAlert(ref AvroReader r) => new()
    {
        AlertId = r.ReadString("alert_id"),
        Ts = r.ReadLong("ts"),
        Severity = r.ReadEnum<AlertSeverity>("severity"),
        Kind = r.ReadString("kind"),
        DedupKey = r.ReadString("dedup_key"),
        Summary = r.ReadString("summary"),
        Runbook = r.ReadString("runbook"),
        ApiKeyId = r.ReadOptionalString("api_key_id"),
        CommandId = r.ReadOptionalString("command_id"),
        Metrics = r.ReadArray("metrics", ReadMetricItem),
    };

    public static void WriteDeadLetter(ref AvroWriter w, DeadLetter d)
    {
        w.WriteString(d.SourceTopic, "source_topic");
        w.WriteInt(d.SourcePartition);
        w.WriteLong(d.SourceOffset);
        w.WriteLong(d.SourceTimestamp);
        w.WriteString(d.ErrorCode, "error_code");
        w.WriteString(d.Reason, "reason");
        w.WriteOptionalBytes(d.OriginalKey, "original_key");
        w.WriteOptionalBytes(d.OriginalValue, "original_value");
    }

    public static DeadLetter ReadDeadLetter(ref AvroReader r) => new()
    {
        SourceTopic = r.ReadString("source_topic"),
        SourcePartition = r.ReadInt("source_partition"),
        SourceOffset = r.ReadLong("source_offset"),
        SourceTimestamp = r.ReadLong("source_timestamp"),
        ErrorCode = r.ReadString("error_code"),
        Reason = r.ReadString("reason"),
        OriginalKey = r.ReadOptionalBytes("original_key"),
        OriginalValue = r.ReadOptionalBytes("original_value"),
    };

    public static void WriteFeatureSnapshot(ref AvroWriter w, FeatureSnapshot f)
    {
        w.WriteString(f.ApiKeyId, "api_key_id");
        w.WriteString(f.AccountId, "account_id");
        w.WriteLong(f.Ts);
        w.WriteLong(f.WindowStart);
        w.WriteLong(f.WindowEnd);
        w.WriteString(f.PolicyVersion, "policy_version");
        w.WriteEnum(f.State, "state");
        w.WriteDouble(f.RiskScore);
        w.WriteArray(f.Metrics, "metrics", WriteMetricItem);
        w.WriteArray(f.Findings, "findings", WriteFindingItem);
        w.WriteLong(f.LateRecords);
        w.WriteArray(f.CapsExceeded, "caps_exceeded", WriteStringItem);
    }

    public static FeatureSnapshot ReadFeatureSnapshot(ref AvroReader r) => new()
    {
        ApiKeyId = r.ReadString("api_key_id"),
        AccountId = r.ReadString("account_id"),
        Ts = r.ReadLong("ts"),
        WindowStart = r.ReadLong("window_start"),
        WindowEnd = r.ReadLong("window_end"),
        PolicyVersion = r.ReadString("policy_version"),
        State = r.ReadEnum<KeyState>("state"),
        RiskScore = r.ReadDouble("risk_score"),
        Metrics = r.ReadArray("metrics", ReadMetricItem),
        Findings = r.ReadArray("findings", ReadFindingItem),
        LateRecords = r.ReadLong("late_records"),
        CapsExceeded = r.ReadArray("caps_exceeded", ReadStringItem),
    };

    // Reason lists: EnforcementCommand.reasons and FeatureSnapshot.findings. One item writer/reader per list, so
    // that error messages name the list the bad item is in without building strings per record.
    private static void WriteReasonItem(ref AvroWriter w, Reason? reason, string field) => WriteReason(ref w, reason, ReasonFields.Reasons);

    private static Reason ReadReasonItem(ref AvroReader r, string field) => ReadReason(ref r, ReasonFields.Reasons);

    private static void WriteFindingItem(ref AvroWriter w, Reason? reason, string field) => WriteReason(ref w, reason, ReasonFields.Findings);

    private static Reason ReadFindingItem(ref AvroReader r, string field) => ReadReason(ref r, ReasonFields.Findings);

    private static void WriteReason(ref AvroWriter w, Reason? reason, ReasonFields names)
    {
        if (reason is null)
        {
            w.WriteString(null, names.Item);
            return;
        }

        w.WriteString(reason.Code, names.Code);
        w.WriteString(reason.Summary, names.Summary);
        w.WriteArray(reason.Metrics, names.Metrics, WriteMetricItem);
        w.WriteArray(reason.Subjects, names.Subjects, WriteStringItem);
    }

    private static Reason ReadReason(ref AvroReader r, ReasonFields names) => new()
    {
        Code = r.ReadString(names.Code),
        Summary = r.ReadString(names.Summary),
        Metrics = r.ReadArray(names.Metrics, ReadMetricItem),
        Subjects = r.ReadArray(names.Subjects, ReadStringItem),
    };

    private static void WriteMetricItem(ref AvroWriter w, Metric? metric, string field)
    {
        if (metric is null)
        {
            w.WriteString(null, "metrics[]");
            return;
        }

        w.WriteString(metric.Name, "metrics.name");
        w.WriteDouble(metric.Value);
    }

    private static Metric ReadMetricItem(ref AvroReader r, string field) => new()
    {
        Name = r.ReadString("metrics.name"),
        Value = r.ReadDouble("metrics.value"),
    };

    private static void WriteStringItem(ref AvroWriter w, string? item, string field) => w.WriteString(item, field);

    private static string ReadStringItem(ref AvroReader r, string field) => r.ReadString(field);

    private static void WriteEnumItem<TEnum>(ref AvroWriter w, TEnum item, string field)
        where TEnum : struct, Enum => w.WriteEnum(item, field);

    private static TEnum ReadEnumItem<TEnum>(ref AvroReader r, string field)
        where TEnum : struct, Enum => r.ReadEnum<TEnum>(field);

    /// <summary>The field names error messages use inside one list of reasons, e.g. "findings.code".</summary>
    private sealed class ReasonFields
    {
        public static readonly ReasonFields Reasons = new("reasons");

        public static readonly ReasonFields Findings = new("findings");

        private ReasonFields(string list)
        {
            Item = list + "[]";
            Code = list + ".code";
            Summary = list + ".summary";
            Metrics = list + ".metrics";
            Subjects = list + ".subjects";
        }

        public string Item { get; }

        public string Code { get; }

        public string Summary { get; }

        public string Metrics { get; }

        public string Subjects { get; }
    }
}
