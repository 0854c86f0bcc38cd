using KeyShareDetector.Contracts;

namespace KeyShareDetector.Detection.Signals.Spoofing;

/// <summary>
/// The spoofing cycle (Trillium's event model): large visible order(s) on side S near the touch, fill(s) of the
/// same key on the opposite side, then the large order(s) cancelled, all within the cycle window, the cancelled
/// large notional at least n x the filled notional. One cycle can be a hedge; repetition fires.
/// </summary>
internal static class SpoofCycleDetector
{
    /// <summary>
    /// Called when a large, near-touch order was cancelled within the cycle window of becoming large (the newest
    /// entry of <see cref="SymbolActivity.Cancels"/>). Returns true when this completes a new cycle.
    /// </summary>
    /// <remarks>
    /// Large cancels on the same side within the window that no cycle used yet join this one (a cycle may show
    /// several large orders); opposite fills already counted in a cycle are not counted again, so one fill cannot
    /// make several cycles.
    /// </remarks>
    public static bool OnLargeCancel(SymbolActivity sym, SpoofingRule rule, long now, List<SignalFinding> findings)
    {
        var cancels = sym.Cancels;
        ref var cur = ref cancels.Newest;
        var side = cur.Side;
        var opposite = side == OrderSide.BUY ? OrderSide.SELL : OrderSide.BUY;
        long from = now - rule.CycleWindowMs;

        double large = 0;
        int largeOrders = 0;
        long start = cur.LargeSince;
        for (int i = cancels.Count - 1; i >= 0; i--)
        {
            ref var c = ref cancels[i];
            if (c.CancelledAt < from) break;
            if (!InGroup(in c, side, from)) continue;
            large += c.Notional;
            largeOrders++;
            start = Math.Min(start, c.LargeSince);
        }

        long fillFrom = Math.Max(start, SafeInc(sym.FillsConsumedThrough(opposite)));
        // Fills dropped by the ring cap would be missing from the sum and make the large side look bigger: skip.
        if (sym.FillsIncompleteThrough >= fillFrom) return false;

        double filled = 0;
        int fills = 0;
        string? fillOrderId = null;
        var ring = sym.Fills;
        for (int i = ring.Count - 1; i >= 0; i--)
        {
            ref var f = ref ring[i];
            if (f.Ts < fillFrom) break;
            if (f.Side != opposite || f.Ts > now) continue;
            filled += f.Notional;
            fills++;
            fillOrderId = f.OrderId;
        }
        if (fills == 0 || large < rule.CycleNotionalRatio * filled) return false;

        for (int i = cancels.Count - 1; i >= 0; i--)
        {
            ref var c = ref cancels[i];
            if (c.CancelledAt < from) break;
            if (InGroup(in c, side, from)) c.UsedByCycle = true;
        }
        sym.ConsumeFillsThrough(opposite, now);
        sym.Cycles.Push(new CycleRecord
        {
            Start = start,
            End = now,
            LargeSide = side,
            LargeNotional = large,
            FilledNotional = filled,
            LargeOrders = largeOrders,
            Fills = fills,
            LargeOrderId = cur.OrderId,
            FillOrderId = fillOrderId!,
        }, rule.MaxCyclesPerSymbol);
        sym.CyclesTotal++;
        sym.Day.Cycles++;

        int inWindow = sym.CyclesInWindow(now, rule.CycleRepetitionWindowMs);
        if (inWindow >= rule.MinCycles) findings.Add(SpoofingEvidence.Cycle(sym, rule, now, inWindow));
        return true;
    }

    private static bool InGroup(in CancelRecord c, OrderSide side, long from) =>
        c.Side == side && c.IsLarge && c.NearTouch && !c.UsedByCycle && c.LargeSince >= from;

    private static long SafeInc(long v) => v == long.MaxValue ? v : v + 1;
}
