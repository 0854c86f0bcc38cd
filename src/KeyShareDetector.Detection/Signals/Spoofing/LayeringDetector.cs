using KeyShareDetector.Contracts;

namespace KeyShareDetector.Detection.Signals.Spoofing;

/// <summary>
/// Layering: at least n orders of one key on one side of one symbol, at distinct successive price levels, placed
/// within a short span, resting together, and cancelled within a short span of each other (by default with a
/// fill on the opposite side while they rested, which is what the layers are for).
/// </summary>
internal static class LayeringDetector
{
    /// <summary>Most recent cancels examined at once (bounds the stack buffers).</summary>
    public const int MaxCandidates = 256;

    /// <summary>Called after a tracked order was cancelled (the newest entry of <see cref="SymbolActivity.Cancels"/>).</summary>
    /// <remarks>
    /// The group must contain this cancel: a group without it was complete at an earlier cancel and judged then.
    /// Candidates: same side, not yet used by a layering finding, cancelled within the cancel span, placed within
    /// the place span of this order. For each candidate placement instant t at or after this order's placement, the
    /// group is the candidates resting at t (placed at most the place span before it); its levels are the distinct
    /// prices forming a run of successive levels through this order's price. The largest group wins.
    /// </remarks>
    public static bool OnCancel(SymbolActivity sym, SpoofingRule rule, long now, List<SignalFinding> findings)
    {
        var cancels = sym.Cancels;
        int n = Math.Min(cancels.Count, MaxCandidates);
        if (n < rule.LayeringMinLevels) return false;
        ref var cur = ref cancels.Newest;
        if (cur.UsedByLayering) return false;

        long cancelFrom = now - rule.LayeringCancelSpanMs;
        long span = rule.LayeringPlaceSpanMs;
        Span<int> candidates = stackalloc int[n];
        int m = 0;
        for (int i = cancels.Count - 1; i >= cancels.Count - n; i--)
        {
            ref var c = ref cancels[i];
            if (c.CancelledAt < cancelFrom) break;
            if (c.Side != cur.Side || c.UsedByLayering) continue;
            if (Math.Abs(c.PlacedAt - cur.PlacedAt) > span) continue;
            candidates[m++] = i;
        }
        if (m < rule.LayeringMinLevels) return false;
        candidates = candidates[..m];

        Span<double> prices = stackalloc double[m];
        int bestLevels = 0;
        long bestAt = 0;
        double bestLow = 0, bestHigh = 0;
        for (int a = 0; a < m; a++)
        {
            long t = cancels[candidates[a]].PlacedAt;
            if (t < cur.PlacedAt || t >= cur.CancelledAt) continue;
            int levels = LevelsRestingAt(cancels, candidates, t, span, cur.Price, rule.LayeringMaxLevelGap, prices, out double low, out double high);
            // Ties keep the earliest instant, so the outcome does not depend on candidate order.
            if (levels > bestLevels || (levels == bestLevels && levels > 0 && t < bestAt))
            {
                bestLevels = levels;
                bestAt = t;
                bestLow = low;
                bestHigh = high;
            }
        }
        if (bestLevels < rule.LayeringMinLevels) return false;

        long firstPlaced = long.MaxValue, lastPlaced = long.MinValue, firstCancelled = long.MaxValue;
        double layered = 0;
        foreach (int i in candidates)
        {
            ref var c = ref cancels[i];
            if (!IsMember(in c, bestAt, span, bestLow, bestHigh)) continue;
            firstPlaced = Math.Min(firstPlaced, c.PlacedAt);
            lastPlaced = Math.Max(lastPlaced, c.PlacedAt);
            firstCancelled = Math.Min(firstCancelled, c.CancelledAt);
            layered += c.Notional;
        }

        var opposite = cur.Side == OrderSide.BUY ? OrderSide.SELL : OrderSide.BUY;
        double oppositeFilled = 0;
        int oppositeFills = 0;
        var fills = sym.Fills;
        for (int i = fills.Count - 1; i >= 0; i--)
        {
            ref var f = ref fills[i];
            if (f.Ts < firstPlaced) break;
            if (f.Side != opposite || f.Ts > now) continue;
            oppositeFilled += f.Notional;
            oppositeFills++;
        }
        if (rule.LayeringRequiresOppositeFill && oppositeFills == 0) return false;

        // Ids in placement order (then price), for a readable and deterministic evidence list.
        var members = new List<(long PlacedAt, double Price, string OrderId)>();
        foreach (int i in candidates)
        {
            ref var c = ref cancels[i];
            if (!IsMember(in c, bestAt, span, bestLow, bestHigh)) continue;
            c.UsedByLayering = true;
            members.Add((c.PlacedAt, c.Price, c.OrderId));
        }
        members.Sort(static (x, y) =>
        {
            int byTime = x.PlacedAt.CompareTo(y.PlacedAt);
            if (byTime != 0) return byTime;
            int byPrice = x.Price.CompareTo(y.Price);
            return byPrice != 0 ? byPrice : string.CompareOrdinal(x.OrderId, y.OrderId);
        });
        var ids = new List<string>(members.Count);
        foreach (var member in members) ids.Add(member.OrderId);

        sym.Day.Layerings++;
        findings.Add(SpoofingEvidence.Layering(sym.Symbol, cur.Side, rule, new LayeringGroup(
            bestLevels, firstPlaced, lastPlaced, firstCancelled, now, layered, oppositeFilled, oppositeFills, bestLow, bestHigh, ids)));
        return true;
    }

    private static bool IsMember(in CancelRecord c, long at, long span, double low, double high) =>
        c.PlacedAt <= at && at < c.CancelledAt && at - c.PlacedAt <= span && c.Price >= low && c.Price <= high;

    /// <summary>Distinct successive price levels through <paramref name="price"/> among the candidates resting at <paramref name="at"/>.</summary>
    private static int LevelsRestingAt(BoundedRing<CancelRecord> cancels, ReadOnlySpan<int> candidates, long at, long span,
        double price, double maxGap, Span<double> buffer, out double low, out double high)
    {
        low = high = price;
        int k = 0;
        foreach (int i in candidates)
        {
            ref var c = ref cancels[i];
            if (c.PlacedAt <= at && at < c.CancelledAt && at - c.PlacedAt <= span) buffer[k++] = c.Price;
        }
        var sorted = buffer[..k];
        sorted.Sort();
        int self = sorted.IndexOf(price);
        if (self < 0) return 0;
        int levels = 1;
        // Walk down then up from this order's level; equal prices are one level.
        for (int j = self - 1; j >= 0; j--)
        {
            if (sorted[j] == low) continue;
            if (low - sorted[j] > maxGap * low) break;
            low = sorted[j];
            levels++;
        }
        for (int j = self + 1; j < sorted.Length; j++)
        {
            if (sorted[j] == high) continue;
            if (sorted[j] - high > maxGap * sorted[j]) break;
            high = sorted[j];
            levels++;
        }
        return levels;
    }
}

/// <summary>The numbers behind one layering finding.</summary>
internal sealed record LayeringGroup(
    int Levels,
    long FirstPlaced,
    long LastPlaced,
    long FirstCancelled,
    long LastCancelled,
    double LayeredNotional,
    double OppositeFilledNotional,
    int OppositeFills,
    double LowPrice,
    double HighPrice,
    IReadOnlyList<string> OrderIds);
