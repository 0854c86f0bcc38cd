using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Signals.Spoofing;
using static KeyShareDetector.Detection.Tests.Signals.Spoofing.SpoofingTestKit;

namespace KeyShareDetector.Detection.Tests.Signals.Spoofing;

public class LayeringTests
{
    private const long At = T0 + 60_000;

    /// <summary>Three bids at successive levels placed within 200 ms, an ask of the key filled, the bids cancelled within 200 ms.</summary>
    private static List<OrderEvent> ThreeLayers(bool oppositeFill = true, long cancelGap = 100, string[]? symbols = null)
    {
        symbols ??= [Btc, Btc, Btc];
        var events = new List<OrderEvent>
        {
            Place("b1", At, OrderSide.BUY, 99.9, 1, symbols[0]),
            Place("b2", At + 100, OrderSide.BUY, 99.8, 1, symbols[1]),
            Place("b3", At + 200, OrderSide.BUY, 99.7, 1, symbols[2]),
            Place("a1", At + 300, OrderSide.SELL, Ask, 1),
        };
        if (oppositeFill) events.Add(Fill("a1", At + 500, OrderSide.SELL, Ask, 1, 1));
        events.Add(Cancel("b1", At + 800, OrderSide.BUY, 99.9, 1, symbols[0]));
        events.Add(Cancel("b2", At + 800 + cancelGap, OrderSide.BUY, 99.8, 1, symbols[1]));
        events.Add(Cancel("b3", At + 800 + (2 * cancelGap), OrderSide.BUY, 99.7, 1, symbols[2]));
        return events;
    }

    [Fact]
    public void Three_successive_bid_levels_placed_together_and_cancelled_together_around_an_ask_fill_are_layering()
    {
        var f = Assert.Single(Run(ThreeLayers()).OfCode(SpoofingCodes.Layering));

        Assert.Equal(3, f.Metric("levels"));
        Assert.Equal(200, f.Metric("place_span_ms"));
        Assert.Equal(200, f.Metric("cancel_span_ms"));
        Assert.Equal(1, f.Metric("opposite_fills"));
        Assert.Equal(At, f.WindowStart);
        Assert.Equal(At + 1_000, f.WindowEnd);
        Assert.Equal(["b1", "b2", "b3"], f.Reason.Subjects);
    }

    [Fact]
    public void Layers_without_a_fill_on_the_other_side_are_not_layering_by_default()
    {
        Assert.Empty(Run(ThreeLayers(oppositeFill: false)).OfCode(SpoofingCodes.Layering));
    }

    [Fact]
    public void Layers_without_a_fill_on_the_other_side_are_layering_when_the_policy_does_not_require_one()
    {
        var rule = SpoofingRule.Default with { LayeringRequiresOppositeFill = false };

        Assert.Single(Run(ThreeLayers(oppositeFill: false), rule).OfCode(SpoofingCodes.Layering));
    }

    [Fact]
    public void Layers_cancelled_more_than_two_seconds_apart_are_not_layering()
    {
        Assert.Empty(Run(ThreeLayers(cancelGap: 1_100)).OfCode(SpoofingCodes.Layering));
    }

    [Fact]
    public void Two_levels_are_not_enough_for_layering()
    {
        var events = ThreeLayers().Where(e => e.OrderId != "b3").ToList();

        Assert.Empty(Run(events).OfCode(SpoofingCodes.Layering));
    }

    [Fact]
    public void Levels_spread_over_different_symbols_are_not_combined_into_layering()
    {
        Assert.Empty(Run(ThreeLayers(symbols: [Btc, Eth, "XRP-KRW"])).OfCode(SpoofingCodes.Layering));
    }

    [Fact]
    public void A_quote_requoted_one_level_at_a_time_is_not_layering_because_the_levels_never_rested_together()
    {
        // A market maker walking its bid up while its ask trades: each level is cancelled before the next is placed.
        var events = new List<OrderEvent> { Place("a1", At, OrderSide.SELL, Ask, 1) };
        for (int i = 0; i < 10; i++)
        {
            double price = 99.0 + (i * 0.1);
            events.Add(Place($"q{i}", At + 100 + (i * 150), OrderSide.BUY, price, 1));
            events.Add(Cancel($"q{i}", At + 200 + (i * 150), OrderSide.BUY, price, 1));
            if (i == 4) events.Add(Fill("a1", At + 210 + (i * 150), OrderSide.SELL, Ask, 1, 1));
        }

        Assert.Empty(Run(events).OfCode(SpoofingCodes.Layering));
    }

    [Fact]
    public void Levels_far_apart_are_not_successive_levels()
    {
        var events = ThreeLayers().Select(e => e.OrderId == "b3" ? e with { Price = 90 } : e).ToList();

        Assert.Empty(Run(events).OfCode(SpoofingCodes.Layering));
    }
}
