using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Signals.Spoofing;
using static KeyShareDetector.Detection.Tests.Signals.Spoofing.SpoofingTestKit;

namespace KeyShareDetector.Detection.Tests.Signals.Spoofing;

/// <summary>Legitimate behaviour that resembles spoofing and must not be reported as such.</summary>
public class SpoofingLookAlikeTests
{
    private const long Minute = 60_000;

    /// <summary>Quotes both sides every half second; 1 quote pair in 20 trades, the rest are cancelled.</summary>
    private static List<OrderEvent> MarketMaker(int quotePairs)
    {
        var events = new List<OrderEvent>();
        for (int i = 0; i < quotePairs; i++)
        {
            long t = T0 + (i * 500L);
            double drift = (i % 7) * 0.01;
            string bid = $"mb{i}", ask = $"ma{i}";
            events.Add(Place(bid, t, OrderSide.BUY, Bid + drift, 1));
            events.Add(Place(ask, t, OrderSide.SELL, Ask + drift, 1));
            if (i % 20 == 19)
            {
                events.Add(Fill(bid, t + 200, OrderSide.BUY, Bid + drift, 1, 1));
                events.Add(Fill(ask, t + 300, OrderSide.SELL, Ask + drift, 1, 1));
            }
            else
            {
                events.Add(Cancel(bid, t + 400, OrderSide.BUY, Bid + drift, 1));
                events.Add(Cancel(ask, t + 400, OrderSide.SELL, Ask + drift, 1));
            }
        }
        return events;
    }

    [Fact]
    public void A_market_maker_cancelling_over_ninety_percent_of_its_quotes_with_no_cycle_is_not_reported()
    {
        var agg = new SpoofingAggregate();

        var findings = Run(agg, MarketMaker(2_000));

        Assert.Empty(findings);
        var snapshot = agg.Snapshot(SpoofingRule.Default);
        Assert.True(snapshot.CancelRatio > 0.9, $"cancel ratio {snapshot.CancelRatio}");
        Assert.Equal(0, snapshot.CyclesTotal);
    }

    [Fact]
    public void A_single_hedge_cycle_is_not_reported_as_spoofing()
    {
        var findings = Run(TypicalHistory(T0).Concat(Cycle("1", T0 + Minute)));

        Assert.Empty(findings.OfCode(SpoofingCodes.SpoofCycle));
    }

    [Fact]
    public void Two_cycles_are_not_enough_repetition()
    {
        var findings = Run(TypicalHistory(T0).Concat(Cycle("1", T0 + Minute)).Concat(Cycle("2", T0 + (2 * Minute))));

        Assert.Empty(findings.OfCode(SpoofingCodes.SpoofCycle));
    }

    [Fact]
    public void Large_orders_cancelled_after_minutes_are_not_reported_even_around_opposite_fills()
    {
        var events = new List<OrderEvent>(TypicalHistory(T0));
        for (int i = 1; i <= 3; i++)
        {
            long t = T0 + (i * 10 * Minute);
            events.Add(Place($"L{i}", t, OrderSide.BUY, Bid, 10));
            events.Add(Place($"S{i}", t + 300, OrderSide.SELL, Ask, 1));
            events.Add(Fill($"S{i}", t + 400, OrderSide.SELL, Ask, 1, 1));
            events.Add(Cancel($"L{i}", t + (3 * Minute), OrderSide.BUY, Bid, 10));
        }

        Assert.Empty(Run(events));
    }

    [Fact]
    public void A_large_order_on_one_symbol_and_a_fill_on_another_are_not_combined_into_a_cycle()
    {
        var events = TypicalHistory(T0)
            .Concat(Cycle("1", T0 + Minute, fillSymbol: Eth))
            .Concat(Cycle("2", T0 + (2 * Minute), fillSymbol: Eth))
            .Concat(Cycle("3", T0 + (3 * Minute), fillSymbol: Eth));
        var agg = new SpoofingAggregate();

        Assert.Empty(Run(agg, events).OfCode(SpoofingCodes.SpoofCycle));
        Assert.Equal(0, agg.CyclesTotal);
    }

    [Fact]
    public void Cycles_spread_over_three_symbols_are_not_added_up()
    {
        var events = TypicalHistory(T0)
            .Concat(Cycle("1", T0 + Minute, largeSymbol: Btc, fillSymbol: Btc))
            .Concat(Cycle("2", T0 + (2 * Minute), largeSymbol: Eth, fillSymbol: Eth))
            .Concat(Cycle("3", T0 + (3 * Minute), largeSymbol: "XRP-KRW", fillSymbol: "XRP-KRW"));
        var agg = new SpoofingAggregate();

        Assert.Empty(Run(agg, events).OfCode(SpoofingCodes.SpoofCycle));
        Assert.Equal(3, agg.CyclesTotal);
    }

    [Fact]
    public void A_fill_on_the_same_side_as_the_large_order_is_not_a_cycle()
    {
        var events = new List<OrderEvent>(TypicalHistory(T0));
        for (int i = 1; i <= 3; i++)
        {
            long t = T0 + (i * Minute);
            events.Add(Place($"L{i}", t, OrderSide.BUY, Bid, 10));
            events.Add(Place($"B{i}", t + 300, OrderSide.BUY, Bid, 1));
            events.Add(Fill($"B{i}", t + 400, OrderSide.BUY, Bid, 1, 1));
            events.Add(Cancel($"L{i}", t + 600, OrderSide.BUY, Bid, 10));
        }

        Assert.Empty(Run(events).OfCode(SpoofingCodes.SpoofCycle));
    }
}
