using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Alerts;
using KeyShareDetector.Detection.Policy;

namespace KeyShareDetector.Detection.Enforcement;

/// <summary>What the breaker did with one command.</summary>
/// <param name="Downgraded">True when a REVOKE became a REAUTH (the key's ladder must follow).</param>
public readonly record struct BreakerDecision(EnforcementCommand Command, IReadOnlyList<Alert> Alerts, bool Downgraded);

/// <summary>
/// Fleet-wide safety valve: no bad rule may revoke half the exchange in a minute. Counts REVOKEs by event time;
/// above the policy's limit within its window, further REVOKEs become REAUTHs and one critical alert is raised
/// per trip. All commands of the fleet pass through one instance in order (a single-partition stage).
/// </summary>
public sealed class RevokeBreaker
{
    private readonly List<long> _revokes = [];

    public bool Tripped { get; private set; }

    public BreakerDecision Apply(EnforcementCommand command, DetectionPolicy policy, CommandSigner signer)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(signer);
        if (command.Action != EnforcementAction.REVOKE) return new BreakerDecision(command, [], false);
        var rule = policy.Breaker;
        long horizon = command.IssuedAt - rule.WindowMs;
        _revokes.RemoveAll(t => t <= horizon);
        if (_revokes.Count == 0) Tripped = false;

        if (_revokes.Count < rule.MaxRevokes)
        {
            int at = _revokes.Count;
            while (at > 0 && _revokes[at - 1] > command.IssuedAt) at--;
            _revokes.Insert(at, command.IssuedAt);
            return new BreakerDecision(command, [AlertFactory.ForRevoke(command)], false);
        }

        var downgraded = command with
        {
            CommandId = CommandIdentity.Of(command.ApiKeyId, EnforcementAction.REAUTH, command.PolicyVersion, command.WindowStart, command.WindowEnd),
            Action = EnforcementAction.REAUTH,
            NewState = KeyState.REAUTH_REQUIRED,
            Reasons = [.. command.Reasons, Signals.Evidence.Of("BREAKER_DOWNGRADE",
                $"REVOKE downgraded to REAUTH: more than {rule.MaxRevokes} revokes within {rule.WindowMs / 60_000} min fleet-wide",
                [("max_revokes", rule.MaxRevokes), ("window_ms", rule.WindowMs)])],
            Signature = "",
        };
        var alerts = new List<Alert>(1);
        if (!Tripped)
        {
            Tripped = true;
            alerts.Add(AlertFactory.ForBreaker(command.IssuedAt, command.PolicyVersion, rule.MaxRevokes, rule.WindowMs, command.ApiKeyId));
        }
        return new BreakerDecision(signer.Sign(downgraded), alerts, true);
    }

    public void WriteTo(BinaryWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.Write((byte)1);
        w.Write(Tripped);
        w.Write(_revokes.Count);
        foreach (var t in _revokes) w.Write(t);
    }

    public void ReadFrom(BinaryReader r)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (r.ReadByte() != 1) throw new InvalidDataException("unknown breaker state format");
        Tripped = r.ReadBoolean();
        int n = r.ReadInt32();
        for (int i = 0; i < n; i++) _revokes.Add(r.ReadInt64());
    }
}
