using System.Diagnostics;
using KeyShareDetector.Integration.Tests.Support;
using System.Text;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Detection.Enforcement;

namespace KeyShareDetector.Integration.Tests.Cli;

/// <summary>
/// `keyshare verify` run as a child process: the built CLI next to this repository's other build outputs
/// (src/KeyShareDetector.Cli/bin/&lt;Configuration&gt;/&lt;tfm&gt;/keyshare.dll, built by `dotnet build` of the solution),
/// or the executable or dll named by KEYSHARE_CLI.
/// </summary>
public sealed class VerifyCommandTests : IDisposable
{
    private const string Secret = "cli-test-secret-0123456789abcdef";
    private static readonly CommandSigner Signer = new("cli-key", Encoding.UTF8.GetBytes(Secret));
    private static readonly CommandSigner OtherSigner = new("cli-key", Encoding.UTF8.GetBytes("not-the-cli-test-secret-987654"));

    private readonly string _dir = Directory.CreateTempSubdirectory("keyshare-verify-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_signed_json_command_on_stdin_is_valid()
    {
        var command = Signer.Sign(Command("c-1"));

        var run = await RunAsync(["verify"], stdin: ContractCodecs.Command.SerializeJson(command), secretEnv: Secret);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["VALID c-1 REAUTH key-1"], run.StdoutLines);
        Assert.Empty(run.Stderr);
    }

    [Fact]
    public async Task An_avro_command_from_a_file_is_valid()
    {
        string file = Write("command.avro", ContractCodecs.Command.SerializeAvro(Signer.Sign(Command("c-avro"))));

        var run = await RunAsync(["verify", "--file", file], secretEnv: Secret);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["VALID c-avro REAUTH key-1"], run.StdoutLines);
    }

    [Fact]
    public async Task Json_lines_report_each_command_and_exit_1_when_any_is_invalid()
    {
        var good = Signer.Sign(Command("c-good"));
        var tampered = Signer.Sign(Command("c-tampered")) with { Action = EnforcementAction.REVOKE };
        var forged = OtherSigner.Sign(Command("c-forged"));
        string lines = string.Join(
            "\r\n",
            Json(good),
            Json(tampered),
            "",
            "{\"command_id\":\"c-broken\"",
            Json(forged),
            "not json") + "\n";
        string file = Write("commands.jsonl", Encoding.UTF8.GetBytes(lines));

        var run = await RunAsync(["verify", "--file", file], secretEnv: Secret);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(5, run.StdoutLines.Length); // the blank line is skipped
        Assert.Equal("VALID c-good REAUTH key-1", run.StdoutLines[0]);
        Assert.StartsWith("INVALID c-tampered: signature does not match", run.StdoutLines[1], StringComparison.Ordinal);
        Assert.StartsWith("INVALID line 4: enforcement command", run.StdoutLines[2], StringComparison.Ordinal);
        Assert.StartsWith("INVALID c-forged: signature does not match", run.StdoutLines[3], StringComparison.Ordinal);
        Assert.StartsWith("INVALID line 6: ", run.StdoutLines[4], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pretty_printed_command_is_one_document()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(ContractCodecs.Command.SerializeJson(Signer.Sign(Command("c-pretty"))));
        byte[] pretty = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(doc.RootElement, new System.Text.Json.JsonSerializerOptions { WriteIndented = true });

        var run = await RunAsync(["verify"], stdin: pretty, secretEnv: Secret);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["VALID c-pretty REAUTH key-1"], run.StdoutLines);
    }

    [Fact]
    public async Task The_secret_can_come_from_a_file_with_a_trailing_newline_and_is_never_printed()
    {
        string secretFile = Write("secret", Encoding.UTF8.GetBytes(Secret + "\n"));
        var tampered = Signer.Sign(Command("c-2")) with { AccountId = "someone-else" };

        var run = await RunAsync(["verify", "--secret-file", secretFile], stdin: ContractCodecs.Command.SerializeJson(tampered), secretEnv: null);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("INVALID c-2: signature does not match", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret[..10], run.Stdout + run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_id_restricts_which_signatures_are_accepted()
    {
        byte[] json = ContractCodecs.Command.SerializeJson(Signer.Sign(Command("c-3")));

        var accepted = await RunAsync(["verify", "--key-id", "cli-key"], stdin: json, secretEnv: Secret);
        var refused = await RunAsync(["verify", "--key-id", "next-key"], stdin: json, secretEnv: Secret);

        Assert.Equal(0, accepted.ExitCode);
        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith("INVALID c-3: unknown signing key id 'cli-key'", refused.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_secret_is_a_usage_error_naming_the_setting()
    {
        var run = await RunAsync(["verify"], stdin: ContractCodecs.Command.SerializeJson(Signer.Sign(Command("c-4"))), secretEnv: null);

        Assert.Equal(2, run.ExitCode);
        Assert.Empty(run.Stdout);
        string line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("KEYSHARE_SIGNING_SECRET", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--secret", "abc")]
    [InlineData("--file")]
    [InlineData("extra-argument")]
    public async Task Bad_arguments_are_usage_errors(params string[] args)
    {
        var run = await RunAsync(["verify", .. args], stdin: [], secretEnv: Secret);

        Assert.Equal(2, run.ExitCode);
        Assert.Empty(run.Stdout);
        Assert.NotEmpty(run.Stderr);
    }

    [Fact]
    public async Task Empty_input_and_a_missing_file_are_usage_errors()
    {
        var empty = await RunAsync(["verify"], stdin: "\n"u8.ToArray(), secretEnv: Secret);
        var missing = await RunAsync(["verify", "--file", Path.Combine(_dir, "nope.json")], secretEnv: Secret);

        Assert.Equal(2, empty.ExitCode);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("nope.json", missing.Stderr, StringComparison.Ordinal);
    }

    private static EnforcementCommand Command(string id) => new()
    {
        CommandId = id,
        ApiKeyId = "key-1",
        AccountId = "acct-1",
        Action = EnforcementAction.REAUTH,
        IssuedAt = 1_700_000_000_000,
        PolicyVersion = "v1",
        RiskScore = 0.8,
        Reasons = [new Reason { Code = "IP_DIVERSITY", Summary = "many networks", Metrics = [new Metric { Name = "prefixes", Value = 4 }], Subjects = ["203.0.113.0/24"] }],
        PreviousState = KeyState.WARNED,
        NewState = KeyState.REAUTH_REQUIRED,
        ExpiresAt = 1_700_003_600_000,
        WindowStart = 1_699_999_400_000,
        WindowEnd = 1_700_000_000_000,
    };

    private static string Json(EnforcementCommand c) => Encoding.UTF8.GetString(ContractCodecs.Command.SerializeJson(c));

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private sealed record CliRun(int ExitCode, string Stdout, string Stderr)
    {
        public string[] StdoutLines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static async Task<CliRun> RunAsync(string[] args, byte[]? stdin = null, string? secretEnv = null)
    {
        var start = KeyshareCli.Start(args);
        string fileName = start.FileName;
        if (secretEnv is not null) start.Environment["KEYSHARE_SIGNING_SECRET"] = secretEnv;

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            if (stdin is not null) await process.StandardInput.BaseStream.WriteAsync(stdin, timeout.Token);
            process.StandardInput.Close();
        }
        catch (IOException) when (process.HasExited || process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            // The command refused before reading its input (a usage error) and exited: the pipe is closed. Its exit
            // code and output below say what it did; a CI run failed here with "Broken pipe" when it exited first.
        }
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new CliRun(process.ExitCode, await stdout, await stderr);
    }
}
