using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using KeyShareDetector.Contracts;

namespace KeyShareDetector.Simulator;

/// <summary>How the simulated exchange backend answers enforcement commands: shares of owners and delays.</summary>
public sealed record BackendBehaviour
{
    /// <summary>Share of REAUTH commands whose owner completes re-authentication.</summary>
    public double ReauthCompletedShare { get; init; } = 0.8;
    /// <summary>Share of REAUTH commands whose owner rotates the key instead (the rest do nothing; the command expires).</summary>
    public double ReauthRotatedShare { get; init; } = 0.1;
    /// <summary>Re-authentication takes the owner between these delays after the command (ms of event time).</summary>
    public long ReauthMinDelayMs { get; init; } = 60_000;
    public long ReauthMaxDelayMs { get; init; } = 30 * 60_000;
    /// <summary>The backend revokes and the owner is issued a new key within this delay of a REVOKE.</summary>
    public long RevokeMaxDelayMs { get; init; } = 60_000;

    public static BackendBehaviour Default { get; } = new();
}

/// <summary>
/// A stand-in for the exchange backend, so the feedback loop runs in simulation: it takes an enforcement command
/// and answers with at most one key lifecycle event. WARN: nothing (the owner is notified). REAUTH: most owners
/// re-authenticate (REAUTH_COMPLETED) after a delay, some rotate the key, the rest ignore it. REVOKE: the key is
/// revoked and the owner rotates it (KEY_ROTATED). Shadow and expired commands are never acted upon. Pure and
/// deterministic: every choice is a function of the command id. The caller wires it to the topics.
/// </summary>
public sealed class BackendStandIn
{
    private readonly BackendBehaviour _behaviour;

    public BackendStandIn(BackendBehaviour? behaviour = null)
    {
        _behaviour = behaviour ?? BackendBehaviour.Default;
    }

    /// <summary>The lifecycle event the backend publishes in answer to <paramref name="command"/>, or null.</summary>
    public KeyLifecycleEvent? Respond(EnforcementCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Shadow) return null;
        var (choice, delay) = Draw(command.CommandId);
        LifecycleKind kind;
        long after;
        switch (command.Action)
        {
            case EnforcementAction.REAUTH when choice < _behaviour.ReauthCompletedShare:
                kind = LifecycleKind.REAUTH_COMPLETED;
                after = _behaviour.ReauthMinDelayMs + (long)(delay * (_behaviour.ReauthMaxDelayMs - _behaviour.ReauthMinDelayMs));
                break;
            case EnforcementAction.REAUTH when choice < _behaviour.ReauthCompletedShare + _behaviour.ReauthRotatedShare:
                kind = LifecycleKind.KEY_ROTATED;
                after = _behaviour.ReauthMinDelayMs + (long)(delay * (_behaviour.ReauthMaxDelayMs - _behaviour.ReauthMinDelayMs));
                break;
            case EnforcementAction.REVOKE:
                kind = LifecycleKind.KEY_ROTATED;
                after = 1_000 + (long)(delay * _behaviour.RevokeMaxDelayMs);
                break;
            default:
                return null;
        }
        long ts = command.IssuedAt + after;
        if (ts > command.ExpiresAt) return null;
        return new KeyLifecycleEvent
        {
            EventId = "backend-" + command.CommandId,
            Ts = ts,
            ApiKeyId = command.ApiKeyId,
            AccountId = command.AccountId,
            Kind = kind,
            CommandId = command.CommandId,
        };
    }

    /// <summary>Two numbers in [0, 1) from SHA-256 of the command id: which answer, and how late.</summary>
    private static (double Choice, double Delay) Draw(string commandId)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(commandId), hash);
        double choice = (BinaryPrimitives.ReadUInt64LittleEndian(hash) >> 11) * (1.0 / (1UL << 53));
        double delay = (BinaryPrimitives.ReadUInt64LittleEndian(hash[8..]) >> 11) * (1.0 / (1UL << 53));
        return (choice, delay);
    }
}
