using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Net;
using KeyShareDetector.Detection.Policy;

namespace KeyShareDetector.Detection.Validation;

/// <summary>Why a record was refused: a stable code for counting and a sentence for people.</summary>
public readonly record struct Rejection(string Code, string Reason);

/// <summary>Decides whether a parsed access event is usable; bad ones go to the dead-letter topic.</summary>
public static class AccessEventValidator
{
    public static Rejection? Validate(AccessEvent e, long recordTimestamp, InputLimits limits)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(limits);
        if (InputValidators.Id(e.EventId, "event_id", limits) is { } r1) return r1;
        if (InputValidators.Id(e.ApiKeyId, "api_key_id", limits) is { } r2) return r2;
        if (InputValidators.Id(e.AccountId, "account_id", limits) is { } r3) return r3;
        if (e.SessionId is not null && e.SessionId.Length > limits.MaxIdLength)
            return new("FIELD_TOO_LONG", $"session_id longer than {limits.MaxIdLength} characters");
        if (e.Method is not null && e.Method.Length > limits.MaxIdLength)
            return new("FIELD_TOO_LONG", $"method longer than {limits.MaxIdLength} characters");
        if (e.UserAgent.Length > limits.MaxTextLength)
            return new("FIELD_TOO_LONG", $"user_agent longer than {limits.MaxTextLength} characters");
        if (e.Endpoint.Length > limits.MaxTextLength)
            return new("FIELD_TOO_LONG", $"endpoint longer than {limits.MaxTextLength} characters");
        if (e.TlsFingerprint is not null && e.TlsFingerprint.Length > limits.MaxTextLength)
            return new("FIELD_TOO_LONG", $"tls_fingerprint longer than {limits.MaxTextLength} characters");
        if (!IpText.IsValid(e.Ip))
            return new("INVALID_IP", "ip is not an IPv4 dotted quad or an IPv6 address");
        return InputValidators.Time(e.Ts, recordTimestamp, limits);
    }
}
