using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Net;
using KeyShareDetector.Detection.Policy;

namespace KeyShareDetector.Detection.Validation;

/// <summary>Checks for order, registry and lifecycle records; the same rules of thumb as <see cref="AccessEventValidator"/>.</summary>
public static class InputValidators
{
    public static Rejection? Order(OrderEvent e, long recordTimestamp, InputLimits limits)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(limits);
        if (Id(e.EventId, "event_id", limits) is { } r1) return r1;
        if (Id(e.ApiKeyId, "api_key_id", limits) is { } r2) return r2;
        if (Id(e.AccountId, "account_id", limits) is { } r3) return r3;
        if (Id(e.OrderId, "order_id", limits) is { } r4) return r4;
        if (Id(e.Symbol, "symbol", limits) is { } r5) return r5;
        if (!Enum.IsDefined(e.Side)) return new("UNKNOWN_ENUM", "side is not BUY or SELL");
        if (!Enum.IsDefined(e.EventType)) return new("UNKNOWN_ENUM", "event_type is not PLACE, CANCEL, FILL or MODIFY");
        if (Amount(e.Price, "price", limits) is { } n1) return n1;
        if (Amount(e.Quantity, "quantity", limits) is { } n2) return n2;
        if (Amount(e.FilledQuantity, "filled_quantity", limits) is { } n3) return n3;
        if (e.BestBid is { } bid && Amount(bid, "best_bid", limits) is { } n4) return n4;
        if (e.BestAsk is { } ask && Amount(ask, "best_ask", limits) is { } n5) return n5;
        if (e.Ip is { } ip && !IpText.IsValid(ip)) return new("INVALID_IP", "ip is not an IPv4 dotted quad or an IPv6 address");
        if (e.SessionId is not null && e.SessionId.Length > limits.MaxIdLength)
            return new("FIELD_TOO_LONG", $"session_id longer than {limits.MaxIdLength} characters");
        return Time(e.Ts, recordTimestamp, limits);
    }

    public static Rejection? Registry(KeyRegistryRecord r, InputLimits limits)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(limits);
        if (Id(r.ApiKeyId, "api_key_id", limits) is { } r1) return r1;
        if (Id(r.AccountId, "account_id", limits) is { } r2) return r2;
        if (r.AllowedCidrs.Count > limits.MaxAllowlistEntries)
            return new("FIELD_TOO_LONG", $"allowed_cidrs has more than {limits.MaxAllowlistEntries} entries");
        if (r.Permissions.Count > limits.MaxAllowlistEntries)
            return new("FIELD_TOO_LONG", $"permissions has more than {limits.MaxAllowlistEntries} entries");
        foreach (var cidr in r.AllowedCidrs)
        {
            if (cidr.Length > limits.MaxIdLength) return new("FIELD_TOO_LONG", $"an allowed_cidrs entry is longer than {limits.MaxIdLength} characters");
        }
        var invalid = new List<string>();
        CidrSet.Parse(r.AllowedCidrs, invalid);
        if (invalid.Count > 0) return new("INVALID_CIDR", $"allowed_cidrs has invalid entries: {string.Join(", ", invalid.Take(5))}");
        if (r.PlatformId is { Length: > 0 } p && p.Length > limits.MaxIdLength) return new("FIELD_TOO_LONG", $"platform_id longer than {limits.MaxIdLength} characters");
        return null;
    }

    public static Rejection? Lifecycle(KeyLifecycleEvent e, long recordTimestamp, InputLimits limits)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(limits);
        if (Id(e.EventId, "event_id", limits) is { } r1) return r1;
        if (Id(e.ApiKeyId, "api_key_id", limits) is { } r2) return r2;
        if (Id(e.AccountId, "account_id", limits) is { } r3) return r3;
        if (!Enum.IsDefined(e.Kind)) return new("UNKNOWN_ENUM", "kind is not a known lifecycle kind");
        if (e.CommandId is not null && e.CommandId.Length > limits.MaxIdLength)
            return new("FIELD_TOO_LONG", $"command_id longer than {limits.MaxIdLength} characters");
        return Time(e.Ts, recordTimestamp, limits);
    }

    internal static Rejection? Time(long ts, long recordTimestamp, InputLimits limits)
    {
        if (ts < limits.MinTs || ts > limits.MaxTs)
            return new("TS_OUT_OF_RANGE", $"ts {ts} is outside [{limits.MinTs}, {limits.MaxTs}] epoch ms");
        if (Math.Abs(ts - recordTimestamp) > limits.MaxRecordSkewMs)
            return new("TS_SKEW", $"ts {ts} is more than {limits.MaxRecordSkewMs} ms from the record timestamp {recordTimestamp}");
        return null;
    }

    private static Rejection? Amount(double value, string field, InputLimits limits) =>
        value >= 0 && value <= limits.MaxOrderAmount
            ? null
            : new("INVALID_NUMBER", string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{field} must be a number from 0 to {limits.MaxOrderAmount:G} (got {value:G})"));

    internal static Rejection? Id(string value, string field, InputLimits limits)
    {
        if (string.IsNullOrWhiteSpace(value)) return new("MISSING_FIELD", $"{field} is empty");
        if (value.Length > limits.MaxIdLength) return new("FIELD_TOO_LONG", $"{field} longer than {limits.MaxIdLength} characters");
        return null;
    }
}
