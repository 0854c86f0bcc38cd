using System.Text;
using KeyShareDetector.Contracts.Signing;
using KeyShareDetector.Contracts.Wire;

namespace KeyShareDetector.Contracts.Tests.Signing;

public sealed class CommandVerifierTests
{
    private static readonly CommandVerifier Verifier = SigningSamples.Verifier();

    [Fact]
    public void A_signed_command_verifies_as_an_object_as_json_and_as_avro()
    {
        var signed = SigningSamples.Signed();

        var results = new[]
        {
            Verifier.Verify(signed),
            Verifier.Verify(ContractCodecs.Command.SerializeJson(signed)),
            Verifier.Verify(ContractCodecs.Command.SerializeAvro(signed)),
        };

        Assert.All(results, r => Assert.Equal(VerificationStatus.Valid, r.Status));
        Assert.All(results, r => Assert.Equal(signed.CommandId, r.Command?.CommandId));
    }

    [Fact]
    public void A_command_signed_with_another_secret_fails()
    {
        var forged = SigningSamples.Sign(SigningSamples.Unsigned(), secret: SigningSamples.OtherSecret);

        Assert.Equal(VerificationStatus.BadSignature, Verifier.Verify(forged).Status);
        Assert.Equal(VerificationStatus.BadSignature, Verifier.Verify(ContractCodecs.Command.SerializeJson(forged)).Status);
    }

    [Fact]
    public void A_command_signed_under_an_unknown_key_id_fails_and_says_which()
    {
        var result = Verifier.Verify(SigningSamples.Sign(SigningSamples.Unsigned(), keyId: "retired-2019"));

        Assert.Equal(VerificationStatus.UnknownKeyId, result.Status);
        Assert.Contains("'retired-2019'", result.Reason, StringComparison.Ordinal);
        Assert.Contains($"'{SigningSamples.KeyId}'", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_ring_verifies_old_and_new_keys_during_a_rotation()
    {
        var ring = new CommandVerifier(new Dictionary<string, byte[]>
        {
            ["2025-01"] = SigningSamples.OtherSecret,
            ["2025-07"] = SigningSamples.Secret,
        });
        var old = SigningSamples.Sign(SigningSamples.Unsigned(), "2025-01", SigningSamples.OtherSecret);
        var current = SigningSamples.Sign(SigningSamples.Unsigned(), "2025-07", SigningSamples.Secret);

        Assert.True(ring.Verify(old).IsValid);
        Assert.True(ring.Verify(current).IsValid);
        Assert.Equal(["2025-01", "2025-07"], ring.KeyIds);
        // The key id is signed too: claiming the other key of the ring does not help.
        Assert.Equal(VerificationStatus.BadSignature, ring.Verify(old with { SigningKeyId = "2025-07" }).Status);
        Assert.Equal(VerificationStatus.UnknownKeyId, new CommandVerifier("2025-07", SigningSamples.Secret).Verify(old).Status);
    }

    /// <summary>One change per field (and per kind of change to the lists); the names say which.</summary>
    public static TheoryData<string> FieldChanges => [.. Changes.Keys];

    private static readonly Dictionary<string, Func<EnforcementCommand, EnforcementCommand>> Changes = new(StringComparer.Ordinal)
    {
        ["CommandId"] = c => c with { CommandId = c.CommandId[..^1] + "1" },
        ["ApiKeyId"] = c => c with { ApiKeyId = "key-43" },
        ["AccountId"] = c => c with { AccountId = "acct-7 " },
        ["AccountId (newline forging a line)"] = c => c with { AccountId = "acct-7\naction=WARN" },
        ["Action"] = c => c with { Action = EnforcementAction.REVOKE },
        ["IssuedAt"] = c => c with { IssuedAt = c.IssuedAt + 1 },
        ["PolicyVersion"] = c => c with { PolicyVersion = "policy-2025-07-02" },
        ["RiskScore"] = c => c with { RiskScore = Math.BitIncrement(c.RiskScore) },
        ["Reasons (one removed)"] = c => c with { Reasons = c.Reasons.Take(1).ToList() },
        ["Reasons (all removed)"] = c => c with { Reasons = [] },
        ["Reasons (one added)"] = c => c with { Reasons = [.. c.Reasons, c.Reasons[1]] },
        ["Reasons (reordered)"] = c => c with { Reasons = [.. c.Reasons.Reverse()] },
        ["Reasons.Code"] = c => c with { Reasons = [c.Reasons[0] with { Code = "IP_DIVERSITZ" }, c.Reasons[1]] },
        ["Reasons.Summary"] = c => c with { Reasons = [c.Reasons[0] with { Summary = c.Reasons[0].Summary + "." }, c.Reasons[1]] },
        ["Reasons.Metrics (name)"] = c => c with { Reasons = [c.Reasons[0] with { Metrics = [c.Reasons[0].Metrics[0] with { Name = "prefixez" }, c.Reasons[0].Metrics[1]] }, c.Reasons[1]] },
        ["Reasons.Metrics (value)"] = c => c with { Reasons = [c.Reasons[0] with { Metrics = [c.Reasons[0].Metrics[0] with { Value = 6 }, c.Reasons[0].Metrics[1]] }, c.Reasons[1]] },
        ["Reasons.Metrics (one removed)"] = c => c with { Reasons = [c.Reasons[0] with { Metrics = [c.Reasons[0].Metrics[0]] }, c.Reasons[1]] },
        ["Reasons.Metrics (moved to another reason)"] = c => c with { Reasons = [c.Reasons[0] with { Metrics = [c.Reasons[0].Metrics[0]] }, c.Reasons[1] with { Metrics = [c.Reasons[0].Metrics[1]] }] },
        ["Reasons.Subjects (changed)"] = c => c with { Reasons = [c.Reasons[0] with { Subjects = ["203.0.113.0/24", "198.51.100.0/25", "AS64500"] }, c.Reasons[1]] },
        ["Reasons.Subjects (one added)"] = c => c with { Reasons = [c.Reasons[0], c.Reasons[1] with { Subjects = ["AS64501"] }] },
        ["PreviousState"] = c => c with { PreviousState = KeyState.MONITORED },
        ["NewState"] = c => c with { NewState = KeyState.REVOKED },
        ["ExpiresAt"] = c => c with { ExpiresAt = long.MaxValue },
        ["WindowStart"] = c => c with { WindowStart = c.WindowStart - 1 },
        ["WindowEnd"] = c => c with { WindowEnd = c.WindowEnd + 1 },
        ["Shadow"] = c => c with { Shadow = true },
        ["SigningKeyId"] = c => c with { SigningKeyId = c.SigningKeyId + "x" },
        ["Signature"] = c => c with { Signature = "A" + c.Signature[1..] },
    };

    [Theory]
    [MemberData(nameof(FieldChanges))]
    public void Changing_any_field_of_a_signed_command_fails(string change)
    {
        var signed = SigningSamples.Signed();
        var changed = Changes[change](signed);
        Assert.NotEqual(ContractCodecs.Command.SerializeJson(signed), ContractCodecs.Command.SerializeJson(changed));

        var result = Verifier.Verify(changed);

        Assert.False(result.IsValid, change);
        Assert.Contains(result.Status, new[] { VerificationStatus.BadSignature, VerificationStatus.UnknownKeyId });
    }

    [Fact]
    public void The_field_changes_cover_every_field_of_the_contract()
    {
        string[] fields =
        [
            .. typeof(EnforcementCommand).GetProperties().Select(p => p.Name),
            .. typeof(Reason).GetProperties().Select(p => "Reasons." + p.Name),
            .. typeof(Metric).GetProperties().Select(p => "Reasons.Metrics"),
        ];

        Assert.All(fields, f => Assert.Contains(Changes.Keys, k => k == f || k.StartsWith(f + " ", StringComparison.Ordinal) || k.StartsWith(f + ".", StringComparison.Ordinal)));
    }

    [Fact]
    public void Only_the_canonical_base64_text_of_the_signature_is_accepted()
    {
        var signed = SigningSamples.Signed();
        // 32 bytes in base64: 43 characters and '='; the 43rd carries 2 unused bits that decoders ignore.
        char last = signed.Signature[42];
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        string sameBytes = signed.Signature[..42] + alphabet[alphabet.IndexOf(last, StringComparison.Ordinal) ^ 1] + "=";
        Assert.Equal(Convert.FromBase64String(signed.Signature), Convert.FromBase64String(sameBytes));

        Assert.Equal(VerificationStatus.BadSignature, Verifier.Verify(signed with { Signature = sameBytes }).Status);
        Assert.Equal(VerificationStatus.BadSignature, Verifier.Verify(signed with { Signature = " " + signed.Signature }).Status);
        Assert.Equal(VerificationStatus.BadSignature, Verifier.Verify(signed with { Signature = signed.Signature.TrimEnd('=') }).Status);
        Assert.Equal(VerificationStatus.BadSignature, Verifier.Verify(signed with { Signature = "not base64!" }).Status);
    }

    [Fact]
    public void An_unsigned_command_is_malformed()
    {
        var unsigned = SigningSamples.Unsigned();

        var noKey = Verifier.Verify(unsigned);
        var noSignature = Verifier.Verify(unsigned with { SigningKeyId = SigningSamples.KeyId });

        Assert.Equal(VerificationStatus.Malformed, noKey.Status);
        Assert.Contains("signing_key_id", noKey.Reason, StringComparison.Ordinal);
        Assert.Equal(VerificationStatus.Malformed, noSignature.Status);
        Assert.Contains("signature is empty", noSignature.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_command_built_in_code_with_an_undefined_enum_or_a_null_field_is_malformed_not_an_exception()
    {
        var signed = SigningSamples.Signed();

        Assert.Equal(VerificationStatus.Malformed, Verifier.Verify(signed with { Action = (EnforcementAction)42 }).Status);
        Assert.Equal(VerificationStatus.Malformed, Verifier.Verify(signed with { NewState = (KeyState)(-1) }).Status);
        var nullField = Verifier.Verify(signed with { AccountId = null! });
        Assert.Equal(VerificationStatus.Malformed, nullField.Status);
        Assert.Contains("account_id", nullField.Reason, StringComparison.Ordinal);
        Assert.Equal(VerificationStatus.Malformed, Verifier.Verify(signed with { Reasons = [null!] }).Status);
    }

    [Theory]
    [InlineData("", "empty record")]
    [InlineData("not json", "neither a JSON object nor Avro")]
    [InlineData("{\"command_id\":\"c\"}", "missing required field")]
    [InlineData("{\"command_id\":", "enforcement command")]
    public void Bytes_that_do_not_decode_are_malformed_with_the_decoding_error(string input, string expected)
    {
        var result = Verifier.Verify(Encoding.UTF8.GetBytes(input));

        Assert.Equal(VerificationStatus.Malformed, result.Status);
        Assert.Null(result.Command);
        Assert.Contains(expected, result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Schema_registry_framed_bytes_are_malformed_without_a_registry()
    {
        byte[] framed = AvroWireFormat<EnforcementCommand>.SerializeSchemaRegistry(SigningSamples.Signed(), 7);

        Assert.Equal(VerificationStatus.Malformed, Verifier.Verify(framed).Status);
    }

    [Theory]
    [InlineData("\"shadow\":false", "\"shadoW\":false", "shadoW")]
    [InlineData("\"subjects\":[]}]", "\"subjects\":[],\"note\":\"x\"}]", "reasons[1].note")]
    [InlineData("{\"name\":\"prefixes\"", "{\"unit\":\"n\",\"name\":\"prefixes\"", "reasons[0].metrics[0].unit")]
    [InlineData("\"signing_key_id\"", "\"approved_by\":\"ceo\",\"signing_key_id\"", "approved_by")]
    public void A_json_field_outside_the_contract_is_refused_because_the_signature_cannot_cover_it(string from, string to, string field)
    {
        string json = Encoding.UTF8.GetString(ContractCodecs.Command.SerializeJson(SigningSamples.Signed()));
        Assert.Contains(from, json, StringComparison.Ordinal);
        byte[] changed = Encoding.UTF8.GetBytes(json.Replace(from, to, StringComparison.Ordinal));
        // The stream readers skip the unknown field: the decoded command is the signed one, field for field.
        Assert.Equal(CommandCanonicalForm.Encode(SigningSamples.Signed()), CommandCanonicalForm.Encode(ContractCodecs.Command.Deserialize(changed)));

        var result = Verifier.Verify(changed);

        Assert.Equal(VerificationStatus.Malformed, result.Status);
        Assert.Contains($"'{field}'", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Reformatted_json_with_the_same_fields_still_verifies()
    {
        // Layout is not signed: a pretty-printed copy that keeps every token's spelling, or a leading BOM, verifies.
        var signed = SigningSamples.Signed();
        using var doc = System.Text.Json.JsonDocument.Parse(ContractCodecs.Command.SerializeJson(signed));
        byte[] pretty = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(doc.RootElement, new System.Text.Json.JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });

        Assert.True(Verifier.Verify(pretty).IsValid);
        Assert.True(Verifier.Verify([0xEF, 0xBB, 0xBF, .. ContractCodecs.Command.SerializeJson(signed)]).IsValid);
    }

    [Fact]
    public void A_copy_that_re_escapes_characters_is_a_respelling_and_does_not_verify()
    {
        // .NET's default encoder writes '+' as \u002B: the same value, spelled differently from the detector's JSON.
        var signed = SigningSamples.Sign(SigningSamples.Unsigned() with { AccountId = "a+b" });
        using var doc = System.Text.Json.JsonDocument.Parse(ContractCodecs.Command.SerializeJson(signed));
        byte[] escaped = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(doc.RootElement);
        Assert.Contains("a\\u002Bb", Encoding.UTF8.GetString(escaped), StringComparison.Ordinal);

        Assert.Equal(VerificationStatus.Malformed, Verifier.Verify(escaped).Status);
        Assert.True(Verifier.Verify(ContractCodecs.Command.SerializeJson(signed)).IsValid);
    }

    [Fact]
    public void The_secret_never_appears_in_texts()
    {
        string secret = Encoding.UTF8.GetString(SigningSamples.Secret);
        var signed = SigningSamples.Signed();
        string[] texts =
        [
            Verifier.ToString(),
            Verifier.Verify(signed).ToString(),
            Verifier.Verify(signed with { Action = EnforcementAction.WARN }).ToString(),
            Verifier.Verify(signed with { SigningKeyId = "other" }).ToString(),
            Assert.Throws<ArgumentException>(() => new CommandVerifier(new Dictionary<string, byte[]> { ["a"] = SigningSamples.Secret, ["b"] = [1, 2, 3] })).Message,
        ];

        Assert.All(texts, t => Assert.DoesNotContain(secret[..12], t, StringComparison.Ordinal));
        Assert.All(texts, t => Assert.DoesNotContain(Convert.ToBase64String(SigningSamples.Secret)[..12], t, StringComparison.Ordinal));
        Assert.All(texts, t => Assert.DoesNotContain(Convert.ToHexString(SigningSamples.Secret)[..12], t, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void The_key_ring_is_validated_and_copied()
    {
        Assert.Throws<ArgumentException>(() => new CommandVerifier(new Dictionary<string, byte[]>()));
        Assert.Throws<ArgumentException>(() => new CommandVerifier(" ", SigningSamples.Secret));
        Assert.Throws<ArgumentException>(() => new CommandVerifier("k", new byte[CommandSignature.MinimumSecretLength - 1]));
        Assert.Throws<ArgumentException>(() => new CommandVerifier([new("k", SigningSamples.Secret), new("k", SigningSamples.OtherSecret)]));

        byte[] secret = (byte[])SigningSamples.Secret.Clone();
        var verifier = new CommandVerifier(new Dictionary<string, byte[]> { [SigningSamples.KeyId] = secret });
        secret[0] ^= 0xFF;
        Assert.True(verifier.Verify(SigningSamples.Signed()).IsValid);
    }

    /// <summary>
    /// The canonical form and signature of a fixed command, computed by the implementation that lived in
    /// KeyShareDetector.Detection before the move: signatures made before and after the move are the same.
    /// </summary>
    [Fact]
    public void The_canonical_form_and_signature_are_unchanged_by_the_move_to_contracts()
    {
        var command = new EnforcementCommand
        {
            CommandId = "cmd-abc", ApiKeyId = "key-42", AccountId = "acct-7\nx\\y", Action = EnforcementAction.REVOKE,
            IssuedAt = 1_700_000_000_123, PolicyVersion = "policy-2024-05-01", RiskScore = 0.97,
            Reasons =
            [
                new Reason
                {
                    Code = "IMPOSSIBLE_TRAVEL", Summary = "Two countries 9000 km apart within 4 minutes.",
                    Metrics = [new Metric { Name = "speed_kmh", Value = 135_000 }, new Metric { Name = "tiny", Value = 1e-5 }],
                    Subjects = ["203.0.113.9", "AS64500"],
                },
                new Reason { Code = "NEW_ASN", Summary = "First use \u00e9 from this network." },
            ],
            PreviousState = KeyState.REAUTH_REQUIRED, NewState = KeyState.REVOKED, ExpiresAt = 1_700_003_600_123,
            WindowStart = 1_699_999_700_000, WindowEnd = 1_700_000_000_000, Shadow = true, SigningKeyId = "golden-key",
        };
        const string expected =
            "format=ksd-command-v1\ncommand_id=cmd-abc\napi_key_id=key-42\naccount_id=acct-7\\nx\\\\y\naction=REVOKE\n" +
            "issued_at=1700000000123\npolicy_version=policy-2024-05-01\nrisk_score=0.97\nreasons[0].code=IMPOSSIBLE_TRAVEL\n" +
            "reasons[0].summary=Two countries 9000 km apart within 4 minutes.\nreasons[0].metrics[0]=speed_kmh=135000\n" +
            "reasons[0].metrics[1]=tiny=1E-05\nreasons[0].subjects[0]=203.0.113.9\nreasons[0].subjects[1]=AS64500\n" +
            "reasons[1].code=NEW_ASN\nreasons[1].summary=First use \u00e9 from this network.\nprevious_state=REAUTH_REQUIRED\n" +
            "new_state=REVOKED\nexpires_at=1700003600123\nwindow_start=1699999700000\nwindow_end=1700000000000\nshadow=true\n" +
            "signing_key_id=golden-key\n";

        Assert.Equal(expected, Encoding.UTF8.GetString(CommandCanonicalForm.Encode(command)));
        Assert.Equal("xTND75SNkIzAHttmgOWkyNlypMUv3pshkSWRveSMBKg=", CommandSignature.Compute(command, Encoding.UTF8.GetBytes("golden-secret-0123456789")));
    }
}
