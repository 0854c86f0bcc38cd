using KeyShareDetector.Contracts;

namespace KeyShareDetector.Detection.Enforcement;

/// <summary>Thresholds and timings of the DAXA ladder; policy data.</summary>
public sealed record LadderRule
{
    /// <summary>Score at which a key is watched more closely (silent: no command).</summary>
    public double MonitorScore { get; init; } = 25;
    public double WarnScore { get; init; } = 50;
    public double ReauthScore { get; init; } = 100;
    public double RevokeScore { get; init; } = 160;
    /// <summary>Least event time between two commands of one episode, so the owner can react to the first.</summary>
    public long MinStepIntervalMs { get; init; } = 300_000;
    /// <summary>Evidence that goes on at warn level this long after a command escalates one rung (repetition after a lower step).</summary>
    public long RepeatEscalationMs { get; init; } = 900_000;
    /// <summary>Highest rung repetition alone may reach; REVOKE otherwise needs its score, hard evidence or probation.</summary>
    public KeyState RepeatEscalatesUpTo { get; init; } = KeyState.REAUTH_REQUIRED;
    /// <summary>Quiet event time after which WARNED and MONITORED step down one rung.</summary>
    public long DecayMs { get; init; } = 86_400_000;
    /// <summary>After a completed re-authentication the key is on probation this long.</summary>
    public long ProbationMs { get; init; } = 7 * 86_400_000L;
    /// <summary>Renewed abuse (score at or above <see cref="WarnScore"/>) during probation goes straight to this rung.</summary>
    public KeyState ProbationEscalatesTo { get; init; } = KeyState.REAUTH_REQUIRED;
    /// <summary>Signal codes whose hard findings may jump steps, and the highest rung each may jump to.</summary>
    public IReadOnlyDictionary<string, KeyState> HardEvidenceJumps { get; init; } = new Dictionary<string, KeyState>(StringComparer.Ordinal)
    {
        ["UNREGISTERED_IP"] = KeyState.REAUTH_REQUIRED,
    };

    public IEnumerable<string> Validate()
    {
        if (MonitorScore <= 0) yield return "ladder.monitorScore: must be > 0";
        if (!(MonitorScore <= WarnScore && WarnScore < ReauthScore && ReauthScore < RevokeScore))
            yield return "ladder: scores must rise: monitorScore <= warnScore < reauthScore < revokeScore";
        if (MinStepIntervalMs < 0) yield return "ladder.minStepIntervalMs: must be >= 0";
        if (RepeatEscalationMs < MinStepIntervalMs) yield return "ladder.repeatEscalationMs: must be >= minStepIntervalMs";
        if (RepeatEscalatesUpTo is not (KeyState.WARNED or KeyState.REAUTH_REQUIRED or KeyState.REVOKED))
            yield return "ladder.repeatEscalatesUpTo: must be WARNED, REAUTH_REQUIRED or REVOKED";
        if (DecayMs <= 0) yield return "ladder.decayMs: must be > 0";
        if (ProbationMs < 0) yield return "ladder.probationMs: must be >= 0";
        if (ProbationEscalatesTo is not (KeyState.WARNED or KeyState.REAUTH_REQUIRED or KeyState.REVOKED))
            yield return "ladder.probationEscalatesTo: must be WARNED, REAUTH_REQUIRED or REVOKED";
        foreach (var (code, to) in HardEvidenceJumps)
        {
            if (to is not (KeyState.WARNED or KeyState.REAUTH_REQUIRED or KeyState.REVOKED))
                yield return $"ladder.hardEvidenceJumps.{code}: must be WARNED, REAUTH_REQUIRED or REVOKED";
        }
    }
}

/// <summary>A key's rung on the ladder and what the ladder needs to remember about its episode.</summary>
public sealed class LadderState
{
    public KeyState State { get; set; } = KeyState.NORMAL;
    /// <summary>Event time of the last change of <see cref="State"/>.</summary>
    public long LastTransitionAt { get; set; } = long.MinValue;
    /// <summary>Event time of the last finding that counted.</summary>
    public long LastEvidenceAt { get; set; } = long.MinValue;
    public long ProbationUntil { get; set; } = long.MinValue;
    /// <summary>Increments each time an episode ends (decay to NORMAL, completed re-authentication, closure).</summary>
    public int Episode { get; set; }
    /// <summary>Set when the key was rotated or revoked by the exchange: no more commands for it.</summary>
    public bool Closed { get; set; }
    /// <summary>Highest rung a command reached in this episode; a key that decayed and is abused again continues above it.</summary>
    public KeyState EpisodePeak { get; set; } = KeyState.NORMAL;

    public void WriteTo(BinaryWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.Write((byte)State);
        w.Write(LastTransitionAt);
        w.Write(LastEvidenceAt);
        w.Write(ProbationUntil);
        w.Write(Episode);
        w.Write(Closed);
        w.Write((byte)EpisodePeak);
    }

    /// <summary>Back to a new key's rung and times (the codec reads another key's state into it).</summary>
    internal void Clear()
    {
        State = KeyState.NORMAL;
        LastTransitionAt = long.MinValue;
        LastEvidenceAt = long.MinValue;
        ProbationUntil = long.MinValue;
        Episode = 0;
        Closed = false;
        EpisodePeak = KeyState.NORMAL;
    }

    public void ReadFrom(BinaryReader r)
    {
        ArgumentNullException.ThrowIfNull(r);
        State = (KeyState)r.ReadByte();
        LastTransitionAt = r.ReadInt64();
        LastEvidenceAt = r.ReadInt64();
        ProbationUntil = r.ReadInt64();
        Episode = r.ReadInt32();
        Closed = r.ReadBoolean();
        EpisodePeak = (KeyState)r.ReadByte();
    }
}

/// <summary>A transition the ladder made: the action to send (null for silent moves) and the rungs.</summary>
public readonly record struct LadderStep(EnforcementAction? Action, KeyState From, KeyState To);

/// <summary>
/// The DAXA escalation ladder: NORMAL -> MONITORED -> WARNED -> REAUTH_REQUIRED -> REVOKED, one command per
/// transition (WARN, REAUTH, REVOKE), never repeated while the state holds. Without hard evidence (or renewed
/// abuse on probation, as the policy says) it climbs one command rung at a time, each after fresh evidence and
/// a minimum interval. Pure and deterministic.
/// </summary>
public static class EscalationLadder
{
    /// <param name="freshEvidence">A finding was seen after the last transition (repetition after a lower step).</param>
    /// <param name="hardJump">Highest rung hard evidence allows jumping to, if any.</param>
    public static LadderStep? Evaluate(LadderState s, LadderRule rule, double score, long ts, bool freshEvidence, KeyState? hardJump)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(rule);
        if (s.Closed) return null;
        var current = s.State;
        var target = score >= rule.RevokeScore ? KeyState.REVOKED
            : score >= rule.ReauthScore ? KeyState.REAUTH_REQUIRED
            : score >= rule.WarnScore ? KeyState.WARNED
            : score >= rule.MonitorScore ? KeyState.MONITORED
            : KeyState.NORMAL;
        var floor = Max(current, s.EpisodePeak);
        bool probation = ts < s.ProbationUntil && score >= rule.WarnScore;
        KeyState jumpCap = KeyState.NORMAL;
        if (probation)
        {
            // Renewed abuse on probation: straight to the policy's rung, and on from there one rung per repetition.
            jumpCap = rule.ProbationEscalatesTo;
            target = Max(target, floor >= rule.ProbationEscalatesTo ? NextCommandRung(floor) : rule.ProbationEscalatesTo);
        }
        if (hardJump is { } h) jumpCap = Max(jumpCap, h);
        target = Max(target, jumpCap);
        // Nothing to do unless the score reaches a higher rung or abuse at warn level goes on after a command.
        bool mayRepeat = s.EpisodePeak >= KeyState.WARNED && score >= rule.WarnScore;
        if (target <= current && !mayRepeat) return null;

        if (target == KeyState.MONITORED)
        {
            return Move(s, null, KeyState.MONITORED, ts);
        }

        KeyState next;
        if (jumpCap > floor)
        {
            // Hard evidence or renewed abuse on probation: straight to the rung the policy allows, no further.
            next = jumpCap;
        }
        else
        {
            next = NextCommandRung(floor);
            // After a command, the next one needs time for the owner to react and evidence seen since.
            if (s.EpisodePeak >= KeyState.WARNED && (!freshEvidence || ts - s.LastTransitionAt < rule.MinStepIntervalMs)) return null;
            bool repeated = mayRepeat && next <= rule.RepeatEscalatesUpTo && ts - s.LastTransitionAt >= rule.RepeatEscalationMs;
            if (next > target && !repeated) return null;
        }
        if (next <= s.EpisodePeak) return null;
        s.EpisodePeak = next;
        return Move(s, ActionFor(next), next, ts);
    }

    /// <summary>Quiet for the decay period: WARNED and MONITORED step down one rung; back at NORMAL the episode ends.</summary>
    public static LadderStep? Decay(LadderState s, LadderRule rule, long ts)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(rule);
        if (s.State is not (KeyState.WARNED or KeyState.MONITORED)) return null;
        long quietSince = Math.Max(s.LastEvidenceAt, s.LastTransitionAt);
        if (quietSince == long.MinValue || ts - quietSince < rule.DecayMs) return null;
        var next = s.State == KeyState.WARNED ? KeyState.MONITORED : KeyState.NORMAL;
        var step = Move(s, null, next, ts);
        if (next == KeyState.NORMAL) NewEpisode(s);
        return step;
    }

    /// <summary>Feedback from the exchange backend.</summary>
    public static LadderStep? OnLifecycle(LadderState s, LadderRule rule, LifecycleKind kind, long ts)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(rule);
        switch (kind)
        {
            case LifecycleKind.REAUTH_COMPLETED when s.State >= KeyState.WARNED && s.State != KeyState.REVOKED:
                NewEpisode(s);
                s.ProbationUntil = ts + rule.ProbationMs;
                return Move(s, null, KeyState.MONITORED, ts);
            case LifecycleKind.KEY_ROTATED or LifecycleKind.KEY_REVOKED:
                s.Closed = true;
                NewEpisode(s);
                return s.State == KeyState.REVOKED ? null : Move(s, null, KeyState.REVOKED, ts);
            case LifecycleKind.KEY_CREATED:
                // A (re)created key id starts clean.
                var from = s.State;
                s.State = KeyState.NORMAL;
                s.Closed = false;
                s.ProbationUntil = long.MinValue;
                s.LastTransitionAt = ts;
                NewEpisode(s);
                return from == KeyState.NORMAL ? null : new LadderStep(null, from, KeyState.NORMAL);
            default:
                return null;
        }
    }

    public static EnforcementAction? ActionFor(KeyState state) => state switch
    {
        KeyState.WARNED => EnforcementAction.WARN,
        KeyState.REAUTH_REQUIRED => EnforcementAction.REAUTH,
        KeyState.REVOKED => EnforcementAction.REVOKE,
        _ => null,
    };

    private static KeyState NextCommandRung(KeyState current) => current switch
    {
        KeyState.NORMAL or KeyState.MONITORED => KeyState.WARNED,
        KeyState.WARNED => KeyState.REAUTH_REQUIRED,
        _ => KeyState.REVOKED,
    };

    private static LadderStep Move(LadderState s, EnforcementAction? action, KeyState next, long ts)
    {
        var step = new LadderStep(action, s.State, next);
        s.State = next;
        s.LastTransitionAt = ts;
        return step;
    }

    private static void NewEpisode(LadderState s)
    {
        s.Episode++;
        s.EpisodePeak = KeyState.NORMAL;
    }

    private static KeyState Max(KeyState a, KeyState b) => a >= b ? a : b;
}
