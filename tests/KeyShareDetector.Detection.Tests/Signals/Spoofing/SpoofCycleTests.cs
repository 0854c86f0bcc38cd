using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Signals.Spoofing;
using static KeyShareDetector.Detection.Tests.Signals.Spoofing.SpoofingTestKit;

namespace KeyShareDetector.Detection.Tests.Signals.Spoofing;

public class SpoofCycleTests
{
    private const long Minute = 60_000;

    private static IEnumerable<OrderEvent> ThreeCycles(long firstAt, long secondAt, long thirdAt) =>
        TypicalHistory(T0)
            .Concat(Cycle("1", firstAt))
            .Concat(Cycle("2", secondAt))
            .Concat(Cycle("3", thirdAt));

    [Fact]
    public void Three_place_large_fill_opposite_cancel_cycles_within_thirty_minutes_fire_spoof_cycle_once_at_the_third()
    {
        var findings = Run(ThreeCycles(T0 + Minute, T0 + (5 * Minute), T0 + (9 * Minute)));

        var f = Assert.Single(findings.OfCode(SpoofingCodes.SpoofCycle));
        Assert.Equal(T0 + (9 * Minute) + 600, f.WindowEnd);
        Assert.Equal(T0 + Minute, f.WindowStart);
        Assert.Equal(1.0, f.Strength);
    }

    [Fact]
    public void The_cycle_finding_carries_the_numbers_and_the_order_ids_behind_it()
    {
        var f = Run(ThreeCycles(T0 + Minute, T0 + (5 * Minute), T0 + (9 * Minute))).OfCode(SpoofingCodes.SpoofCycle).Single();

        Assert.Equal(SpoofingCodes.SpoofCycle, f.Reason.Code);
        Assert.Equal(3, f.Metric("cycles_in_window"));
        Assert.Equal(3, f.Metric("min_cycles"));
        Assert.Equal(3 * 1000.0, f.Metric("large_notional"), 6);
        Assert.Equal(3 * 100.1, f.Metric("filled_notional"), 6);
        Assert.Equal(600, f.Metric("last_cycle_ms"));
        Assert.Equal(f.WindowStart, f.Metric("window_start"));
        Assert.Equal(f.WindowEnd, f.Metric("window_end"));
        Assert.Equal(["L3", "S3", "L2", "S2", "L1", "S1"], f.Reason.Subjects);
        Assert.Contains(Btc, f.Reason.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fourth_cycle_in_the_window_fires_again_with_more_strength()
    {
        var events = ThreeCycles(T0 + Minute, T0 + (2 * Minute), T0 + (3 * Minute)).Concat(Cycle("4", T0 + (4 * Minute)));

        var cycles = Run(events).OfCode(SpoofingCodes.SpoofCycle).ToList();

        Assert.Equal(2, cycles.Count);
        Assert.Equal(4.0 / 3, cycles[1].Strength, 4);
    }

    [Fact]
    public void A_cycle_whose_cancel_comes_exactly_at_the_cycle_window_counts()
    {
        var events = TypicalHistory(T0)
            .Concat(Cycle("1", T0 + Minute))
            .Concat(Cycle("2", T0 + (2 * Minute)))
            .Concat(Cycle("3", T0 + (3 * Minute), fillAt: 5_000, cancelAt: 10_000));

        Assert.Single(Run(events).OfCode(SpoofingCodes.SpoofCycle));
    }

    [Fact]
    public void A_cycle_whose_cancel_comes_one_millisecond_after_the_cycle_window_does_not_count()
    {
        var events = TypicalHistory(T0)
            .Concat(Cycle("1", T0 + Minute))
            .Concat(Cycle("2", T0 + (2 * Minute)))
            .Concat(Cycle("3", T0 + (3 * Minute), fillAt: 5_000, cancelAt: 10_001));

        Assert.Empty(Run(events).OfCode(SpoofingCodes.SpoofCycle));
    }

    [Fact]
    public void A_third_cycle_ending_exactly_thirty_minutes_after_the_first_fires()
    {
        // Cycle ends are start + 600 ms: the third ends exactly 30 min after the first.
        var findings = Run(ThreeCycles(T0 + Minute, T0 + (10 * Minute), T0 + (31 * Minute)));

        Assert.Single(findings.OfCode(SpoofingCodes.SpoofCycle));
    }

    [Fact]
    public void A_third_cycle_ending_one_millisecond_past_thirty_minutes_after_the_first_does_not_fire()
    {
        var findings = Run(ThreeCycles(T0 + Minute, T0 + (10 * Minute), T0 + (31 * Minute) + 1));

        Assert.Empty(findings.OfCode(SpoofingCodes.SpoofCycle));
    }

    [Fact]
    public void A_cycle_whose_large_side_is_less_than_five_times_the_filled_side_does_not_count()
    {
        // A large order of 5 units at 100 (500) against a fill of 1.02 units at 100.1 (102.1): under 5x.
        var events = TypicalHistory(T0)
            .Concat(Cycle("1", T0 + Minute, largeQty: 5))
            .Concat(Cycle("2", T0 + (2 * Minute), largeQty: 5))
            .Concat(Cycle("3", T0 + (3 * Minute), largeQty: 5))
            .Select(e => e.OrderId.StartsWith('S') ? e with { Quantity = 1.02, FilledQuantity = e.FilledQuantity > 0 ? 1.02 : 0 } : e);

        Assert.Empty(Run(events).OfCode(SpoofingCodes.SpoofCycle));
    }

    [Fact]
    public void A_large_order_away_from_the_touch_is_not_part_of_a_cycle()
    {
        // 3% below the best bid: not the visible pressure a spoofer shows.
        var events = ThreeCycles(T0 + Minute, T0 + (2 * Minute), T0 + (3 * Minute))
            .Select(e => e.OrderId.StartsWith('L') ? e with { Price = 97 } : e);

        Assert.Empty(Run(events).OfCode(SpoofingCodes.SpoofCycle));
    }

    [Fact]
    public void Two_large_orders_cancelled_together_make_one_cycle_not_two()
    {
        var events = new List<OrderEvent>(TypicalHistory(T0));
        for (int i = 1; i <= 2; i++)
        {
            long t = T0 + (i * Minute);
            events.Add(Place($"La{i}", t, OrderSide.BUY, Bid, 10));
            events.Add(Place($"Lb{i}", t + 50, OrderSide.BUY, Bid, 10));
            events.Add(Place($"S{i}", t + 300, OrderSide.SELL, Ask, 1));
            events.Add(Fill($"S{i}", t + 400, OrderSide.SELL, Ask, 1, 1));
            events.Add(Cancel($"La{i}", t + 600, OrderSide.BUY, Bid, 10));
            events.Add(Cancel($"Lb{i}", t + 650, OrderSide.BUY, Bid, 10));
        }
        var agg = new SpoofingAggregate();

        Assert.Empty(Run(agg, events).OfCode(SpoofingCodes.SpoofCycle));
        Assert.Equal(2, agg.CyclesTotal);
    }

    [Fact]
    public void A_sell_side_spoof_against_buy_fills_is_a_cycle_too()
    {
        var events = new List<OrderEvent>(TypicalHistory(T0));
        for (int i = 1; i <= 3; i++)
        {
            long t = T0 + (i * Minute);
            events.Add(Place($"L{i}", t, OrderSide.SELL, Ask, 10));
            events.Add(Place($"B{i}", t + 300, OrderSide.BUY, Bid, 1));
            events.Add(Fill($"B{i}", t + 400, OrderSide.BUY, Bid, 1, 1));
            events.Add(Cancel($"L{i}", t + 600, OrderSide.SELL, Ask, 10));
        }

        Assert.Single(Run(events).OfCode(SpoofingCodes.SpoofCycle));
    }
}
