using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Signals.Spoofing;
using static KeyShareDetector.Detection.Tests.Signals.Spoofing.SpoofingTestKit;

namespace KeyShareDetector.Detection.Tests.Signals.Spoofing;

public class OrderToTradeTests
{
    /// <summary><paramref name="pairs"/> placed-and-cancelled orders, one trade in every <paramref name="tradeEvery"/>.</summary>
    private static List<OrderEvent> Flow(int pairs, int tradeEvery, string symbol = Btc, long start = T0)
    {
        var events = new List<OrderEvent>();
        for (int i = 0; i < pairs; i++)
        {
            long t = start + (i * 1_000L);
            string id = $"{symbol}-{i}";
            events.Add(Place(id, t, OrderSide.BUY, Bid, 1, symbol));
            if (tradeEvery > 0 && i % tradeEvery == 0) events.Add(Fill(id, t + 100, OrderSide.BUY, Bid, 1, 1, symbol));
            else events.Add(Cancel(id, t + 100, OrderSide.BUY, Bid, 1, symbol));
        }
        return events;
    }

    [Fact]
    public void Orders_per_trade_above_the_cap_are_reported_once_a_day_as_information()
    {
        var findings = Run(Flow(pairs: 300, tradeEvery: 0));

        var f = Assert.Single(findings);
        Assert.Equal(SpoofingCodes.OrderToTrade, f.Code);
        Assert.Equal(100, f.Metric("orders"));
        Assert.Equal(0, f.Metric("trades"));
        Assert.Equal(T0, f.WindowStart);
        Assert.Equal(0, SpoofingRule.Default.WeightOf(f.Code));
    }

    [Fact]
    public void Orders_per_trade_under_the_cap_are_not_reported()
    {
        Assert.Empty(Run(Flow(pairs: 1_000, tradeEvery: 25)));
    }

    [Fact]
    public void The_snapshot_carries_the_day_s_counts_notional_and_ratios()
    {
        var agg = new SpoofingAggregate();
        Run(agg, [.. Flow(pairs: 40, tradeEvery: 10), .. Flow(pairs: 10, tradeEvery: 0, symbol: Eth, start: T0 + 50_000)]);

        var s = agg.Snapshot(SpoofingRule.Default);

        Assert.Equal(50, s.Placed);
        Assert.Equal(46, s.Cancelled);
        Assert.Equal(4, s.Fills);
        Assert.Equal(50 * Bid, s.PlacedNotional, 6);
        Assert.Equal(46 * Bid, s.CancelledNotional, 6);
        Assert.Equal(4 * Bid, s.FilledNotional, 6);
        Assert.Equal(96.0 / 4, s.OrderToTradeRatio, 6);
        Assert.Equal(Eth, s.MaxOrderToTradeSymbol);
        Assert.Equal(20, s.MaxSymbolOrderToTradeRatio, 6);
        Assert.Equal(0.92, s.CancelRatio, 6);
        Assert.Equal(2, s.SymbolsTracked);
    }
}
