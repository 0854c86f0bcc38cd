using System.Security.Cryptography;

namespace KeyShareDetector.Contracts.Signing;

/// <summary>
/// The signature scheme of <see cref="EnforcementCommand"/>: <c>signature</c> is the standard base64 (with
/// padding) of HMAC-SHA256(secret, <see cref="CommandCanonicalForm.Encode"/>(command)), and <c>signing_key_id</c>,
/// which the canonical form covers, names the secret.
/// </summary>
public static class CommandSignature
{
    /// <summary>The MAC algorithm, for logs and documentation.</summary>
    public const string Algorithm = "HMAC-SHA256";

    /// <summary>Shortest secret a signer or a verifier accepts, in bytes.</summary>
    public const int MinimumSecretLength = 16;

    /// <summary>The signature of <paramref name="command"/> under <paramref name="secret"/>; the command's own signature is ignored.</summary>
    /// <exception cref="ArgumentException">A field of the command is null, or the secret is shorter than <see cref="MinimumSecretLength"/>.</exception>
    public static string Compute(EnforcementCommand command, ReadOnlySpan<byte> secret)
    {
        ArgumentNullException.ThrowIfNull(command);
        RequireSecret(secret);
        return Compute(CommandCanonicalForm.Encode(command), secret);
    }

    internal static string Compute(ReadOnlySpan<byte> canonical, ReadOnlySpan<byte> secret) =>
        Convert.ToBase64String(HMACSHA256.HashData(secret, canonical));

    internal static void RequireSecret(ReadOnlySpan<byte> secret)
    {
        if (secret.Length < MinimumSecretLength)
        {
            throw new ArgumentException($"signing secret must be at least {MinimumSecretLength} bytes", nameof(secret));
        }
    }
}
