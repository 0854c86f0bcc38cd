using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Signals.Spoofing;
using static KeyShareDetector.Detection.Tests.Signals.Spoofing.SpoofingTestKit;

namespace KeyShareDetector.Detection.Tests.Signals.Spoofing;

public class FastCancelTests
{
    private const long At = T0 + 60_000;

    private static IEnumerable<OrderEvent> LargeOrderCancelledAfter(long ms, double qty = 10) =>
        TypicalHistory(T0).Concat(
        [
            Place("big", At, OrderSide.BUY, Bid, qty),
            Cancel("big", At + ms, OrderSide.BUY, Bid, qty),
        ]);

    [Fact]
    public void A_large_order_cancelled_within_two_seconds_is_reported_as_a_fast_cancel()
    {
        var f = Assert.Single(Run(LargeOrderCancelledAfter(1_500)));

        Assert.Equal(SpoofingCodes.FastCancelLarge, f.Code);
        Assert.Equal(["big"], f.Reason.Subjects);
        Assert.Equal(1_500, f.Metric("lifetime_ms"));
        Assert.Equal(1_000, f.Metric("order_notional"), 6);
        Assert.Equal(99.5, f.Metric("median_notional"), 6);
        Assert.Equal(At, f.WindowStart);
        Assert.Equal(At + 1_500, f.WindowEnd);
        Assert.True(f.Strength >= 1);
    }

    [Fact]
    public void A_large_order_cancelled_exactly_at_two_seconds_is_a_fast_cancel()
    {
        Assert.Single(Run(LargeOrderCancelledAfter(2_000)).OfCode(SpoofingCodes.FastCancelLarge));
    }

    [Fact]
    public void A_large_order_cancelled_after_two_seconds_is_not_a_fast_cancel()
    {
        Assert.Empty(Run(LargeOrderCancelledAfter(2_001)));
    }

    [Fact]
    public void An_order_under_five_times_the_median_size_is_not_large()
    {
        Assert.Empty(Run(LargeOrderCancelledAfter(500, qty: 4.9)));
    }

    [Fact]
    public void No_order_is_judged_large_before_the_key_has_a_size_history()
    {
        var events = new[]
        {
            Place("o1", At, OrderSide.BUY, Bid, 1),
            Place("big", At + 10, OrderSide.BUY, Bid, 100),
            Cancel("big", At + 500, OrderSide.BUY, Bid, 100),
        };

        Assert.Empty(Run(events));
    }

    [Fact]
    public void An_order_modified_up_to_a_large_size_and_cancelled_quickly_is_a_fast_cancel_timed_from_the_modification()
    {
        var events = TypicalHistory(T0).Concat(
        [
            Place("m", At, OrderSide.BUY, Bid, 1),
            Modify("m", At + 30_000, OrderSide.BUY, Bid, 10),
            Cancel("m", At + 31_000, OrderSide.BUY, Bid, 10),
        ]);

        var f = Assert.Single(Run(events));
        Assert.Equal(SpoofingCodes.FastCancelLarge, f.Code);
        Assert.Equal(1_000, f.Metric("lifetime_ms"));
    }

    [Fact]
    public void Fast_cancels_carry_a_low_weight_by_default()
    {
        var rule = SpoofingRule.Default;

        Assert.True(rule.WeightOf(SpoofingCodes.FastCancelLarge) < rule.WeightOf(SpoofingCodes.SpoofCycle) / 4);
    }
}
