using System.Collections.Concurrent;
using System.Text;
using KeyShareDetector.Contracts.Signing;
using KeyShareDetector.Contracts.Wire;

namespace KeyShareDetector.Contracts.Tests.Signing;

/// <summary>
/// Acceptance: "changing any byte of a signed command makes verification fail". Every byte position of the wire
/// bytes is replaced by each of the 255 other values, one at a time; no mutant may verify.
/// </summary>
public sealed class ByteMutationTests
{
    private static readonly CommandVerifier Verifier = SigningSamples.Verifier();

    public static TheoryData<string> Commands => ["live", "shadow, every optional field set"];

    [Theory]
    [MemberData(nameof(Commands))]
    public void No_single_byte_change_of_the_json_verifies(string sample)
    {
        byte[] wire = ContractCodecs.Command.SerializeJson(Command(sample));
        Assert.True(Verifier.Verify(wire).IsValid);

        var verified = VerifyingMutants(wire).Select(m => m.Describe(wire)).ToList();

        Assert.Empty(verified);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void No_single_byte_change_of_the_avro_single_object_encoding_verifies(string sample)
    {
        byte[] wire = ContractCodecs.Command.SerializeAvro(Command(sample));
        Assert.True(Verifier.Verify(wire).IsValid);

        var verified = VerifyingMutants(wire).Select(m => m.Describe(wire)).ToList();

        Assert.Empty(verified);
    }

    /// <summary>
    /// Our compact JSON has spellings another single byte can turn into the same value: an exponent's letter case
    /// (1E-05 / 1e-05), its sign (1E+20 / 1E020) and the hex case of a \u escape (\u001F / \u001f). The verifier
    /// accepts only the detector's own spelling, so these respellings fail too.
    /// </summary>
    [Fact]
    public void Respellings_of_json_numbers_and_escapes_do_not_verify_either()
    {
        var original = SigningSamples.Sign(SigningSamples.Unsigned() with
        {
            RiskScore = 1e-5,
            Reasons = [new Reason { Code = "C", Summary = "a\u001fb", Metrics = [new Metric { Name = "m", Value = 1e20 }] }],
        });
        byte[] wire = ContractCodecs.Command.SerializeJson(original);
        string text = Encoding.UTF8.GetString(wire);
        Assert.Contains("\"risk_score\":1E-05,", text, StringComparison.Ordinal);
        Assert.Contains("\"value\":1E+20}", text, StringComparison.Ordinal);
        Assert.Contains("a\\u001Fb", text, StringComparison.Ordinal);
        Assert.True(Verifier.Verify(wire).IsValid);

        Assert.Empty(VerifyingMutants(wire).Select(m => m.Describe(wire)));
    }

    [Fact]
    public void Whitespace_around_tokens_does_not_change_a_valid_command()
    {
        byte[] wire = ContractCodecs.Command.SerializeJson(SigningSamples.Signed());
        string pretty = System.Text.Json.Nodes.JsonNode.Parse(wire)!.ToJsonString(new System.Text.Json.JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });
        Assert.True(Verifier.Verify(Encoding.UTF8.GetBytes(pretty)).IsValid);
    }

    private static EnforcementCommand Command(string sample) => sample switch
    {
        "live" => SigningSamples.Signed(),
        _ => SigningSamples.Sign(SigningSamples.Unsigned() with
        {
            Shadow = true,
            Action = EnforcementAction.REVOKE,
            NewState = KeyState.REVOKED,
            Reasons = [.. SigningSamples.Unsigned().Reasons.Select(r => r with { Metrics = [new Metric { Name = "km", Value = 9000.5 }], Subjects = ["DE", "BR"] })],
        }),
    };

    /// <summary>
    /// The single-byte changes of <paramref name="wire"/> that verify. Tries all of them (about 190,000 for a JSON
    /// command), in parallel, one buffer per position.
    /// </summary>
    private static List<Mutant> VerifyingMutants(byte[] wire)
    {
        var verified = new ConcurrentBag<Mutant>();
        Parallel.For(0, wire.Length, i =>
        {
            byte[] copy = (byte[])wire.Clone();
            for (int b = 0; b < 256; b++)
            {
                if (b == wire[i]) continue;
                copy[i] = (byte)b;
                if (Verifier.Verify(copy).IsValid) verified.Add(new Mutant(i, (byte[])copy.Clone()));
            }
        });
        return [.. verified];
    }

    // The token around a position, for readable failures: bytes up to the nearest delimiter either side.
    private static string Around(byte[] bytes, int position)
    {
        int start = position, end = position;
        while (start > 0 && !IsDelimiter(bytes[start - 1])) start--;
        while (end < bytes.Length - 1 && !IsDelimiter(bytes[end + 1])) end++;
        return Encoding.UTF8.GetString(bytes, start, end - start + 1);

        static bool IsDelimiter(byte b) => b is (byte)':' or (byte)',' or (byte)'"' or (byte)'}' or (byte)'{';
    }

    private sealed record Mutant(int Position, byte[] Bytes)
    {
        public string Describe(byte[] original) =>
            $"byte {Position}: 0x{original[Position]:X2} -> 0x{Bytes[Position]:X2} in '{Around(Bytes, Position)}'";
    }
}
