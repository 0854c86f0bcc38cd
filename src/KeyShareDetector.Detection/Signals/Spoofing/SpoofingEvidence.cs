using System.Globalization;
using KeyShareDetector.Contracts;

namespace KeyShareDetector.Detection.Signals.Spoofing;

/// <summary>Turns what the spoofing detectors saw into findings a person can read. Runs only when something fires.</summary>
internal static class SpoofingEvidence
{
    /// <summary>Strength is capped so one extreme value cannot dominate a combined score.</summary>
    private const double MaxStrength = 10;

    public static SignalFinding Cycle(SymbolActivity sym, SpoofingRule rule, long now, int inWindow)
    {
        var cycles = sym.Cycles;
        int first = cycles.Count - inWindow;
        long start = long.MaxValue;
        double large = 0, filled = 0;
        var subjects = new List<string>(2 * inWindow);
        // Newest cycles first: if the subject cap cuts the list, the freshest evidence survives.
        for (int i = cycles.Count - 1; i >= first; i--)
        {
            ref var c = ref cycles[i];
            start = Math.Min(start, c.Start);
            large += c.LargeNotional;
            filled += c.FilledNotional;
            subjects.Add(c.LargeOrderId);
            subjects.Add(c.FillOrderId);
        }
        ref var last = ref cycles.Newest;
        var reason = Evidence.Of(SpoofingCodes.SpoofCycle,
            string.Create(CultureInfo.InvariantCulture,
                $"{inWindow} place-large -> opposite fill -> cancel cycles on {sym.Symbol} within {rule.CycleRepetitionWindowMs / 60_000} min (large {last.LargeSide} side {Ratio(large, filled):0.#}x the filled side)"),
            [
                ("cycles_in_window", inWindow),
                ("min_cycles", rule.MinCycles),
                ("repetition_window_ms", rule.CycleRepetitionWindowMs),
                ("cycle_window_ms", rule.CycleWindowMs),
                ("large_notional", large),
                ("filled_notional", filled),
                ("large_to_filled_ratio", Ratio(large, filled)),
                ("min_large_to_filled_ratio", rule.CycleNotionalRatio),
                ("last_cycle_ms", last.End - last.Start),
                ("last_cycle_large_orders", last.LargeOrders),
                ("last_cycle_fills", last.Fills),
                ("window_start", start),
                ("window_end", now),
            ],
            subjects);
        return new SignalFinding(SpoofingCodes.SpoofCycle, Cap((double)inWindow / rule.MinCycles), start, now, reason);
    }

    public static SignalFinding Layering(string symbol, OrderSide side, SpoofingRule rule, LayeringGroup g)
    {
        var reason = Evidence.Of(SpoofingCodes.Layering,
            string.Create(CultureInfo.InvariantCulture,
                $"{g.Levels} {side} levels on {symbol} ({g.LowPrice}..{g.HighPrice}) placed within {g.LastPlaced - g.FirstPlaced} ms and cancelled within {g.LastCancelled - g.FirstCancelled} ms"),
            [
                ("levels", g.Levels),
                ("min_levels", rule.LayeringMinLevels),
                ("orders", g.OrderIds.Count),
                ("place_span_ms", g.LastPlaced - g.FirstPlaced),
                ("cancel_span_ms", g.LastCancelled - g.FirstCancelled),
                ("max_place_span_ms", rule.LayeringPlaceSpanMs),
                ("max_cancel_span_ms", rule.LayeringCancelSpanMs),
                ("layered_notional", g.LayeredNotional),
                ("opposite_filled_notional", g.OppositeFilledNotional),
                ("opposite_fills", g.OppositeFills),
                ("low_price", g.LowPrice),
                ("high_price", g.HighPrice),
                ("window_start", g.FirstPlaced),
                ("window_end", g.LastCancelled),
            ],
            g.OrderIds);
        return new SignalFinding(SpoofingCodes.Layering, Cap((double)g.Levels / rule.LayeringMinLevels), g.FirstPlaced, g.LastCancelled, reason);
    }

    public static SignalFinding FastCancel(string symbol, string orderId, in OpenOrder o, double notional, SpoofingRule rule, long now)
    {
        long lifetime = now - o.LargeSince;
        var reason = Evidence.Of(SpoofingCodes.FastCancelLarge,
            string.Create(CultureInfo.InvariantCulture,
                $"large {o.Side} order on {symbol} ({o.LargeRatio * rule.LargeOrderMultiple:0.#}x the key's median size) cancelled after {lifetime} ms"),
            [
                ("order_notional", notional),
                ("median_notional", o.MedianNotional),
                ("size_multiple", o.LargeRatio * rule.LargeOrderMultiple),
                ("large_order_multiple", rule.LargeOrderMultiple),
                ("lifetime_ms", lifetime),
                ("fast_cancel_ms", rule.FastCancelMs),
                ("near_touch", o.NearTouch ? 1 : 0),
                ("window_start", o.LargeSince),
                ("window_end", now),
            ],
            [orderId]);
        return new SignalFinding(SpoofingCodes.FastCancelLarge, Cap(o.LargeRatio), o.LargeSince, now, reason);
    }

    public static SignalFinding OrderToTrade(string symbol, in DayCounters d, SpoofingRule rule, long now)
    {
        long dayStart = d.Day * DayCounters.MsPerDay;
        double ratio = d.OrderToTradeRatio;
        var reason = Evidence.Of(SpoofingCodes.OrderToTrade,
            string.Create(CultureInfo.InvariantCulture,
                $"{d.Orders} orders for {d.Fills} trades on {symbol} today (ratio {ratio:0.#}, cap {rule.OrderToTradeMaxRatio}); informational"),
            [
                ("orders", d.Orders),
                ("placed", d.Placed),
                ("modified", d.Modified),
                ("cancelled", d.Cancelled),
                ("trades", d.Fills),
                ("order_to_trade_ratio", ratio),
                ("max_order_to_trade_ratio", rule.OrderToTradeMaxRatio),
                ("window_start", dayStart),
                ("window_end", now),
            ],
            [symbol]);
        return new SignalFinding(SpoofingCodes.OrderToTrade, Cap(ratio / rule.OrderToTradeMaxRatio), dayStart, now, reason);
    }

    public static SignalFinding CapExceeded(string what, string setting, int cap, long overflowCount, string subject, long windowStart, long now)
    {
        var reason = Evidence.Of(SpoofingCodes.OrderCapExceeded,
            string.Create(CultureInfo.InvariantCulture,
                $"{what} reached the cap of {cap} ({setting}); activity beyond it is not examined for spoofing"),
            [
                ("cap", cap),
                ("overflow_count", overflowCount),
                ("window_start", windowStart),
                ("window_end", now),
            ],
            [subject]);
        return new SignalFinding(SpoofingCodes.OrderCapExceeded, 1, windowStart, now, reason);
    }

    private static double Ratio(double large, double filled) => filled > 0 ? large / filled : large;

    private static double Cap(double strength) => Math.Round(Math.Min(MaxStrength, strength), 4);
}
