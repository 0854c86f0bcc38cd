using KeyShareDetector.Detection.Signals.Spoofing;

namespace KeyShareDetector.Detection.Tests.Signals.Spoofing;

public class SpoofingRuleTests
{
    [Fact]
    public void The_default_rule_is_valid()
    {
        Assert.Empty(SpoofingRule.Default.Validate());
    }

    [Fact]
    public void The_defaults_follow_the_detection_design()
    {
        var r = SpoofingRule.Default;

        Assert.Equal(5, r.LargeOrderMultiple);
        Assert.Equal(2_000, r.FastCancelMs);
        Assert.Equal(10_000, r.CycleWindowMs);
        Assert.Equal(5, r.CycleNotionalRatio);
        Assert.Equal(3, r.MinCycles);
        Assert.Equal(30 * 60_000, r.CycleRepetitionWindowMs);
        Assert.Equal(3, r.LayeringMinLevels);
        Assert.Equal(2_000, r.LayeringPlaceSpanMs);
        Assert.Equal(2_000, r.LayeringCancelSpanMs);
        Assert.Equal(0, r.WeightOf(SpoofingCodes.OrderToTrade));
    }

    [Fact]
    public void Each_bad_setting_gets_one_message_naming_it()
    {
        var rule = SpoofingRule.Default with { LargeOrderMultiple = 1, FastCancelMs = 0, MaxOpenOrders = 0, GraceMs = -1 };

        var errors = rule.Validate();

        Assert.Equal(4, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("spoofing.largeOrderMultiple:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("spoofing.fastCancelMs:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("spoofing.maxOpenOrders:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("spoofing.graceMs:", StringComparison.Ordinal));
    }

    [Fact]
    public void A_minimum_size_history_longer_than_the_history_kept_is_refused()
    {
        var errors = (SpoofingRule.Default with { SizeHistoryLength = 8, MinSizeHistory = 9 }).Validate();

        Assert.Equal("spoofing.minSizeHistory: must be in 1..sizeHistoryLength", Assert.Single(errors));
    }

    [Fact]
    public void A_repetition_count_the_cycle_memory_cannot_hold_is_refused()
    {
        var errors = (SpoofingRule.Default with { MinCycles = 10, MaxCyclesPerSymbol = 5 }).Validate();

        Assert.StartsWith("spoofing.maxCyclesPerSymbol:", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_code_has_no_weight()
    {
        Assert.Equal(0, SpoofingRule.Default.WeightOf("IP_DIVERSITY"));
    }
}
