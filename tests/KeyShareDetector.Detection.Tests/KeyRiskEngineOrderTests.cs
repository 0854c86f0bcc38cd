using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.Tests.Signals.Spoofing;
using static KeyShareDetector.Detection.Tests.Signals.Spoofing.SpoofingTestKit;

namespace KeyShareDetector.Detection.Tests;

public class KeyRiskEngineOrderTests
{
    private readonly KeyRiskEngine _engine = new(DetectionPolicy.Default, TestSigner.Create());

    private List<EnforcementCommand> Run(IEnumerable<OrderEvent> orders)
    {
        var state = _engine.NewState(Key);
        var commands = new List<EnforcementCommand>();
        foreach (var o in orders)
        {
            if (_engine.OnOrder(state, o).Command is { } c) commands.Add(c);
        }
        return commands;
    }

    /// <summary>A later ordinary order moves the key's stream time past the grace period, releasing held findings.</summary>
    private static IEnumerable<OrderEvent> Then(long t) => [Place("late", t, OrderSide.BUY, 99.5, 1), Cancel("late", t + 500, OrderSide.BUY, 99.5, 1)];

    [Fact]
    public void A_key_repeating_the_spoof_cycle_is_warned_with_the_orders_as_evidence()
    {
        var orders = TypicalHistory(T0)
            .Concat(Cycle("a", T0 + 60_000)).Concat(Cycle("b", T0 + 120_000)).Concat(Cycle("c", T0 + 180_000))
            .Concat(Then(T0 + 300_000));
        var c = Assert.Single(Run(orders));
        Assert.Equal(EnforcementAction.WARN, c.Action);
        Assert.Equal("SPOOF_CYCLE", c.Reasons[0].Code);
        Assert.Contains("Lc", c.Reasons[0].Subjects);
    }

    [Fact]
    public void A_market_maker_cancelling_almost_everything_without_cycles_is_not_actioned()
    {
        var quotes = new List<OrderEvent>();
        for (int i = 0; i < 400; i++)
        {
            long t = T0 + (i * 1_000);
            quotes.Add(Place($"b{i}", t, OrderSide.BUY, Bid, 1));
            quotes.Add(Place($"s{i}", t, OrderSide.SELL, Ask, 1));
            if (i % 20 == 0) quotes.Add(Fill($"s{i}", t + 200, OrderSide.SELL, Ask, 1, 1));
            quotes.Add(Cancel($"b{i}", t + 900, OrderSide.BUY, Bid, 1));
            if (i % 20 != 0) quotes.Add(Cancel($"s{i}", t + 900, OrderSide.SELL, Ask, 1));
        }
        Assert.Empty(Run(quotes.Concat(Then(T0 + 500_000))));
    }
}
