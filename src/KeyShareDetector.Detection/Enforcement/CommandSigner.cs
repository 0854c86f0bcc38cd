using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Signing;

namespace KeyShareDetector.Detection.Enforcement;

/// <summary>
/// Signs commands with HMAC-SHA256 over <see cref="CommandCanonicalForm"/> so the backend can refuse forged ones,
/// and verifies them with the same <see cref="CommandVerifier"/> the backend uses (from the Contracts library).
/// </summary>
/// <remarks>The secret is held only here; it never appears in <see cref="ToString"/> or exceptions.</remarks>
public sealed class CommandSigner
{
    private readonly byte[] _secret;

    public CommandSigner(string signingKeyId, ReadOnlySpan<byte> secret)
    {
        if (string.IsNullOrWhiteSpace(signingKeyId)) throw new ArgumentException("signing key id must not be empty", nameof(signingKeyId));
        if (secret.Length < CommandSignature.MinimumSecretLength)
        {
            throw new ArgumentException($"signing secret must be at least {CommandSignature.MinimumSecretLength} bytes", nameof(secret));
        }
        SigningKeyId = signingKeyId;
        _secret = secret.ToArray();
        Verifier = new CommandVerifier(signingKeyId, secret);
    }

    public string SigningKeyId { get; }

    /// <summary>A verifier that knows this signer's key id and secret only.</summary>
    public CommandVerifier Verifier { get; }

    /// <summary>The command with <see cref="SigningKeyId"/> and its signature set (any previous signature replaced).</summary>
    public EnforcementCommand Sign(EnforcementCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var unsigned = command with { Signature = "", SigningKeyId = SigningKeyId };
        return unsigned with { Signature = CommandSignature.Compute(unsigned, _secret) };
    }

    /// <summary>True when the command carries this signer's key id and a valid signature over its canonical form.</summary>
    public bool Verify(EnforcementCommand command) => Verifier.Verify(command).IsValid;

    public override string ToString() => $"CommandSigner(key id {SigningKeyId})";
}
