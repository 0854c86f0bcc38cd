using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Signing;
using KeyShareDetector.Detection.Enforcement;

namespace KeyShareDetector.Detection.Tests.Enforcement;

public class CommandSignerTests
{
    private static EnforcementCommand Sample() => new()
    {
        CommandId = CommandIdentity.Of("k1", EnforcementAction.WARN, "v1", 0, 600_000),
        ApiKeyId = "k1",
        AccountId = "a1",
        Action = EnforcementAction.WARN,
        IssuedAt = 1000,
        PolicyVersion = "v1",
        RiskScore = 42.5,
        Reasons = [new Reason { Code = "IP_DIVERSITY", Summary = "s", Metrics = [new Metric { Name = "n", Value = 3 }], Subjects = ["1.2.3.0/24"] }],
        PreviousState = KeyState.NORMAL,
        NewState = KeyState.WARNED,
        ExpiresAt = 2000,
        WindowStart = 0,
        WindowEnd = 600_000,
    };

    [Fact]
    public void A_signed_command_verifies()
    {
        var signer = TestSigner.Create();
        Assert.True(signer.Verify(signer.Sign(Sample())));
    }

    [Fact]
    public void Changing_any_field_breaks_the_signature()
    {
        var signer = TestSigner.Create();
        var signed = signer.Sign(Sample());
        Assert.False(signer.Verify(signed with { Action = EnforcementAction.REVOKE }));
        Assert.False(signer.Verify(signed with { RiskScore = 42.50001 }));
        Assert.False(signer.Verify(signed with { Reasons = [signed.Reasons[0] with { Subjects = ["1.2.4.0/24"] }] }));
        Assert.False(signer.Verify(signed with { ExpiresAt = 2001 }));
    }

    [Fact]
    public void A_command_signed_with_another_secret_fails()
    {
        var other = TestSigner.Create("another-secret-abcdefghijkl");
        Assert.False(TestSigner.Create().Verify(other.Sign(Sample())));
    }

    [Fact]
    public void What_the_signer_signs_the_backend_verifier_accepts_as_json_and_avro()
    {
        var signed = TestSigner.Create().Sign(Sample());
        var backend = new CommandVerifier("test-key-1", System.Text.Encoding.UTF8.GetBytes("unit-test-secret-0123456789"));

        Assert.True(backend.Verify(KeyShareDetector.Contracts.Wire.ContractCodecs.Command.SerializeJson(signed)).IsValid);
        Assert.True(backend.Verify(KeyShareDetector.Contracts.Wire.ContractCodecs.Command.SerializeAvro(signed)).IsValid);
        Assert.Equal("test-key-1", signed.SigningKeyId);
    }

    [Fact]
    public void Signing_again_replaces_the_old_signature_and_key_id()
    {
        var other = new CommandSigner("old-key", System.Text.Encoding.UTF8.GetBytes("old-secret-0123456789abc"));
        var resigned = TestSigner.Create().Sign(other.Sign(Sample()));

        Assert.True(TestSigner.Create().Verify(resigned));
        Assert.False(other.Verify(resigned));
        Assert.Equal(TestSigner.Create().Sign(Sample()).Signature, resigned.Signature);
    }

    [Fact]
    public void A_newline_in_a_value_cannot_forge_another_line()
    {
        var a = Sample() with { AccountId = "a1\naction=REVOKE" };
        var b = Sample() with { AccountId = "a1" };
        Assert.NotEqual(CommandCanonicalForm.Encode(a), CommandCanonicalForm.Encode(b));
        Assert.DoesNotContain("\naction=REVOKE\n", System.Text.Encoding.UTF8.GetString(CommandCanonicalForm.Encode(a)), StringComparison.Ordinal);
    }

    [Fact]
    public void The_secret_never_appears_in_the_signer_text()
    {
        Assert.DoesNotContain("unit-test-secret", TestSigner.Create().ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Command_ids_differ_by_window_and_action()
    {
        Assert.NotEqual(CommandIdentity.Of("k", EnforcementAction.WARN, "v", 0, 1), CommandIdentity.Of("k", EnforcementAction.WARN, "v", 1, 2));
        Assert.NotEqual(CommandIdentity.Of("k", EnforcementAction.WARN, "v", 0, 1), CommandIdentity.Of("k", EnforcementAction.REAUTH, "v", 0, 1));
        Assert.Equal(32, CommandIdentity.Of("k", EnforcementAction.WARN, "v", 0, 1).Length);
    }
}
