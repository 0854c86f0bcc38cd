using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Signals;
using KeyShareDetector.Detection.Signals.Spoofing;
using static KeyShareDetector.Detection.Tests.Signals.Spoofing.SpoofingTestKit;

namespace KeyShareDetector.Detection.Tests.Signals.Spoofing;

/// <summary>Bounded state: caps per key, and reaching a cap is itself reported.</summary>
public class SpoofingCapsTests
{
    private static IEnumerable<OrderEvent> RestingOrders(int count, long stepMs, Func<int, string>? symbolOf = null)
    {
        for (int i = 0; i < count; i++)
        {
            yield return Place($"o{i}", T0 + (i * stepMs), i % 2 == 0 ? OrderSide.BUY : OrderSide.SELL, i % 2 == 0 ? Bid : Ask, 1,
                symbolOf?.Invoke(i) ?? Btc);
        }
    }

    [Fact]
    public void Open_orders_beyond_the_cap_are_reported_once_and_not_tracked()
    {
        var agg = new SpoofingAggregate();
        var rule = SpoofingRule.Default;

        var findings = Run(agg, RestingOrders(rule.MaxOpenOrders + 100, stepMs: 1), rule);

        var f = Assert.Single(findings.OfCode(SpoofingCodes.OrderCapExceeded));
        Assert.Equal(rule.MaxOpenOrders, f.Metric("cap"));
        Assert.Equal($"o{rule.MaxOpenOrders}", Assert.Single(f.Reason.Subjects));
        Assert.Equal(rule.MaxOpenOrders, agg.OpenOrdersTracked);
        Assert.Equal(100, agg.UntrackedOrders);
        Assert.True(agg.Snapshot(rule).CapExceeded);
    }

    [Fact]
    public void Open_orders_older_than_the_horizon_make_room_under_the_cap()
    {
        var agg = new SpoofingAggregate();
        var rule = SpoofingRule.Default with { MaxOpenOrders = 16 };

        // One resting order every 5 s for 7.5 min: never more than 13 younger than the 60 s horizon.
        var findings = Run(agg, RestingOrders(90, stepMs: 5_000), rule);

        Assert.Empty(findings.OfCode(SpoofingCodes.OrderCapExceeded));
        Assert.True(agg.OpenOrdersTracked <= rule.MaxOpenOrders);
        Assert.Equal(0, agg.UntrackedOrders);
    }

    [Fact]
    public void A_hundred_thousand_orders_on_one_key_keep_its_state_bounded()
    {
        var agg = new SpoofingAggregate();
        var rule = SpoofingRule.Default;
        var findings = new List<SignalFinding>();
        int maxBuffered = 0, maxOpen = 0, maxSymbols = 0;

        foreach (var e in RestingOrders(100_000, stepMs: 20, symbolOf: i => $"SYM{i % 200}-KRW"))
        {
            agg.OnOrder(e, rule, findings);
            maxBuffered = Math.Max(maxBuffered, agg.BufferedEvents);
            maxOpen = Math.Max(maxOpen, agg.OpenOrdersTracked);
            maxSymbols = Math.Max(maxSymbols, agg.SymbolsTracked);
        }
        agg.Flush(rule, findings);

        Assert.True(maxOpen <= rule.MaxOpenOrders, $"open orders {maxOpen}");
        Assert.True(maxSymbols <= rule.MaxSymbols, $"symbols {maxSymbols}");
        Assert.True(maxBuffered <= rule.MaxBufferedEvents, $"buffered {maxBuffered}");
        Assert.True(Encode(agg).Length < 512 * 1024, $"state of {Encode(agg).Length} bytes");
        Assert.True(agg.UntrackedSymbolEvents > 0);
        Assert.Single(findings, f => f.Code == SpoofingCodes.OrderCapExceeded && f.Reason.Summary.Contains("symbols", StringComparison.Ordinal));
    }

    [Fact]
    public void Symbols_idle_for_longer_than_the_repetition_window_make_room_for_new_ones()
    {
        var agg = new SpoofingAggregate();
        var rule = SpoofingRule.Default with { MaxSymbols = 2 };
        long idle = rule.CycleRepetitionWindowMs + 1;

        var findings = Run(agg,
        [
            Place("a", T0, OrderSide.BUY, Bid, 1, "A-KRW"),
            Place("b", T0 + 1, OrderSide.BUY, Bid, 1, "B-KRW"),
            Place("c", T0 + idle + 1, OrderSide.BUY, Bid, 1, "C-KRW"),
        ], rule);

        Assert.Empty(findings);
        Assert.Equal(2, agg.SymbolsTracked);
        Assert.Equal(0, agg.UntrackedSymbolEvents);
    }

    [Fact]
    public void A_burst_beyond_the_reordering_buffer_is_processed_early_and_reported_once()
    {
        var agg = new SpoofingAggregate();
        var rule = SpoofingRule.Default with { MaxBufferedEvents = 100 };

        var findings = Run(agg, RestingOrders(300, stepMs: 1), rule);

        var f = Assert.Single(findings.OfCode(SpoofingCodes.OrderCapExceeded));
        Assert.Contains("re-ordering", f.Reason.Summary, StringComparison.Ordinal);
        Assert.Equal(200, agg.EarlyReleases);
        Assert.Equal(300, agg.Snapshot(rule).Placed);
    }
}
