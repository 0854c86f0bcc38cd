using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
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

    /// <summary>
    /// Regression (hostile-input fuzzing): a fill of 1e-300 against a large order made the cycle's large-to-filled ratio
    /// infinite; JSON has no infinity, so the feature snapshot could not be written and the stream thread stopped. The
    /// engine sees amounts the validator would refuse too (1e300, double.MaxValue), in case a policy's limits allow them.
    /// </summary>
    [Fact]
    public void Orders_with_extreme_amounts_never_give_a_command_or_snapshot_that_cannot_be_written()
    {
        double[] amounts = [0, double.Epsilon, 1e-300, 1, 1e15, 1e300, double.MaxValue];
        int written = 0;
        for (int seed = 0; seed < 100; seed++)
        {
            var rng = new Random(seed);
            OrderEvent Extreme(OrderEvent o) => rng.Next(3) == 0
                ? o with { Price = amounts[rng.Next(amounts.Length)], Quantity = amounts[rng.Next(amounts.Length)], FilledQuantity = rng.Next(2) == 0 ? o.FilledQuantity : amounts[rng.Next(amounts.Length)] }
                : o;
            var orders = TypicalHistory(T0).Concat(Enumerable.Range(0, 8).SelectMany(k => Cycle("x" + k, T0 + 60_000 + (k * 20_000)))).Select(Extreme)
                .Concat(Then(T0 + 600_000));
            var state = _engine.NewState(Key);
            foreach (var o in orders)
            {
                var outcome = _engine.OnOrder(state, o);
                if (outcome.Snapshot is { } s)
                {
                    Assert.NotEmpty(ContractCodecs.Features.SerializeJson(s));
                    written++;
                }
                if (outcome.Command is { } c) Assert.NotEmpty(ContractCodecs.Command.SerializeJson(c));
            }
        }
        Assert.True(written > 100);
    }

    [Fact]
    public void Evidence_numbers_are_finite_whatever_a_signal_computed()
    {
        var reason = Detection.Signals.Evidence.Of("X", "x", [("inf", double.PositiveInfinity), ("neg", double.NegativeInfinity), ("nan", double.NaN), ("one", 1)]);
        Assert.Equal([double.MaxValue, double.MinValue, 0, 1], reason.Metrics.Select(m => m.Value));
    }
}
