using System.CommandLine;
using System.CommandLine.Invocation;
using System.Globalization;
using System.Text;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Signing;
using KeyShareDetector.Contracts.Wire;

namespace KeyShareDetector.Cli.Commands;

/// <summary>
/// `keyshare verify`: checks the signatures of enforcement commands read from a file or stdin, with the verifier
/// the exchange backend uses (KeyShareDetector.Contracts.Signing.CommandVerifier).
/// </summary>
/// <remarks>
/// Input: one command (JSON, possibly pretty-printed, or Avro single-object bytes) or JSON lines (one command per
/// line; chosen when the first non-blank line is a whole JSON object). Output, one line per command on stdout:
/// <c>VALID &lt;command_id&gt; &lt;action&gt; &lt;api_key_id&gt;</c> or <c>INVALID &lt;command_id | line N&gt;: &lt;reason&gt;</c>.
/// Exit codes: 0 all valid, 1 any invalid, 2 usage error (bad option, no secret, unreadable input), nothing printed
/// on stdout then. The secret comes from --secret-file or KEYSHARE_SIGNING_SECRET, never from the command line,
/// and is never printed.
/// </remarks>
internal static class VerifyCommand
{
    public const string SecretEnvironmentVariable = "KEYSHARE_SIGNING_SECRET";

    public const int AllValid = 0;
    public const int SomeInvalid = 1;
    public const int UsageError = 2;

    public static Command Create()
    {
        var file = new Option<string?>("--file")
        {
            Description = "read from this file instead of stdin: one command (JSON or Avro single-object) or JSON lines",
            HelpName = "PATH",
        };
        var secretFile = new Option<string?>("--secret-file")
        {
            Description = $"file holding the signing secret (bytes as is, one trailing newline ignored); default: environment variable {SecretEnvironmentVariable}",
            HelpName = "PATH",
        };
        var keyId = new Option<string?>("--key-id")
        {
            Description = "accept only commands signed under this key id (default: the command's own key id, with the given secret)",
            HelpName = "ID",
        };
        var command = new Command("verify", "check the HMAC-SHA256 signatures of enforcement commands read from a file or stdin")
        {
            file, secretFile, keyId,
        };
        command.Action = new VerifyAction(file, secretFile, keyId);
        return command;
    }

    /// <summary>
    /// The signing secret: the bytes of <paramref name="secretFile"/> without one trailing line ending (files
    /// written by echo or an editor), else the UTF-8 bytes of <see cref="SecretEnvironmentVariable"/>.
    /// Null with a one-line <paramref name="error"/> (naming the setting, never the secret) when neither is usable.
    /// </summary>
    internal static byte[]? LoadSecret(string? secretFile, out string? error)
    {
        byte[] secret;
        string source;
        if (secretFile is not null)
        {
            source = $"--secret-file '{secretFile}'";
            try
            {
                secret = File.ReadAllBytes(secretFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                error = $"cannot read {source}: {ex.Message}";
                return null;
            }

            int length = secret.Length;
            if (length > 0 && secret[length - 1] == '\n') length--;
            if (length > 0 && secret[length - 1] == '\r') length--;
            secret = secret[..length];
        }
        else
        {
            source = SecretEnvironmentVariable;
            string? value = Environment.GetEnvironmentVariable(SecretEnvironmentVariable);
            if (string.IsNullOrEmpty(value))
            {
                error = $"no signing secret: set {SecretEnvironmentVariable} or pass --secret-file PATH";
                return null;
            }

            secret = Encoding.UTF8.GetBytes(value);
        }

        if (secret.Length < CommandSignature.MinimumSecretLength)
        {
            error = $"the signing secret from {source} is shorter than {CommandSignature.MinimumSecretLength} bytes";
            return null;
        }

        error = null;
        return secret;
    }

    /// <summary>
    /// Splits the input into records, each with the 1-based line it starts on: Avro is one record; JSON is JSON
    /// lines when the first non-blank line is a whole object, one document otherwise.
    /// </summary>
    internal static List<(int Line, ReadOnlyMemory<byte> Bytes)> Records(ReadOnlyMemory<byte> input)
    {
        if (WireFormats.Detect(input.Span) is DetectedWireFormat.AvroSingleObject or DetectedWireFormat.SchemaRegistry)
        {
            return [(1, input)];
        }

        var lines = new List<(int Line, ReadOnlyMemory<byte> Bytes)>();
        int start = 0;
        for (int number = 1; start <= input.Length; number++)
        {
            int newline = input.Span[start..].IndexOf((byte)'\n');
            int end = newline < 0 ? input.Length : start + newline;
            var line = Trim(input[start..end], number == 1);
            if (!line.IsEmpty) lines.Add((number, line));
            start = end + 1;
        }

        if (lines.Count == 0) return [];
        var first = lines[0].Bytes.Span;
        bool jsonLines = first[0] == '{' && first[^1] == '}';
        return jsonLines ? lines : [(lines[0].Line, input)];
    }

    // Without a line's surrounding whitespace (and the BOM on the first line).
    private static ReadOnlyMemory<byte> Trim(ReadOnlyMemory<byte> line, bool first)
    {
        if (first && line.Span.StartsWith("\uFEFF"u8)) line = line[3..];
        int s = 0, e = line.Length;
        while (s < e && IsBlank(line.Span[s])) s++;
        while (e > s && IsBlank(line.Span[e - 1])) e--;
        return line[s..e];

        static bool IsBlank(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';
    }

    /// <summary>An untrusted value as one printable token: control characters and whitespace escaped, long values cut.</summary>
    internal static string Token(string value) => Printable(value, escapeWhitespace: true);

    private static string Printable(string value, bool escapeWhitespace)
    {
        const int max = 200;
        var sb = new StringBuilder(Math.Min(value.Length, max) + 8);
        foreach (char ch in value.Length > max ? value[..max] : value)
        {
            if (char.IsControl(ch) || (escapeWhitespace && char.IsWhiteSpace(ch)) || char.IsSurrogate(ch))
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)ch:x4}");
            }
            else
            {
                sb.Append(ch);
            }
        }

        return value.Length > max ? sb.Append("...").ToString() : sb.ToString();
    }

    private sealed class VerifyAction(Option<string?> file, Option<string?> secretFile, Option<string?> keyId) : AsynchronousCommandLineAction
    {
        // Parse errors come to this action (instead of System.CommandLine's, which exits 1) so that they exit 2:
        // 1 means "a command did not verify".
        public override bool ClearsParseErrors => true;

        public override async Task<int> InvokeAsync(ParseResult parseResult, CancellationToken cancellationToken = default)
        {
            TextWriter output = parseResult.InvocationConfiguration.Output;
            TextWriter error = parseResult.InvocationConfiguration.Error;
            if (parseResult.Errors.Count > 0 || parseResult.UnmatchedTokens.Count > 0)
            {
                foreach (var e in parseResult.Errors) await error.WriteLineAsync(e.Message);
                foreach (var t in parseResult.UnmatchedTokens) await error.WriteLineAsync($"unrecognized argument '{t}' (see keyshare verify --help)");
                return UsageError;
            }

            string? path = parseResult.GetValue(file);
            string? onlyKeyId = parseResult.GetValue(keyId);
            if (onlyKeyId is not null && string.IsNullOrWhiteSpace(onlyKeyId))
            {
                await error.WriteLineAsync("--key-id must not be empty");
                return UsageError;
            }

            byte[]? secret = LoadSecret(parseResult.GetValue(secretFile), out string? secretError);
            if (secret is null)
            {
                await error.WriteLineAsync(secretError);
                return UsageError;
            }

            byte[] input;
            try
            {
                input = await ReadInputAsync(path, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or InvalidOperationException)
            {
                await error.WriteLineAsync(ex.Message);
                return UsageError;
            }

            var records = Records(input);
            if (records.Count == 0)
            {
                await error.WriteLineAsync($"no command in {(path is null ? "stdin" : $"--file '{path}'")}");
                return UsageError;
            }

            var verifiers = new Dictionary<string, CommandVerifier>(StringComparer.Ordinal);
            bool allValid = true;
            foreach (var (line, bytes) in records)
            {
                cancellationToken.ThrowIfCancellationRequested();
                string result = Verify(line, bytes.Span, onlyKeyId, secret, verifiers, out bool valid);
                allValid &= valid;
                await output.WriteLineAsync(result);
            }

            return allValid ? AllValid : SomeInvalid;
        }

        private static string Verify(int line, ReadOnlySpan<byte> bytes, string? onlyKeyId, byte[] secret, Dictionary<string, CommandVerifier> verifiers, out bool valid)
        {
            string where = string.Create(CultureInfo.InvariantCulture, $"line {line}");
            EnforcementCommand command;
            try
            {
                command = ContractCodecs.Command.Deserialize(bytes);
            }
            catch (ContractException ex)
            {
                valid = false;
                return $"INVALID {where}: {Printable(ex.Message, escapeWhitespace: false)}";
            }

            // Without --key-id the secret is taken to be the one the command's key id names. An unsigned command
            // (no key id) is refused by any verifier before the key id matters.
            string id = onlyKeyId ?? (string.IsNullOrWhiteSpace(command.SigningKeyId) ? "(unsigned)" : command.SigningKeyId);
            if (!verifiers.TryGetValue(id, out var verifier))
            {
                verifier = new CommandVerifier(id, secret);
                verifiers[id] = verifier;
            }

            var result = verifier.Verify(bytes);
            valid = result.IsValid;
            if (result.IsValid)
            {
                return $"VALID {Token(result.Command.CommandId)} {result.Command.Action} {Token(result.Command.ApiKeyId)}";
            }

            string name = string.IsNullOrWhiteSpace(command.CommandId) ? where : Token(command.CommandId);
            return $"INVALID {name}: {Printable(result.Reason, escapeWhitespace: false)}";
        }

        private static async Task<byte[]> ReadInputAsync(string? path, CancellationToken ct)
        {
            if (path is not null)
            {
                try
                {
                    return await File.ReadAllBytesAsync(path, ct);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw new IOException($"cannot read --file '{path}': {ex.Message}", ex);
                }
            }

            if (!Console.IsInputRedirected)
            {
                throw new InvalidOperationException("no --file and stdin is a terminal: pipe commands in or pass --file PATH");
            }

            using var stdin = Console.OpenStandardInput();
            using var buffer = new MemoryStream();
            await stdin.CopyToAsync(buffer, ct);
            return buffer.ToArray();
        }
    }
}
