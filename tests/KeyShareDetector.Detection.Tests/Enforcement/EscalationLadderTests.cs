using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Enforcement;

namespace KeyShareDetector.Detection.Tests.Enforcement;

public class EscalationLadderTests
{
    private static readonly LadderRule Rule = new();
    private const long Minute = 60_000;

    private static LadderStep? Eval(LadderState s, double score, long ts, bool fresh = true, KeyState? hard = null) =>
        EscalationLadder.Evaluate(s, Rule, score, ts, fresh, hard);

    [Fact]
    public void A_moderate_score_moves_a_key_to_monitored_without_a_command()
    {
        var s = new LadderState();
        var step = Eval(s, 30, 0);
        Assert.Equal(new LadderStep(null, KeyState.NORMAL, KeyState.MONITORED), step);
    }

    [Fact]
    public void A_high_score_without_hard_evidence_still_starts_with_a_warning()
    {
        var s = new LadderState();
        Assert.Equal(EnforcementAction.WARN, Eval(s, 500, 0)?.Action);
        Assert.Equal(KeyState.WARNED, s.State);
    }

    [Fact]
    public void The_next_rung_needs_fresh_evidence_and_the_minimum_interval()
    {
        var s = new LadderState();
        Eval(s, 120, 0);
        Assert.Null(Eval(s, 120, 4 * Minute));
        Assert.Null(Eval(s, 120, 6 * Minute, fresh: false));
        Assert.Equal(EnforcementAction.REAUTH, Eval(s, 120, 6 * Minute)?.Action);
    }

    [Fact]
    public void Abuse_that_goes_on_at_warn_level_escalates_to_reauth_after_the_repeat_interval_but_never_to_revoke_by_repetition_alone()
    {
        var s = new LadderState();
        Eval(s, 60, 0);
        Assert.Null(Eval(s, 60, 10 * Minute));
        Assert.Equal(EnforcementAction.REAUTH, Eval(s, 60, 15 * Minute)?.Action);
        Assert.Null(Eval(s, 60, 60 * Minute));
        Assert.Null(Eval(s, 150, 120 * Minute));
        Assert.Equal(EnforcementAction.REVOKE, Eval(s, 170, 121 * Minute)?.Action);
    }

    [Fact]
    public void Hard_evidence_jumps_as_far_as_the_policy_allows()
    {
        var s = new LadderState();
        var step = Eval(s, 60, 0, hard: KeyState.REAUTH_REQUIRED);
        Assert.Equal(new LadderStep(EnforcementAction.REAUTH, KeyState.NORMAL, KeyState.REAUTH_REQUIRED), step);
    }

    [Fact]
    public void A_completed_reauthentication_puts_the_key_on_probation_and_renewed_abuse_goes_straight_back_to_reauth_then_revoke()
    {
        var s = new LadderState();
        Assert.Equal(EnforcementAction.WARN, Eval(s, 60, 0)?.Action);
        Assert.Equal(EnforcementAction.REAUTH, Eval(s, 120, 10 * Minute)?.Action);
        Assert.Equal(new LadderStep(null, KeyState.REAUTH_REQUIRED, KeyState.MONITORED), EscalationLadder.OnLifecycle(s, Rule, LifecycleKind.REAUTH_COMPLETED, 20 * Minute));

        Assert.Equal(new LadderStep(EnforcementAction.REAUTH, KeyState.MONITORED, KeyState.REAUTH_REQUIRED), Eval(s, 60, 30 * Minute));
        Assert.Equal(EnforcementAction.REVOKE, Eval(s, 60, 40 * Minute)?.Action);
        Assert.Equal(KeyState.REVOKED, s.State);
    }

    [Fact]
    public void After_probation_renewed_abuse_starts_again_with_a_warning()
    {
        var s = new LadderState();
        Eval(s, 60, 0);
        Eval(s, 120, 10 * Minute);
        EscalationLadder.OnLifecycle(s, Rule, LifecycleKind.REAUTH_COMPLETED, 20 * Minute);
        Assert.Equal(EnforcementAction.WARN, Eval(s, 60, 20 * Minute + Rule.ProbationMs)?.Action);
    }

    [Fact]
    public void Quiet_keys_decay_one_rung_at_a_time_and_a_new_episode_begins_at_normal()
    {
        var s = new LadderState { LastEvidenceAt = 0 };
        Eval(s, 60, 0);
        Assert.Null(EscalationLadder.Decay(s, Rule, Rule.DecayMs - 1));
        Assert.Equal(KeyState.MONITORED, EscalationLadder.Decay(s, Rule, Rule.DecayMs)?.To);
        Assert.Equal(KeyState.NORMAL, EscalationLadder.Decay(s, Rule, 2 * Rule.DecayMs)?.To);
        Assert.Equal(1, s.Episode);
    }

    [Fact]
    public void A_warned_key_that_decayed_and_is_abused_again_is_not_warned_twice_in_the_episode()
    {
        var s = new LadderState { LastEvidenceAt = 0 };
        Eval(s, 60, 0);
        EscalationLadder.Decay(s, Rule, Rule.DecayMs);
        Assert.Equal(KeyState.MONITORED, s.State);
        var step = Eval(s, 60, Rule.DecayMs + Minute);
        Assert.Null(step);
        Assert.Equal(new LadderStep(EnforcementAction.REAUTH, KeyState.MONITORED, KeyState.REAUTH_REQUIRED), Eval(s, 120, Rule.DecayMs + (10 * Minute)));
    }

    [Fact]
    public void Reauth_required_does_not_decay_it_waits_for_the_owner()
    {
        var s = new LadderState { LastEvidenceAt = 0 };
        Eval(s, 60, 0, hard: KeyState.REAUTH_REQUIRED);
        Assert.Null(EscalationLadder.Decay(s, Rule, 10 * Rule.DecayMs));
    }

    [Fact]
    public void A_rotated_key_is_closed_and_gets_no_more_commands()
    {
        var s = new LadderState();
        Eval(s, 60, 0);
        EscalationLadder.OnLifecycle(s, Rule, LifecycleKind.KEY_ROTATED, Minute);
        Assert.True(s.Closed);
        Assert.Null(Eval(s, 500, 100 * Minute));
    }

    [Fact]
    public void Invalid_rules_are_named()
    {
        var errors = new LadderRule { WarnScore = 200 }.Validate().ToList();
        Assert.Contains(errors, e => e.StartsWith("ladder: scores must rise", StringComparison.Ordinal));
    }

    /// <summary>One random step of evidence: a score, minutes since the previous step, fresh evidence, hard evidence, lifecycle.</summary>
    public sealed record Step(int Score, int Minutes, bool Fresh, bool Hard, int Lifecycle);

    private static Arbitrary<Step[]> Steps() =>
        (from score in Gen.Choose(0, 250)
         from minutes in Gen.Choose(0, 30)
         from fresh in Gen.Elements(true, true, false)
         from hard in Gen.Frequency((9, Gen.Constant(false)), (1, Gen.Constant(true)))
         from lifecycle in Gen.Frequency((12, Gen.Constant(0)), (1, Gen.Constant(1)), (1, Gen.Constant(2)))
         select new Step(score, minutes, fresh, hard, lifecycle)).ArrayOf().ToArbitrary();

    private static List<(LadderStep Step, bool Jump, int Episode, KeyState Peak)> Run(Step[] steps)
    {
        var s = new LadderState();
        var log = new List<(LadderStep, bool, int, KeyState)>();
        long ts = 0;
        foreach (var st in steps)
        {
            ts += st.Minutes * Minute;
            if (st.Lifecycle == 1) EscalationLadder.OnLifecycle(s, Rule, LifecycleKind.REAUTH_COMPLETED, ts);
            if (st.Lifecycle == 2) EscalationLadder.OnLifecycle(s, Rule, LifecycleKind.KEY_CREATED, ts);
            bool probation = ts < s.ProbationUntil && st.Score >= Rule.WarnScore;
            int episode = s.Episode;
            var peak = s.EpisodePeak;
            if (EscalationLadder.Evaluate(s, Rule, st.Score, ts, st.Fresh, st.Hard ? KeyState.REAUTH_REQUIRED : null) is { } step)
            {
                log.Add((step, st.Hard || probation, episode, peak));
            }
            if (st.Fresh) s.LastEvidenceAt = ts;
            EscalationLadder.Decay(s, Rule, ts);
        }
        return log;
    }

    [Property(MaxTest = 300)]
    public Property The_ladder_never_skips_a_command_step_without_hard_evidence_or_probation() =>
        Prop.ForAll(Steps(), steps => Run(steps)
            .Where(l => l.Step.Action is not null && !l.Jump)
            .All(l => l.Step.To == (Max(l.Step.From, l.Peak) <= KeyState.MONITORED ? KeyState.WARNED : Max(l.Step.From, l.Peak) + 1)));

    private static KeyState Max(KeyState a, KeyState b) => a >= b ? a : b;

    [Property(MaxTest = 300)]
    public Property The_ladder_never_sends_the_same_action_twice_in_one_episode() =>
        Prop.ForAll(Steps(), steps => Run(steps)
            .Where(l => l.Step.Action is not null)
            .GroupBy(l => (l.Episode, l.Step.Action))
            .All(g => g.Count() == 1));

    [Property(MaxTest = 200)]
    public Property The_ladder_only_moves_up_between_lifecycle_events_and_decay() =>
        Prop.ForAll(Steps(), steps => Run(steps)
            .Where(l => l.Step.Action is not null)
            .All(l => l.Step.To > l.Step.From));
}
