namespace KeyShareDetector.Detection.Signals.Spoofing;

/// <summary>
/// Thresholds, caps and weights of the spoofing signals (cancel pattern, cycle, layering, order-to-trade ratio);
/// policy data, never constants in code. Defaults follow DETECTION.md.
/// </summary>
public sealed record SpoofingRule
{
    // --- what "large" means: relative to the key's own typical order size ---

    /// <summary>An order is large when its notional is at least this multiple of the key's median order notional (k).</summary>
    public double LargeOrderMultiple { get; init; } = 5;
    /// <summary>Placed order sizes (notional) remembered per key for the median.</summary>
    public int SizeHistoryLength { get; init; } = 64;
    /// <summary>Placements the key must have made before any order is judged large.</summary>
    public int MinSizeHistory { get; init; } = 10;

    // --- fast cancel ---

    /// <summary>A large order cancelled within this long after it became large is a fast cancel (T).</summary>
    public long FastCancelMs { get; init; } = 2_000;

    // --- the place-large -> opposite fill -> cancel-large cycle ---

    /// <summary>The whole cycle (large order shown, opposite fill, large order cancelled) fits in this long.</summary>
    public long CycleWindowMs { get; init; } = 10_000;
    /// <summary>
    /// Near the touch: a buy at most this fraction below the best bid, a sell at most this fraction above the best
    /// ask, when the event carries them (without them every order counts as near).
    /// </summary>
    public double MaxTouchDistance { get; init; } = 0.005;
    /// <summary>The cancelled large side's notional must be at least this multiple of the opposite filled notional.</summary>
    public double CycleNotionalRatio { get; init; } = 5;
    /// <summary>Cycles on one symbol within <see cref="CycleRepetitionWindowMs"/> needed to fire (one cycle can be a hedge).</summary>
    public int MinCycles { get; init; } = 3;
    public long CycleRepetitionWindowMs { get; init; } = 30 * 60_000;

    // --- layering ---

    /// <summary>Distinct successive price levels on one side needed to call it layering.</summary>
    public int LayeringMinLevels { get; init; } = 3;
    /// <summary>The layered orders were all placed within this span (and were resting together).</summary>
    public long LayeringPlaceSpanMs { get; init; } = 2_000;
    /// <summary>The layered orders were all cancelled within this span.</summary>
    public long LayeringCancelSpanMs { get; init; } = 2_000;
    /// <summary>Adjacent levels are "successive" when they are at most this fraction of the price apart.</summary>
    public double LayeringMaxLevelGap { get; init; } = 0.01;
    /// <summary>
    /// Require a fill on the opposite side while the layers rested (what layering is for). Off, a market maker's
    /// multi-level quote ladder replaced as a whole looks exactly like layering.
    /// </summary>
    public bool LayeringRequiresOppositeFill { get; init; } = true;

    // --- order-to-trade ratio (informational) ---

    /// <summary>Orders (place + modify + cancel) per trade per key, symbol and UTC day above which ORDER_TO_TRADE is reported.</summary>
    public double OrderToTradeMaxRatio { get; init; } = 100;
    /// <summary>Orders on a symbol in the day before the ratio is judged at all.</summary>
    public int OrderToTradeMinOrders { get; init; } = 100;

    // --- bounded state ---

    /// <summary>Open orders tracked per key; beyond it new orders are not examined (and ORDER_CAP_EXCEEDED says so).</summary>
    public int MaxOpenOrders { get; init; } = 512;
    /// <summary>How long an open order stays tracked after its placement; older ones can take part in no pattern.</summary>
    public long OpenOrderHorizonMs { get; init; } = 60_000;
    /// <summary>Symbols tracked per key.</summary>
    public int MaxSymbols { get; init; } = 64;
    /// <summary>Out-of-order records up to this much older than the key's newest event are re-ordered; older ones are late.</summary>
    public long GraceMs { get; init; } = 30_000;
    /// <summary>Records held for re-ordering per key; beyond it the oldest are processed early.</summary>
    public int MaxBufferedEvents { get; init; } = 2_048;
    /// <summary>Recent fills remembered per symbol.</summary>
    public int MaxFillsPerSymbol { get; init; } = 128;
    /// <summary>Recent cancels of tracked orders remembered per symbol (layering and multi-order cycles).</summary>
    public int MaxRecentCancelsPerSymbol { get; init; } = 64;
    /// <summary>Cycles remembered per symbol for the repetition count.</summary>
    public int MaxCyclesPerSymbol { get; init; } = 64;

    // --- weights (risk contribution of each code; the policy combines them) ---

    public double SpoofCycleWeight { get; init; } = 60;
    public double LayeringWeight { get; init; } = 50;
    /// <summary>Low on purpose: fast cancels of large orders alone are not spoofing.</summary>
    public double FastCancelLargeWeight { get; init; } = 5;
    /// <summary>Zero by default: the ratio is informational (market makers legitimately run high ratios).</summary>
    public double OrderToTradeWeight { get; init; }
    public double OrderCapExceededWeight { get; init; } = 10;

    public static SpoofingRule Default { get; } = new();

    /// <summary>Largest <see cref="SizeHistoryLength"/> accepted (the median is computed on the stack).</summary>
    public const int MaxSizeHistoryLength = 1_024;

    /// <summary>The weight of a spoofing reason code, 0 for a code this rule does not know.</summary>
    public double WeightOf(string code) => code switch
    {
        SpoofingCodes.SpoofCycle => SpoofCycleWeight,
        SpoofingCodes.Layering => LayeringWeight,
        SpoofingCodes.FastCancelLarge => FastCancelLargeWeight,
        SpoofingCodes.OrderToTrade => OrderToTradeWeight,
        SpoofingCodes.OrderCapExceeded => OrderCapExceededWeight,
        _ => 0,
    };

    /// <summary>Every problem with the rule, one line each, naming the setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Check(bool ok, string message)
        {
            if (!ok) errors.Add("spoofing." + message);
        }

        Check(double.IsFinite(LargeOrderMultiple) && LargeOrderMultiple > 1, "largeOrderMultiple: must be > 1");
        Check(SizeHistoryLength is >= 1 and <= MaxSizeHistoryLength, $"sizeHistoryLength: must be in 1..{MaxSizeHistoryLength}");
        Check(MinSizeHistory >= 1 && MinSizeHistory <= SizeHistoryLength, "minSizeHistory: must be in 1..sizeHistoryLength");
        Check(FastCancelMs > 0, "fastCancelMs: must be > 0");
        Check(CycleWindowMs > 0, "cycleWindowMs: must be > 0");
        Check(double.IsFinite(MaxTouchDistance) && MaxTouchDistance >= 0, "maxTouchDistance: must be >= 0");
        Check(double.IsFinite(CycleNotionalRatio) && CycleNotionalRatio >= 1, "cycleNotionalRatio: must be >= 1");
        Check(MinCycles >= 1, "minCycles: must be >= 1");
        Check(MinCycles <= MaxCyclesPerSymbol, "maxCyclesPerSymbol: must be >= minCycles");
        Check(CycleRepetitionWindowMs >= CycleWindowMs, "cycleRepetitionWindowMs: must be >= cycleWindowMs");
        Check(LayeringMinLevels >= 2, "layeringMinLevels: must be >= 2");
        Check(LayeringMinLevels <= MaxRecentCancelsPerSymbol, "maxRecentCancelsPerSymbol: must be >= layeringMinLevels");
        Check(LayeringPlaceSpanMs >= 0, "layeringPlaceSpanMs: must be >= 0");
        Check(LayeringCancelSpanMs >= 0, "layeringCancelSpanMs: must be >= 0");
        Check(double.IsFinite(LayeringMaxLevelGap) && LayeringMaxLevelGap > 0, "layeringMaxLevelGap: must be > 0");
        Check(double.IsFinite(OrderToTradeMaxRatio) && OrderToTradeMaxRatio > 0, "orderToTradeMaxRatio: must be > 0");
        Check(OrderToTradeMinOrders >= 1, "orderToTradeMinOrders: must be >= 1");
        Check(MaxOpenOrders >= 1, "maxOpenOrders: must be >= 1");
        Check(OpenOrderHorizonMs >= CycleWindowMs && OpenOrderHorizonMs >= FastCancelMs,
            "openOrderHorizonMs: must be >= cycleWindowMs and >= fastCancelMs");
        Check(MaxSymbols >= 1, "maxSymbols: must be >= 1");
        Check(GraceMs >= 0, "graceMs: must be >= 0");
        Check(MaxBufferedEvents >= 1, "maxBufferedEvents: must be >= 1");
        Check(MaxFillsPerSymbol >= 1, "maxFillsPerSymbol: must be >= 1");
        Check(MaxRecentCancelsPerSymbol <= LayeringDetector.MaxCandidates, $"maxRecentCancelsPerSymbol: must be <= {LayeringDetector.MaxCandidates}");
        Check(MaxCyclesPerSymbol >= 1, "maxCyclesPerSymbol: must be >= 1");
        Check(IsWeight(SpoofCycleWeight), "spoofCycleWeight: must be >= 0");
        Check(IsWeight(LayeringWeight), "layeringWeight: must be >= 0");
        Check(IsWeight(FastCancelLargeWeight), "fastCancelLargeWeight: must be >= 0");
        Check(IsWeight(OrderToTradeWeight), "orderToTradeWeight: must be >= 0");
        Check(IsWeight(OrderCapExceededWeight), "orderCapExceededWeight: must be >= 0");
        return errors;
    }

    private static bool IsWeight(double w) => double.IsFinite(w) && w >= 0;
}

/// <summary>Stable reason codes of the spoofing signals.</summary>
public static class SpoofingCodes
{
    /// <summary>Repeated place-large -> opposite fill -> cancel-large cycles on one symbol.</summary>
    public const string SpoofCycle = "SPOOF_CYCLE";
    /// <summary>Several successive levels on one side placed together, resting together, cancelled together.</summary>
    public const string Layering = "LAYERING";
    /// <summary>A large order cancelled within T of becoming large (reported; weak alone).</summary>
    public const string FastCancelLarge = "FAST_CANCEL_LARGE";
    /// <summary>Orders per trade on one symbol in a UTC day above the venue-style cap (informational).</summary>
    public const string OrderToTrade = "ORDER_TO_TRADE";
    /// <summary>A per-key cap on tracked state was reached: some of the key's activity went unexamined.</summary>
    public const string OrderCapExceeded = "ORDER_CAP_EXCEEDED";
}
