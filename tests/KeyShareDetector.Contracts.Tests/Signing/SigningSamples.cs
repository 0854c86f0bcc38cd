using System.Text;
using KeyShareDetector.Contracts.Signing;

namespace KeyShareDetector.Contracts.Tests.Signing;

/// <summary>Commands, secrets and a signing helper for the signing tests (Contracts cannot see Detection's signer).</summary>
internal static class SigningSamples
{
    public const string KeyId = "ksd-2025-07";

    public static readonly byte[] Secret = Encoding.UTF8.GetBytes("contracts-test-secret-0123456789");

    public static readonly byte[] OtherSecret = Encoding.UTF8.GetBytes("another-test-secret-abcdefghijk");

    /// <summary>A realistic command: live (not shadow), one reason with numbers and subjects, one without.</summary>
    public static EnforcementCommand Unsigned() => new()
    {
        CommandId = "3f1c9a0e5b7d2468ace0bdf13579ace0",
        ApiKeyId = "key-42",
        AccountId = "acct-7",
        Action = EnforcementAction.REAUTH,
        IssuedAt = 1_700_000_000_123,
        PolicyVersion = "policy-2025-07-01",
        RiskScore = 0.875,
        Reasons =
        [
            new Reason
            {
                Code = "IP_DIVERSITY",
                Summary = "5 /24 prefixes in 10 minutes \"from 3 countries\".",
                Metrics = [new Metric { Name = "prefixes", Value = 5 }, new Metric { Name = "window_ms", Value = 600_000 }],
                Subjects = ["203.0.113.0/24", "198.51.100.0/24", "AS64500"],
            },
            new Reason { Code = "NEW_ASN", Summary = "First use from this network." },
        ],
        PreviousState = KeyState.WARNED,
        NewState = KeyState.REAUTH_REQUIRED,
        ExpiresAt = 1_700_003_600_123,
        WindowStart = 1_699_999_400_000,
        WindowEnd = 1_700_000_000_000,
    };

    public static EnforcementCommand Sign(EnforcementCommand command, string keyId = KeyId, byte[]? secret = null)
    {
        var unsigned = command with { Signature = "", SigningKeyId = keyId };
        return unsigned with { Signature = CommandSignature.Compute(unsigned, secret ?? Secret) };
    }

    public static EnforcementCommand Signed() => Sign(Unsigned());

    public static CommandVerifier Verifier() => new(KeyId, Secret);
}
