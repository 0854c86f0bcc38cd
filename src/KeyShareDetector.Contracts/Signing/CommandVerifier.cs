using System.Buffers;
using System.Text.Json;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using KeyShareDetector.Contracts.Wire;

namespace KeyShareDetector.Contracts.Signing;

/// <summary>
/// Checks that an enforcement command was signed by the detector: HMAC-SHA256 over
/// <see cref="CommandCanonicalForm"/> under the secret its <c>signing_key_id</c> names. Built from a key ring
/// (key id -> secret) so keys can rotate: keep the old id in the ring until its commands have expired.
/// </summary>
/// <remarks>
/// Immutable and thread-safe: build once, share. Secrets are copied in and never appear in
/// <see cref="ToString"/>, results or exception messages.
/// <code>
/// var verifier = new CommandVerifier(new Dictionary&lt;string, byte[]&gt; { ["2025-01"] = oldSecret, ["2025-07"] = newSecret });
/// var result = verifier.Verify(kafkaValueBytes);   // JSON or Avro single-object
/// if (result.IsValid) Apply(result.Command); else Refuse(result.Status, result.Reason);
/// </code>
/// </remarks>
public sealed class CommandVerifier
{
    private const int MaxQuoted = 64;

    private readonly Dictionary<string, byte[]> _keys;

    /// <summary>A verifier that knows the given key ids and their secrets.</summary>
    /// <exception cref="ArgumentException">The ring is empty, a key id is blank or repeated, or a secret is shorter than <see cref="CommandSignature.MinimumSecretLength"/> bytes.</exception>
    public CommandVerifier(IEnumerable<KeyValuePair<string, byte[]>> keyRing)
    {
        ArgumentNullException.ThrowIfNull(keyRing);
        _keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (id, secret) in keyRing)
        {
            RequireKeyId(id, nameof(keyRing));
            ArgumentNullException.ThrowIfNull(secret, nameof(keyRing));
            CommandSignature.RequireSecret(secret);
            if (!_keys.TryAdd(id, secret.ToArray()))
            {
                throw new ArgumentException($"signing key id {Quote(id)} appears twice in the key ring", nameof(keyRing));
            }
        }

        if (_keys.Count == 0)
        {
            throw new ArgumentException("the key ring is empty", nameof(keyRing));
        }

        KeyIds = [.. _keys.Keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>A verifier that knows one key.</summary>
    public CommandVerifier(string signingKeyId, ReadOnlySpan<byte> secret)
        : this([new KeyValuePair<string, byte[]>(signingKeyId, secret.ToArray())])
    {
    }

    /// <summary>The key ids this verifier accepts, in ordinal order.</summary>
    public IReadOnlyList<string> KeyIds { get; }

    /// <summary>Verifies a decoded command.</summary>
    public VerificationResult Verify(EnforcementCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (string.IsNullOrEmpty(command.SigningKeyId))
        {
            return VerificationResult.Malformed(command, "command is not signed: signing_key_id is empty");
        }

        if (string.IsNullOrEmpty(command.Signature))
        {
            return VerificationResult.Malformed(command, "command is not signed: signature is empty");
        }

        if (Undefined(command) is { } field)
        {
            return VerificationResult.Malformed(command, $"{field} is not a symbol of the contract");
        }

        if (!_keys.TryGetValue(command.SigningKeyId, out byte[]? secret))
        {
            return VerificationResult.UnknownKey(
                command,
                $"unknown signing key id {Quote(command.SigningKeyId)} (this verifier knows {string.Join(", ", KeyIds.Select(Quote))})");
        }

        byte[] canonical;
        try
        {
            canonical = CommandCanonicalForm.Encode(command);
        }
        catch (ArgumentException ex)
        {
            return VerificationResult.Malformed(command, ex.Message);
        }

        // Compare the base64 text, not the decoded bytes: base64 decoders ignore whitespace and the unused low
        // bits of the last character, so several texts decode to one MAC. Only the canonical text is accepted.
        byte[] expected = Encoding.ASCII.GetBytes(CommandSignature.Compute(canonical, secret));
        byte[] given = Encoding.UTF8.GetBytes(command.Signature);
        return CryptographicOperations.FixedTimeEquals(expected, given)
            ? VerificationResult.Ok(command)
            : VerificationResult.Mismatch(command, $"signature does not match the command under signing key id {Quote(command.SigningKeyId)}");
    }

    /// <summary>
    /// Decodes one record (JSON, or Avro single-object encoding: whatever <see cref="ContractCodecs.Command"/> reads)
    /// and verifies it. Bytes that do not decode give <see cref="VerificationStatus.Malformed"/> with the decoding error.
    /// Stricter than the stream readers: a JSON field the contract does not define is refused rather than skipped,
    /// since the signature cannot cover it (Avro single-object input is already pinned to the current schema).
    /// </summary>
    public VerificationResult Verify(ReadOnlySpan<byte> wireBytes)
    {
        EnforcementCommand command;
        try
        {
            command = ContractCodecs.Command.Deserialize(wireBytes);
        }
        catch (ContractException ex)
        {
            return VerificationResult.Malformed(null, ex.Message);
        }

        if (WireFormats.Detect(wireBytes) == DetectedWireFormat.Json && SignedJsonFields.FindUnknown(wireBytes) is { } unknown)
        {
            return VerificationResult.Malformed(command, $"enforcement command: field '{unknown}' is not part of the contract, so the signature cannot cover it");
        }

        if (WireFormats.Detect(wireBytes) == DetectedWireFormat.Json && !IsCanonicalJson(wireBytes, command))
        {
            return VerificationResult.Malformed(command,
                "enforcement command: not in the canonical JSON spelling the detector writes (a number, escape or field differs in form), so the signature does not cover these bytes");
        }

        return Verify(command);
    }

    /// <summary>
    /// True when the bytes, with insignificant whitespace removed but every token spelled as given, are exactly
    /// the detector's own JSON for the decoded command: values spelled differently (1E-05 / 1e-05) do not verify.
    /// </summary>
    private static bool IsCanonicalJson(ReadOnlySpan<byte> json, EnforcementCommand command)
    {
        byte[] canonical;
        try
        {
            canonical = ContractCodecs.Command.SerializeJson(command);
        }
        catch (ContractException)
        {
            // A value the detector could never have written (e.g. an overflow to infinity).
            return false;
        }
        if (json.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) json = json[3..];
        var minified = new ArrayBufferWriter<byte>(json.Length);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        bool needComma = false;
        while (reader.Read())
        {
            var token = reader.TokenType;
            if (needComma && token is not (JsonTokenType.EndObject or JsonTokenType.EndArray)) minified.Write(","u8);
            switch (token)
            {
                case JsonTokenType.StartObject: minified.Write("{"u8); needComma = false; continue;
                case JsonTokenType.StartArray: minified.Write("["u8); needComma = false; continue;
                case JsonTokenType.EndObject: minified.Write("}"u8); needComma = true; continue;
                case JsonTokenType.EndArray: minified.Write("]"u8); needComma = true; continue;
                case JsonTokenType.PropertyName:
                    minified.Write("\""u8); minified.Write(reader.ValueSpan); minified.Write("\":"u8);
                    needComma = false;
                    continue;
                case JsonTokenType.String:
                    minified.Write("\""u8); minified.Write(reader.ValueSpan); minified.Write("\""u8);
                    break;
                default:
                    minified.Write(reader.ValueSpan);
                    break;
            }
            needComma = true;
        }
        return minified.WrittenSpan.SequenceEqual(canonical);
    }

    public override string ToString() => $"CommandVerifier({CommandSignature.Algorithm}, key ids {string.Join(", ", KeyIds)})";

    private static string? Undefined(EnforcementCommand c) =>
        !Enum.IsDefined(c.Action) ? "action"
        : !Enum.IsDefined(c.PreviousState) ? "previous_state"
        : !Enum.IsDefined(c.NewState) ? "new_state"
        : null;

    private static void RequireKeyId(string? id, string paramName)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            throw new ArgumentException("signing key id must not be empty", paramName);
        }
    }

    /// <summary>A key id for a one-line message: quoted, control characters escaped, long ones cut.</summary>
    private static string Quote(string value)
    {
        var sb = new StringBuilder(Math.Min(value.Length, MaxQuoted) + 8).Append('\'');
        foreach (char ch in value.Length > MaxQuoted ? value[..MaxQuoted] : value)
        {
            if (char.IsControl(ch)) sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)ch:x4}");
            else sb.Append(ch);
        }

        return sb.Append(value.Length > MaxQuoted ? "'..." : "'").ToString();
    }
}
