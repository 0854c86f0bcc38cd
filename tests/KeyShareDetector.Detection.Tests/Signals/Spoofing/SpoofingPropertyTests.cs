using FsCheck;
using FsCheck.Xunit;
using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Signals;
using KeyShareDetector.Detection.Signals.Spoofing;
using static KeyShareDetector.Detection.Tests.Signals.Spoofing.SpoofingTestKit;

namespace KeyShareDetector.Detection.Tests.Signals.Spoofing;

/// <summary>Invariants over random order streams (seeded, so a failure replays).</summary>
public class SpoofingPropertyTests
{
    /// <summary>
    /// A random key: mostly small orders on three symbols, some large ones, cancels, partial fills, modifications,
    /// injected spoof cycles, and a few records delivered up to 40 s late (some within the grace period, some not).
    /// </summary>
    internal static List<OrderEvent> RandomStream(int seed, int steps)
    {
        var rnd = new Random(seed);
        string[] symbols = [Btc, Eth, "XRP-KRW"];
        var open = new List<(string Id, string Symbol, OrderSide Side, double Price, double Qty, double Filled)>();
        var events = new List<OrderEvent>();
        long ts = T0;
        int next = 0;
        for (int step = 0; step < steps; step++)
        {
            ts += rnd.Next(0, 1_500);
            long at = rnd.Next(20) == 0 ? ts - rnd.Next(0, 40_000) : ts;
            if (step % 40 == 39)
            {
                events.AddRange(Cycle($"c{step}", ts, largeSymbol: symbols[step % 3], fillSymbol: symbols[step % 3]));
                ts += 1_000;
                continue;
            }
            int action = rnd.Next(100);
            if (action < 45 || open.Count == 0)
            {
                string id = $"r{next++}";
                string symbol = symbols[rnd.Next(symbols.Length)];
                var side = rnd.Next(2) == 0 ? OrderSide.BUY : OrderSide.SELL;
                double price = Math.Round((side == OrderSide.BUY ? Bid : Ask) + ((rnd.Next(7) - 3) * 0.1), 2);
                double qty = rnd.Next(10) == 0 ? rnd.Next(8, 16) : rnd.Next(1, 3);
                open.Add((id, symbol, side, price, qty, 0));
                events.Add(Place(id, at, side, price, qty, symbol));
                continue;
            }
            int k = rnd.Next(open.Count);
            var o = open[k];
            if (action < 75)
            {
                open.RemoveAt(k);
                events.Add(Cancel(o.Id, at, o.Side, o.Price, o.Qty, o.Symbol));
            }
            else if (action < 90)
            {
                double filled = Math.Min(o.Qty, o.Filled + rnd.Next(1, 3));
                if (filled >= o.Qty) open.RemoveAt(k);
                else open[k] = o with { Filled = filled };
                events.Add(Fill(o.Id, at, o.Side, o.Price, o.Qty, filled, o.Symbol));
            }
            else
            {
                double qty = rnd.Next(5) == 0 ? 12 : o.Qty;
                open[k] = o with { Qty = qty };
                events.Add(Modify(o.Id, at, o.Side, o.Price, qty, o.Symbol));
            }
        }
        return events;
    }

    [Fact]
    public void A_random_stream_has_findings_and_late_records_so_the_properties_below_are_not_vacuous()
    {
        var agg = new SpoofingAggregate();

        var codes = Run(agg, RandomStream(seed: 1, steps: 400)).Select(f => f.Code).ToHashSet();

        Assert.Contains(SpoofingCodes.SpoofCycle, codes);
        Assert.Contains(SpoofingCodes.FastCancelLarge, codes);
        Assert.True(agg.LateRecords > 0);
    }

    [Property(MaxTest = 40)]
    public void Restoring_the_state_anywhere_in_a_random_stream_changes_no_finding_and_no_state(int seed, NonNegativeInt splitAt)
    {
        var rule = SpoofingRule.Default;
        var events = RandomStream(seed, 400);
        int split = splitAt.Get % (events.Count + 1);

        var whole = new SpoofingAggregate();
        var expected = Run(whole, events, rule);

        var findings = new List<SignalFinding>();
        var first = new SpoofingAggregate();
        for (int i = 0; i < split; i++) first.OnOrder(events[i], rule, findings);
        var restored = Decode(Encode(first));
        for (int i = split; i < events.Count; i++) restored.OnOrder(events[i], rule, findings);
        restored.Flush(rule, findings);

        Assert.Equal(Canonical(expected), Canonical(findings));
        Assert.Equal(Encode(whole), Encode(restored));
    }

    [Property(MaxTest = 40)]
    public void Every_record_is_either_used_or_counted_late(int seed)
    {
        var rule = SpoofingRule.Default;
        var events = RandomStream(seed, 300);
        var agg = new SpoofingAggregate();
        var findings = new List<SignalFinding>();
        int used = 0;

        foreach (var e in events)
        {
            if (agg.OnOrder(e, rule, findings)) used++;
        }
        agg.Flush(rule, findings);

        var s = agg.Snapshot(rule);
        Assert.Equal(events.Count, used + s.LateRecords);
        // All on one UTC day: every used record is in the day's counts (duplicates of tracked placements aside).
        Assert.True(s.Placed + s.Modified + s.Cancelled + s.Fills <= used);
        Assert.Equal(0, agg.BufferedEvents);
    }
}
