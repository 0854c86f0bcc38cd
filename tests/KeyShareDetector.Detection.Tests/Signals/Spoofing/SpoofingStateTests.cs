using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Signals;
using KeyShareDetector.Detection.Signals.Spoofing;
using static KeyShareDetector.Detection.Tests.Signals.Spoofing.SpoofingTestKit;

namespace KeyShareDetector.Detection.Tests.Signals.Spoofing;

/// <summary>State store round trips and determinism.</summary>
public class SpoofingStateTests
{
    private const long Minute = 60_000;

    /// <summary>A mixed stream: history, four cycles, layering, a fast cancel, fills on two symbols, a late record.</summary>
    private static List<OrderEvent> MixedStream()
    {
        var events = new List<OrderEvent>(TypicalHistory(T0));
        events.AddRange(TypicalHistory(T0 + 30_000, Eth, "e"));
        for (int i = 1; i <= 4; i++) events.AddRange(Cycle(i.ToString(System.Globalization.CultureInfo.InvariantCulture), T0 + (i * Minute)));
        long at = T0 + (6 * Minute);
        events.AddRange(
        [
            Place("b1", at, OrderSide.BUY, 99.9, 1, Eth),
            Place("b2", at + 100, OrderSide.BUY, 99.8, 1, Eth),
            Place("b3", at + 200, OrderSide.BUY, 99.7, 1, Eth),
            Place("a1", at + 300, OrderSide.SELL, Ask, 2, Eth),
            Fill("a1", at + 400, OrderSide.SELL, Ask, 2, 1, Eth),
            Fill("a1", at + 450, OrderSide.SELL, Ask, 2, 2, Eth),
            Cancel("b2", at + 900, OrderSide.BUY, 99.8, 1, Eth),
            Cancel("b1", at + 800, OrderSide.BUY, 99.9, 1, Eth),
            Cancel("b3", at + 1_000, OrderSide.BUY, 99.7, 1, Eth),
            Place("big", at + 5_000, OrderSide.SELL, Ask, 12, Eth),
            Modify("big", at + 5_500, OrderSide.SELL, Ask + 0.1, 12, Eth),
            Cancel("big", at + 6_000, OrderSide.SELL, Ask + 0.1, 12, Eth),
            Place("x", at + 70_000, OrderSide.BUY, Bid, 1),
            Place("too-late", at + 1_000, OrderSide.BUY, Bid, 1),
        ]);
        return events;
    }

    private static List<SignalFinding> RunSplit(IReadOnlyList<OrderEvent> events, int split)
    {
        var rule = SpoofingRule.Default;
        var findings = new List<SignalFinding>();
        var first = new SpoofingAggregate();
        for (int i = 0; i < split; i++) first.OnOrder(events[i], rule, findings);
        var restored = Decode(Encode(first));
        for (int i = split; i < events.Count; i++) restored.OnOrder(events[i], rule, findings);
        restored.Flush(rule, findings);
        return findings;
    }

    [Fact]
    public void The_mixed_stream_sets_off_every_kind_of_finding_the_round_trip_tests_rely_on()
    {
        var codes = Run(MixedStream()).Select(f => f.Code).Distinct().ToList();

        Assert.Contains(SpoofingCodes.SpoofCycle, codes);
        Assert.Contains(SpoofingCodes.Layering, codes);
        Assert.Contains(SpoofingCodes.FastCancelLarge, codes);
    }

    [Fact]
    public void Restoring_the_state_mid_stream_gives_the_findings_of_an_uninterrupted_run()
    {
        var events = MixedStream();
        var expected = Canonical(Run(events));

        for (int split = 0; split <= events.Count; split += 3)
        {
            Assert.Equal(expected, Canonical(RunSplit(events, split)));
        }
    }

    [Fact]
    public void A_decoded_state_encodes_to_the_same_bytes()
    {
        var agg = new SpoofingAggregate();
        var rule = SpoofingRule.Default;
        var findings = new List<SignalFinding>();
        // Stop mid-stream so open orders, rings and held records are all non-empty.
        foreach (var e in MixedStream().Take(100)) agg.OnOrder(e, rule, findings);
        Assert.True(agg.BufferedEvents > 0);

        var bytes = Encode(agg);

        Assert.Equal(bytes, Encode(Decode(bytes)));
        Assert.Equal(agg.Snapshot(rule), Decode(bytes).Snapshot(rule));
    }

    [Fact]
    public void The_same_input_twice_gives_the_same_findings_and_the_same_state()
    {
        var a = new SpoofingAggregate();
        var b = new SpoofingAggregate();

        var first = Canonical(Run(a, MixedStream()));
        var second = Canonical(Run(b, MixedStream()));

        Assert.NotEmpty(first);
        Assert.Equal(first, second);
        Assert.Equal(Encode(a), Encode(b));
    }

    [Fact]
    public void A_state_in_an_unknown_format_is_refused()
    {
        Assert.Throws<InvalidDataException>(() => Decode([99]));
    }

    [Fact]
    public void The_late_record_of_the_mixed_stream_is_counted()
    {
        var agg = new SpoofingAggregate();
        Run(agg, MixedStream());

        Assert.Equal(1, agg.LateRecords);
    }
}
