using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Signals;
using KeyShareDetector.Detection.Signals.Spoofing;
using static KeyShareDetector.Detection.Tests.Signals.Spoofing.SpoofingTestKit;

namespace KeyShareDetector.Detection.Tests.Signals.Spoofing;

/// <summary>Event time only: out-of-order input within the grace period, late input, when findings come out.</summary>
public class SpoofingEventTimeTests
{
    private const long Minute = 60_000;

    private static List<OrderEvent> ThreeCycles() =>
        [.. TypicalHistory(T0), .. Cycle("1", T0 + Minute), .. Cycle("2", T0 + (2 * Minute)), .. Cycle("3", T0 + (3 * Minute))];

    [Fact]
    public void Records_shuffled_within_the_grace_period_give_the_findings_of_the_ordered_input()
    {
        var ordered = ThreeCycles();
        // Deliver each cycle's fill and cancel before its placements, up to a few seconds out of order.
        var shuffled = new List<OrderEvent>(ordered);
        for (int i = shuffled.Count - 4; i >= 0; i -= 4)
        {
            (shuffled[i], shuffled[i + 3]) = (shuffled[i + 3], shuffled[i]);
            (shuffled[i + 1], shuffled[i + 2]) = (shuffled[i + 2], shuffled[i + 1]);
        }
        var agg = new SpoofingAggregate();

        var expected = Canonical(Run(ordered));
        var actual = Canonical(Run(agg, shuffled));

        Assert.Contains(expected, c => c.StartsWith(SpoofingCodes.SpoofCycle, StringComparison.Ordinal));
        Assert.Equal(expected, actual);
        Assert.Equal(0, agg.LateRecords);
    }

    [Fact]
    public void A_record_older_than_the_grace_period_is_counted_as_late_and_not_used()
    {
        var agg = new SpoofingAggregate();
        var rule = SpoofingRule.Default;
        var findings = new List<SignalFinding>();
        agg.OnOrder(Place("a", T0 + 100_000, OrderSide.BUY, Bid, 1), rule, findings);

        bool used = agg.OnOrder(Place("late", T0 + 100_000 - rule.GraceMs - 1, OrderSide.BUY, Bid, 1), rule, findings);
        agg.Flush(rule, findings);

        Assert.False(used);
        Assert.Equal(1, agg.LateRecords);
        var snapshot = agg.Snapshot(rule);
        Assert.Equal(1, snapshot.LateRecords);
        Assert.Equal(1, snapshot.Placed);
    }

    [Fact]
    public void A_record_exactly_at_the_grace_bound_is_still_used()
    {
        var agg = new SpoofingAggregate();
        var rule = SpoofingRule.Default;
        var findings = new List<SignalFinding>();
        agg.OnOrder(Place("a", T0 + 100_000, OrderSide.BUY, Bid, 1), rule, findings);

        Assert.True(agg.OnOrder(Place("b", T0 + 100_000 - rule.GraceMs, OrderSide.BUY, Bid, 1), rule, findings));
        agg.Flush(rule, findings);
        Assert.Equal(2, agg.Snapshot(rule).Placed);
    }

    [Fact]
    public void Findings_come_out_once_stream_time_passes_the_grace_period()
    {
        var agg = new SpoofingAggregate();
        var rule = SpoofingRule.Default;
        var findings = new List<SignalFinding>();
        foreach (var e in ThreeCycles()) agg.OnOrder(e, rule, findings);
        Assert.Empty(findings.OfCode(SpoofingCodes.SpoofCycle));

        long lastCancel = T0 + (3 * Minute) + 600;
        agg.AdvanceTo(lastCancel + rule.GraceMs - 1, rule, findings);
        Assert.Empty(findings.OfCode(SpoofingCodes.SpoofCycle));

        agg.AdvanceTo(lastCancel + rule.GraceMs, rule, findings);
        Assert.Single(findings.OfCode(SpoofingCodes.SpoofCycle));
        Assert.Equal(0, agg.BufferedEvents);
    }

    [Fact]
    public void With_no_grace_period_findings_come_out_on_the_record_that_completes_them()
    {
        var rule = SpoofingRule.Default with { GraceMs = 0 };
        var agg = new SpoofingAggregate();
        var findings = new List<SignalFinding>();
        var events = ThreeCycles();

        foreach (var e in events.Take(events.Count - 1)) agg.OnOrder(e, rule, findings);
        Assert.Empty(findings.OfCode(SpoofingCodes.SpoofCycle));
        agg.OnOrder(events[^1], rule, findings);

        Assert.Single(findings.OfCode(SpoofingCodes.SpoofCycle));
    }

    [Fact]
    public void A_record_older_than_one_already_processed_is_late_after_a_flush()
    {
        var agg = new SpoofingAggregate();
        var rule = SpoofingRule.Default;
        var findings = new List<SignalFinding>();
        agg.OnOrder(Place("a", T0 + 10_000, OrderSide.BUY, Bid, 1), rule, findings);
        agg.Flush(rule, findings);

        Assert.False(agg.OnOrder(Place("b", T0 + 9_999, OrderSide.BUY, Bid, 1), rule, findings));
        Assert.Equal(1, agg.LateRecords);
    }

    [Fact]
    public void Day_counts_restart_at_utc_midnight_of_event_time()
    {
        var agg = new SpoofingAggregate();
        var rule = SpoofingRule.Default;
        const long day = 86_400_000;
        Run(agg, [Place("a", T0 + day - 1, OrderSide.BUY, Bid, 1), Place("b", T0 + day, OrderSide.BUY, Bid, 2)]);

        var snapshot = agg.Snapshot(rule);

        Assert.Equal(1, snapshot.Placed);
        Assert.Equal(2 * Bid, snapshot.PlacedNotional, 6);
        Assert.Equal((T0 / day) + 1, snapshot.Day);
    }
}
