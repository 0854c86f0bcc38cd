using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.Signals;
using KeyShareDetector.Detection.State;

namespace KeyShareDetector.Detection;

/// <summary>What one event did to a key: commands to emit, and whether it came too late to count.</summary>
public readonly record struct EngineOutcome(EnforcementCommand? Command, bool Late)
{
    public static EngineOutcome None { get; } = new(null, false);
}

/// <summary>
/// Applies one event to a key's state and decides, deterministically from event data alone, whether to act.
/// The same code serves the live topology, replays, backtests and benchmarks.
/// </summary>
public sealed class KeyRiskEngine
{
    private readonly CommandSigner _signer;

    public KeyRiskEngine(DetectionPolicy policy, CommandSigner signer)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var errors = policy.Validate();
        if (errors.Count > 0) throw new ArgumentException("invalid policy: " + string.Join("; ", errors), nameof(policy));
        Policy = policy;
        _signer = signer;
    }

    public DetectionPolicy Policy { get; }

    public KeyRiskState NewState(string apiKeyId) => new(apiKeyId, Policy);

    /// <summary>Applies a validated access event (its IP parses) to the key's state.</summary>
    public EngineOutcome OnAccess(KeyRiskState state, AccessEvent e)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(e);
        var rule = Policy.IpDiversity;
        var spec = rule.Window;
        long bucket = spec.BucketOf(e.Ts);
        long streamTime = Math.Max(state.StreamTime, e.Ts);
        state.StreamTime = streamTime;
        state.AccountId = e.AccountId;
        state.Events++;

        // The newest window this record belongs to starts in its own bucket; if even that one is closed, it is late.
        if (spec.IsClosed(bucket, streamTime))
        {
            state.LateRecords++;
            return new EngineOutcome(null, true);
        }

        long newest = spec.BucketOf(streamTime);
        if (newest != state.ExpiredThroughBucket)
        {
            long oldestLive = Math.DivRem(streamTime - spec.SizeMs - spec.GraceMs, spec.HopMs, out long rem) - (rem < 0 ? 1 : 0) + 1;
            state.IpDiversity.Expire(oldestLive, newest);
            state.ExpiredThroughBucket = newest;
        }

        string prefix = IpPrefix.NetworkOf(e.Ip) ?? e.Ip;
        state.IpDiversity.Add(e.Ip, prefix, bucket);

        if (state.Ladder >= KeyState.WARNED) return EngineOutcome.None;
        var finding = IpDiversitySignal.Evaluate(state.IpDiversity, rule, bucket, streamTime);
        if (finding is not { } f) return EngineOutcome.None;

        var previous = state.Ladder;
        state.Ladder = KeyState.WARNED;
        var command = new EnforcementCommand
        {
            CommandId = CommandIdentity.Of(state.ApiKeyId, EnforcementAction.WARN, Policy.Version, f.WindowStart, f.WindowEnd),
            ApiKeyId = state.ApiKeyId,
            AccountId = state.AccountId,
            Action = EnforcementAction.WARN,
            IssuedAt = e.Ts,
            PolicyVersion = Policy.Version,
            RiskScore = IpDiversitySignal.Score(rule, f),
            Reasons = [IpDiversitySignal.ToReason(state.IpDiversity, rule, f)],
            PreviousState = previous,
            NewState = KeyState.WARNED,
            ExpiresAt = e.Ts + Policy.CommandTtlMs,
            WindowStart = f.WindowStart,
            WindowEnd = f.WindowEnd,
        };
        return new EngineOutcome(_signer.Sign(command), false);
    }
}
