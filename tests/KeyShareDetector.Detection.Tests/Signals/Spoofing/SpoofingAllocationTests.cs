using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Signals;
using KeyShareDetector.Detection.Signals.Spoofing;
using static KeyShareDetector.Detection.Tests.Signals.Spoofing.SpoofingTestKit;

namespace KeyShareDetector.Detection.Tests.Signals.Spoofing;

/// <summary>A guard until the BenchmarkDotNet benchmark exists: the path where nothing fires allocates nothing.</summary>
public class SpoofingAllocationTests
{
    [Fact]
    public void Quoting_both_sides_with_cancels_and_fills_allocates_nothing_once_warmed_up()
    {
        var rule = SpoofingRule.Default;
        var events = new List<OrderEvent>();
        for (int i = 0; i < 6_000; i++)
        {
            long t = T0 + (i * 200L);
            string symbol = i % 3 == 0 ? Eth : Btc;
            events.Add(Place($"b{i}", t, OrderSide.BUY, Bid, 1 + (i % 3), symbol));
            events.Add(Place($"a{i}", t + 1, OrderSide.SELL, Ask, 1 + (i % 2), symbol));
            if (i % 10 == 0) events.Add(Fill($"b{i}", t + 50, OrderSide.BUY, Bid, 1 + (i % 3), 1, symbol));
            events.Add(Cancel($"b{i}", t + 150, OrderSide.BUY, Bid, 1 + (i % 3), symbol));
            events.Add(Cancel($"a{i}", t + 151, OrderSide.SELL, Ask, 1 + (i % 2), symbol));
        }
        var agg = new SpoofingAggregate();
        var findings = new List<SignalFinding>(16);
        int warmUp = events.Count / 2;
        for (int i = 0; i < warmUp; i++) agg.OnOrder(events[i], rule, findings);
        Assert.Empty(findings);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = warmUp; i < events.Count; i++) agg.OnOrder(events[i], rule, findings);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Empty(findings);
        Assert.Equal(0, allocated);
    }
}
