using KeyShareDetector.Contracts;

namespace KeyShareDetector.Detection.Tests;

internal static class TestEvents
{
    /// <summary>2026-01-01T00:00:00Z, a round minute so window arithmetic in tests is readable.</summary>
    public const long T0 = 1_767_225_600_000;

    public static AccessEvent Access(string key, string ip, long ts, string? session = null) => new()
    {
        EventId = $"{key}-{ts}-{ip}",
        Ts = ts,
        ApiKeyId = key,
        AccountId = "acct-" + key,
        Ip = ip,
        UserAgent = "test-agent/1.0",
        SessionId = session,
        Endpoint = "/v1/orders",
    };
}
