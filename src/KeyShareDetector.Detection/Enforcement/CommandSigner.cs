using System.Security.Cryptography;
using KeyShareDetector.Contracts;

namespace KeyShareDetector.Detection.Enforcement;

/// <summary>Signs and verifies commands with HMAC-SHA256 so the backend can refuse forged ones.</summary>
/// <remarks>The secret is held only here; it never appears in <see cref="ToString"/> or exceptions.</remarks>
public sealed class CommandSigner
{
    private readonly byte[] _secret;

    public CommandSigner(string signingKeyId, ReadOnlySpan<byte> secret)
    {
        if (string.IsNullOrWhiteSpace(signingKeyId)) throw new ArgumentException("signing key id must not be empty", nameof(signingKeyId));
        if (secret.Length < 16) throw new ArgumentException("signing secret must be at least 16 bytes", nameof(secret));
        SigningKeyId = signingKeyId;
        _secret = secret.ToArray();
    }

    public string SigningKeyId { get; }

    public EnforcementCommand Sign(EnforcementCommand command)
    {
        var unsigned = command with { Signature = "", SigningKeyId = SigningKeyId };
        byte[] mac = HMACSHA256.HashData(_secret, CommandCanonicalForm.Encode(unsigned));
        return unsigned with { Signature = Convert.ToBase64String(mac) };
    }

    /// <summary>True when the command carries this signer's key id and a valid signature over its canonical form.</summary>
    public bool Verify(EnforcementCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!string.Equals(command.SigningKeyId, SigningKeyId, StringComparison.Ordinal)) return false;
        byte[] given;
        try { given = Convert.FromBase64String(command.Signature); }
        catch (FormatException) { return false; }
        byte[] expected = HMACSHA256.HashData(_secret, CommandCanonicalForm.Encode(command with { Signature = "" }));
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }

    public override string ToString() => $"CommandSigner(key id {SigningKeyId})";
}
