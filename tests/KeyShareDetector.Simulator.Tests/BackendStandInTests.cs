using KeyShareDetector.Contracts;
using KeyShareDetector.Simulator;

namespace KeyShareDetector.Simulator.Tests;

public class BackendStandInTests
{
    private static EnforcementCommand Command(string id, EnforcementAction action, bool shadow = false) => new()
    {
        CommandId = id,
        ApiKeyId = "ak-1",
        AccountId = "ac-1",
        Action = action,
        IssuedAt = 1_767_225_600_000,
        PolicyVersion = "default-1",
        RiskScore = 120,
        PreviousState = KeyState.WARNED,
        NewState = action == EnforcementAction.REVOKE ? KeyState.REVOKED : KeyState.REAUTH_REQUIRED,
        ExpiresAt = 1_767_225_600_000 + 86_400_000,
        WindowStart = 1_767_225_000_000,
        WindowEnd = 1_767_225_600_000,
        Shadow = shadow,
    };

    [Fact]
    public void The_same_command_gets_the_same_answer()
    {
        var a = new BackendStandIn();
        var b = new BackendStandIn();
        for (int i = 0; i < 200; i++)
        {
            var c = Command("cmd-" + i, i % 3 == 0 ? EnforcementAction.REVOKE : EnforcementAction.REAUTH);
            Assert.Equal(a.Respond(c), b.Respond(c));
        }
    }

    [Fact]
    public void A_warning_gets_no_answer()
    {
        Assert.Null(new BackendStandIn().Respond(Command("w", EnforcementAction.WARN)));
    }

    [Fact]
    public void A_shadow_command_is_never_acted_upon()
    {
        Assert.Null(new BackendStandIn().Respond(Command("s", EnforcementAction.REVOKE, shadow: true)));
    }

    [Fact]
    public void A_revoke_is_answered_by_a_rotated_key_soon_after()
    {
        var c = Command("r", EnforcementAction.REVOKE);
        var e = new BackendStandIn().Respond(c);
        Assert.NotNull(e);
        Assert.Equal(LifecycleKind.KEY_ROTATED, e!.Kind);
        Assert.Equal(c.CommandId, e.CommandId);
        Assert.Equal(c.ApiKeyId, e.ApiKeyId);
        Assert.InRange(e.Ts, c.IssuedAt + 1, c.IssuedAt + 61_000);
    }

    [Fact]
    public void Most_owners_told_to_reauthenticate_do_so_after_a_delay_and_some_rotate_or_ignore_it()
    {
        var backend = new BackendStandIn();
        var answers = Enumerable.Range(0, 2_000).Select(i => Command("reauth-" + i, EnforcementAction.REAUTH)).Select(c => (c, e: backend.Respond(c))).ToList();
        int completed = answers.Count(x => x.e?.Kind == LifecycleKind.REAUTH_COMPLETED);
        int rotated = answers.Count(x => x.e?.Kind == LifecycleKind.KEY_ROTATED);
        int ignored = answers.Count(x => x.e is null);
        Assert.InRange(completed, 1_500, 1_700);
        Assert.InRange(rotated, 140, 260);
        Assert.InRange(ignored, 140, 260);
        Assert.All(answers.Where(x => x.e is not null), x => Assert.InRange(x.e!.Ts, x.c.IssuedAt + 60_000, x.c.IssuedAt + (30 * 60_000)));
    }
}
