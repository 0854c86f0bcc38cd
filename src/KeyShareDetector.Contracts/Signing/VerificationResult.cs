using System.Diagnostics.CodeAnalysis;

namespace KeyShareDetector.Contracts.Signing;

/// <summary>What <see cref="CommandVerifier"/> concluded about a command.</summary>
public enum VerificationStatus
{
    /// <summary>Signed with a known key, and the signature covers exactly these fields: act on it.</summary>
    Valid,

    /// <summary>Signed with a key id the verifier has no secret for (retired, not yet rolled out, or forged).</summary>
    UnknownKeyId,

    /// <summary>The signature does not match the fields under the named key: altered, or signed with another secret.</summary>
    BadSignature,

    /// <summary>Not a command at all (bytes that do not decode), or a command that is not signed.</summary>
    Malformed,
}

/// <summary>
/// The outcome of one verification: a <see cref="Status"/>, a one-line <see cref="Reason"/> that never contains a
/// secret, and the <see cref="Command"/> when it could be decoded (act on it only when <see cref="IsValid"/>).
/// </summary>
public sealed record VerificationResult
{
    private VerificationResult(VerificationStatus status, string reason, EnforcementCommand? command)
    {
        Status = status;
        Reason = reason;
        Command = command;
    }

    public VerificationStatus Status { get; }

    /// <summary>Why, in one line: "valid", the decoding error, the unknown key id...</summary>
    public string Reason { get; }

    /// <summary>The command verified; null only when the bytes did not decode.</summary>
    public EnforcementCommand? Command { get; }

    [MemberNotNullWhen(true, nameof(Command))]
    public bool IsValid => Status == VerificationStatus.Valid;

    public override string ToString() => $"{Status}: {Reason}";

    internal static VerificationResult Ok(EnforcementCommand command) => new(VerificationStatus.Valid, "valid", command);

    internal static VerificationResult UnknownKey(EnforcementCommand command, string reason) => new(VerificationStatus.UnknownKeyId, reason, command);

    internal static VerificationResult Mismatch(EnforcementCommand command, string reason) => new(VerificationStatus.BadSignature, reason, command);

    internal static VerificationResult Malformed(EnforcementCommand? command, string reason) => new(VerificationStatus.Malformed, reason, command);
}
