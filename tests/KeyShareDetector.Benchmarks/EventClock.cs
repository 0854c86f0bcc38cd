using System.Runtime.CompilerServices;
using KeyShareDetector.Contracts;

namespace KeyShareDetector.Benchmarks;

/// <summary>
/// Moves a pre-built event to a new event time in place, so a benchmark can replay a fixed set of events with
/// advancing time without allocating a new event per operation (which would hide the aggregator's own B/op).
/// </summary>
/// <remarks>
/// Only for events no aggregate still holds: the signal aggregates keep strings, not events; the spoofing re-order
/// buffer holds events for its grace period, so its ring spans far more event time than that.
/// </remarks>
internal static class EventClock
{
    /// <summary>Moves <paramref name="e"/> to <paramref name="ts"/>; its client time moves by as much (same clock offset).</summary>
    public static void Set(AccessEvent e, long ts)
    {
        ref long current = ref AccessTs(e);
        ref long? client = ref AccessClientTs(e);
        if (client is { } c) client = c + (ts - current);
        current = ts;
    }

    public static void Set(OrderEvent e, long ts) => OrderTs(e) = ts;

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "<Ts>k__BackingField")]
    private static extern ref long AccessTs(AccessEvent e);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "<ClientTs>k__BackingField")]
    private static extern ref long? AccessClientTs(AccessEvent e);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "<Ts>k__BackingField")]
    private static extern ref long OrderTs(OrderEvent e);
}
