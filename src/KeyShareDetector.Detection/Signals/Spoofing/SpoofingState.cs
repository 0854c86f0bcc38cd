using KeyShareDetector.Contracts;

namespace KeyShareDetector.Detection.Signals.Spoofing;

// The state pieces below are plain mutable structs kept in arrays and dictionaries owned by SpoofingAggregate:
// updates go through refs, so the per-event path allocates nothing.

/// <summary>An order the key placed recently and has not cancelled or fully filled yet.</summary>
internal struct OpenOrder
{
    public const long NotLarge = long.MinValue;

    public string Symbol;
    public OrderSide Side;
    public double Price;
    public double Quantity;
    public double Filled;
    /// <summary>Placement (or last modification) time: tracking age is measured from it.</summary>
    public long PlacedAt;
    /// <summary>When the order became large, or <see cref="NotLarge"/>.</summary>
    public long LargeSince;
    /// <summary>Notional / (k x median) when judged large: how far past the threshold.</summary>
    public double LargeRatio;
    public double MedianNotional;
    public bool NearTouch;

    public readonly bool IsLarge => LargeSince != NotLarge;
}

/// <summary>A fill of one of the key's orders on one symbol.</summary>
internal struct FillRecord
{
    public long Ts;
    public OrderSide Side;
    public double Notional;
    public string OrderId;
}

/// <summary>A cancel of a tracked order, kept briefly for layering and for cycles spanning several large orders.</summary>
internal struct CancelRecord
{
    public string OrderId;
    public OrderSide Side;
    public double Price;
    /// <summary>Notional still resting when cancelled.</summary>
    public double Notional;
    public long PlacedAt;
    public long CancelledAt;
    public long LargeSince;
    public bool NearTouch;
    public bool UsedByCycle;
    public bool UsedByLayering;

    public readonly bool IsLarge => LargeSince != OpenOrder.NotLarge;
}

/// <summary>One completed place-large -> opposite fill -> cancel-large cycle.</summary>
internal struct CycleRecord
{
    public long Start;
    public long End;
    public OrderSide LargeSide;
    public double LargeNotional;
    public double FilledNotional;
    public int LargeOrders;
    public int Fills;
    public string LargeOrderId;
    public string FillOrderId;
}

/// <summary>Counts for one UTC day (event time), per key or per symbol.</summary>
internal struct DayCounters
{
    public const long MsPerDay = 86_400_000;

    public long Day;
    public long Placed;
    public long Modified;
    public long Cancelled;
    public long Fills;
    public double PlacedNotional;
    public double CancelledNotional;
    public double FilledNotional;
    public long FastCancelsLarge;
    public long Cycles;
    public long Layerings;
    public bool OrderToTradeReported;

    /// <summary>Orders in the MiFID II RTS 9 sense: adds, modifications and cancels.</summary>
    public readonly long Orders => Placed + Modified + Cancelled;

    /// <summary>Orders per trade; with no trade yet, orders per one trade (so the ratio stays finite).</summary>
    public readonly double OrderToTradeRatio => (double)Orders / Math.Max(1, Fills);

    public static long DayOf(long ts) => ts >= 0 ? ts / MsPerDay : ((ts + 1) / MsPerDay) - 1;

    /// <summary>Starts a fresh day when <paramref name="ts"/> is in another day than the one counted (event time only moves forward here).</summary>
    public void Roll(long ts)
    {
        long day = DayOf(ts);
        if (day != Day) this = new DayCounters { Day = day };
    }

    public readonly void WriteTo(BinaryWriter w)
    {
        w.Write(Day);
        w.Write(Placed);
        w.Write(Modified);
        w.Write(Cancelled);
        w.Write(Fills);
        w.Write(PlacedNotional);
        w.Write(CancelledNotional);
        w.Write(FilledNotional);
        w.Write(FastCancelsLarge);
        w.Write(Cycles);
        w.Write(Layerings);
        w.Write(OrderToTradeReported);
    }

    public static DayCounters ReadFrom(BinaryReader r) => new()
    {
        Day = r.ReadInt64(),
        Placed = r.ReadInt64(),
        Modified = r.ReadInt64(),
        Cancelled = r.ReadInt64(),
        Fills = r.ReadInt64(),
        PlacedNotional = r.ReadDouble(),
        CancelledNotional = r.ReadDouble(),
        FilledNotional = r.ReadDouble(),
        FastCancelsLarge = r.ReadInt64(),
        Cycles = r.ReadInt64(),
        Layerings = r.ReadInt64(),
        OrderToTradeReported = r.ReadBoolean(),
    };
}

/// <summary>What the key did on one symbol recently: fills, cancels and cycles, plus the day's counts.</summary>
internal sealed class SymbolActivity(string symbol)
{
    public string Symbol { get; } = symbol;
    public long LastTs { get; set; } = long.MinValue;
    public DayCounters Day;
    public long CyclesTotal { get; set; }

    public BoundedRing<FillRecord> Fills { get; } = new();
    /// <summary>Time of the newest fill dropped because the ring was full: fill sums reaching back that far are incomplete.</summary>
    public long FillsIncompleteThrough { get; set; } = long.MinValue;
    /// <summary>Opposite fills up to this time already belong to a cycle (per side of the fill).</summary>
    public long BuyFillsConsumedThrough { get; set; } = long.MinValue;
    public long SellFillsConsumedThrough { get; set; } = long.MinValue;

    public BoundedRing<CancelRecord> Cancels { get; } = new();
    public BoundedRing<CycleRecord> Cycles { get; } = new();

    public long FillsConsumedThrough(OrderSide side) => side == OrderSide.BUY ? BuyFillsConsumedThrough : SellFillsConsumedThrough;

    public void ConsumeFillsThrough(OrderSide side, long ts)
    {
        if (side == OrderSide.BUY) BuyFillsConsumedThrough = ts;
        else SellFillsConsumedThrough = ts;
    }

    public void AddFill(in FillRecord fill, int capacity)
    {
        if (Fills.Count >= capacity && Fills.Count > 0) FillsIncompleteThrough = Math.Max(FillsIncompleteThrough, Fills.Oldest.Ts);
        Fills.Push(fill, capacity);
    }

    /// <summary>Forgets what no pattern ending at <paramref name="now"/> or later can use.</summary>
    public void Prune(long now, SpoofingRule rule)
    {
        long fillHorizon = now - Math.Max(rule.CycleWindowMs, rule.OpenOrderHorizonMs);
        while (Fills.Count > 0 && Fills.Oldest.Ts < fillHorizon) Fills.PopOldest();
        long cancelHorizon = now - Math.Max(rule.CycleWindowMs, rule.LayeringCancelSpanMs);
        while (Cancels.Count > 0 && Cancels.Oldest.CancelledAt < cancelHorizon) Cancels.PopOldest();
        long cycleHorizon = now - rule.CycleRepetitionWindowMs;
        while (Cycles.Count > 0 && Cycles.Oldest.End < cycleHorizon) Cycles.PopOldest();
    }

    /// <summary>Cycles that ended within the repetition window before <paramref name="now"/> (inclusive bounds).</summary>
    public int CyclesInWindow(long now, long windowMs)
    {
        int n = 0;
        for (int i = Cycles.Count - 1; i >= 0; i--)
        {
            if (now - Cycles[i].End > windowMs) break;
            n++;
        }
        return n;
    }
}
