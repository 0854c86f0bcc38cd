namespace KeyShareDetector.Detection.Signals.Spoofing;

/// <summary>
/// The numbers a key's spoofing aggregate holds, for feature output: the current UTC day's (event time) order
/// counts and notional, ratios, cycles, and how much input was late or beyond the caps.
/// </summary>
public readonly record struct SpoofingSnapshot
{
    /// <summary>UTC day (days since the epoch) the day counts belong to.</summary>
    public long Day { get; init; }
    public long Placed { get; init; }
    public long Modified { get; init; }
    public long Cancelled { get; init; }
    public long Fills { get; init; }
    public double PlacedNotional { get; init; }
    public double CancelledNotional { get; init; }
    public double FilledNotional { get; init; }
    /// <summary>Cancels per placement today (not evidence alone: market makers cancel over 90%).</summary>
    public double CancelRatio { get; init; }
    /// <summary>Orders (place + modify + cancel) per trade today over all symbols.</summary>
    public double OrderToTradeRatio { get; init; }
    /// <summary>The highest per-symbol order-to-trade ratio today, and its symbol (null when no symbol has orders today).</summary>
    public double MaxSymbolOrderToTradeRatio { get; init; }
    public string? MaxOrderToTradeSymbol { get; init; }
    /// <summary>Most cycles any one symbol had within the repetition window ending at the last processed event.</summary>
    public int CyclesInWindow { get; init; }
    public long CyclesToday { get; init; }
    public long CyclesTotal { get; init; }
    public long FastCancelsLargeToday { get; init; }
    public long LayeringsToday { get; init; }
    /// <summary>Records that arrived later than the grace period (counted, not used).</summary>
    public long LateRecords { get; init; }
    /// <summary>Orders not tracked because the open-order cap was full.</summary>
    public long UntrackedOrders { get; init; }
    /// <summary>Events on symbols not tracked because the symbol cap was full.</summary>
    public long UntrackedSymbolEvents { get; init; }
    /// <summary>Events processed before their grace period ended because the re-ordering buffer was full.</summary>
    public long EarlyReleases { get; init; }
    /// <summary>True once any cap (open orders, symbols, re-ordering buffer) overflowed.</summary>
    public bool CapExceeded { get; init; }
    public int OpenOrdersTracked { get; init; }
    public int SymbolsTracked { get; init; }
    public int BufferedEvents { get; init; }
}
