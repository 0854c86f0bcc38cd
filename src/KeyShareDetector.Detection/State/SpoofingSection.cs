using KeyShareDetector.Detection.Signals.Spoofing;

namespace KeyShareDetector.Detection.State;

/// <summary>The spoofing numbers a feature snapshot shows, with the cycle window they were counted over.</summary>
public readonly record struct SpoofingFigures(long Placed, long Cancelled, double OrderToTradeRatio, int CyclesInWindow, long CycleWindowMs, bool CapExceeded)
{
    public static SpoofingFigures Of(SpoofingAggregate aggregate, SpoofingRule rule)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        ArgumentNullException.ThrowIfNull(rule);
        var s = aggregate.Snapshot(rule);
        return new(s.Placed, s.Cancelled, s.OrderToTradeRatio, s.CyclesInWindow, rule.CycleRepetitionWindowMs, s.CapExceeded);
    }
}

/// <summary>
/// A key's spoofing aggregate as stored (format 9), not decoded yet: its stream time, the oldest record it holds for
/// re-ordering and its snapshot figures beside the encoded rest. Most of a key's records are API calls, which only
/// move the aggregate's stream time on and show its figures; they are served from here, and the encoded rest is
/// written back as it was read. Anything else decodes it (<see cref="KeyRiskState.Spoofing"/>).
/// </summary>
internal sealed class SpoofingSection(long streamTime, long? oldestHeldTs, SpoofingFigures figures, ArraySegment<byte> body)
{
    public long StreamTime { get; set; } = streamTime;
    public long? OldestHeldTs { get; } = oldestHeldTs;
    public SpoofingFigures Figures { get; } = figures;
    /// <summary>The encoded rest (<see cref="SpoofingAggregate.WriteBodyTo"/> through its own compact writer), a view of the stored bytes.</summary>
    public ArraySegment<byte> Body { get; } = body;

    /// <summary>Whether moving stream time to <paramref name="streamTime"/> releases a held record (which needs the aggregate).</summary>
    public bool WouldRelease(long streamTime, SpoofingRule rule)
    {
        long now = Math.Max(StreamTime, streamTime);
        return OldestHeldTs is { } oldest && now != long.MinValue && oldest <= now - rule.GraceMs;
    }

    public SpoofingAggregate Decode()
    {
        using var r = new CompactBinaryReader(Body.Array!, Body.Offset, Body.Count);
        r.Base = r.ReadInt64();
        return SpoofingAggregate.ReadBodyFrom(r, StreamTime);
    }
}
