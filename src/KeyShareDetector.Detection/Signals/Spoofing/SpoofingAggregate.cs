using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using KeyShareDetector.Contracts;

namespace KeyShareDetector.Detection.Signals.Spoofing;

/// <summary>
/// One API key's order flow, per symbol, as the spoofing signals need it: placed/cancelled counts and notional,
/// the key's typical order size, recently placed orders, fills, cancels and completed cycles. Pure and
/// deterministic: event time only, bounded state, nothing allocated per event unless a finding fires.
/// </summary>
/// <remarks>
/// Records are re-ordered by event time within <see cref="SpoofingRule.GraceMs"/> and processed once the grace
/// period has passed over them (so out-of-order input gives the findings in-order input gives, one grace period
/// later in stream time); older records are late: counted, not used. <see cref="AdvanceTo"/> lets a punctuator
/// move stream time without a record, <see cref="Flush"/> ends a finite input.
/// </remarks>
public sealed partial class SpoofingAggregate
{
    private const byte FormatV1 = 1;

    private readonly Dictionary<string, OpenOrder> _open = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SymbolActivity> _symbols = new(StringComparer.Ordinal);
    private readonly BoundedRing<double> _sizes = new();
    private readonly OrderReorderBuffer _buffer = new();
    private DayCounters _day;
    /// <summary>Lower bound on the placement time of every tracked order (exact right after a sweep).</summary>
    private long _oldestTrackedAt = long.MaxValue;
    private long _lastSweepAt = long.MinValue;
    private long _openCapReportedDay = long.MinValue;
    private long _symbolCapReportedDay = long.MinValue;
    private long _bufferCapReportedDay = long.MinValue;

    /// <summary>Largest event time accepted for this key, epoch ms; long.MinValue before the first record.</summary>
    public long StreamTime { get; private set; } = long.MinValue;
    /// <summary>Event time of the last record processed (records are processed in event-time order).</summary>
    public long ProcessedThrough { get; private set; } = long.MinValue;
    /// <summary>Records older than the grace period allows (counted, not used).</summary>
    public long LateRecords { get; private set; }
    public long UntrackedOrders { get; private set; }
    public long UntrackedSymbolEvents { get; private set; }
    public long EarlyReleases { get; private set; }
    public long CyclesTotal { get; private set; }
    public int OpenOrdersTracked => _open.Count;
    public int SymbolsTracked => _symbols.Count;
    public int BufferedEvents => _buffer.Count;

    /// <summary>
    /// Takes one order event of this key; appends to <paramref name="findings"/> what the records it releases from
    /// the re-ordering buffer set off. Returns false when the record is late (counted in <see cref="LateRecords"/>).
    /// </summary>
    public bool OnOrder(OrderEvent e, SpoofingRule rule, List<SignalFinding> findings)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(findings);
        if (e.Ts < ProcessedThrough || (StreamTime != long.MinValue && e.Ts < StreamTime - rule.GraceMs))
        {
            LateRecords++;
            return false;
        }
        if (e.Ts > StreamTime) StreamTime = e.Ts;
        _buffer.Insert(e);
        Release(StreamTime - rule.GraceMs, rule, findings);
        while (_buffer.Count > rule.MaxBufferedEvents)
        {
            EarlyReleases++;
            var early = _buffer.PopOldest();
            Process(early, rule, findings);
            if (DayCounters.DayOf(early.Ts) != _bufferCapReportedDay)
            {
                _bufferCapReportedDay = DayCounters.DayOf(early.Ts);
                findings.Add(SpoofingEvidence.CapExceeded("records held for re-ordering", "maxBufferedEvents",
                    rule.MaxBufferedEvents, EarlyReleases, early.EventId, early.Ts, StreamTime));
            }
        }
        return true;
    }

    /// <summary>Moves stream time to <paramref name="streamTime"/> (e.g. from a punctuator) and processes what the grace period released.</summary>
    public void AdvanceTo(long streamTime, SpoofingRule rule, List<SignalFinding> findings)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(findings);
        if (streamTime > StreamTime) StreamTime = streamTime;
        if (StreamTime != long.MinValue) Release(StreamTime - rule.GraceMs, rule, findings);
    }

    /// <summary>Processes every held record (end of a finite input); records older than the last one are late from now on.</summary>
    public void Flush(SpoofingRule rule, List<SignalFinding> findings)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(findings);
        while (_buffer.Count > 0) Process(_buffer.PopOldest(), rule, findings);
    }

    /// <summary>The key's numbers now: today's counts (UTC day of the last processed event), ratios, cycles, caps.</summary>
    public SpoofingSnapshot Snapshot(SpoofingRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        double maxRatio = 0;
        string? maxSymbol = null;
        int cyclesInWindow = 0;
        foreach (var sym in _symbols.Values)
        {
            if (sym.Day.Day == _day.Day && sym.Day.Orders > 0)
            {
                double r = sym.Day.OrderToTradeRatio;
                if (r > maxRatio || (r == maxRatio && (maxSymbol is null || string.CompareOrdinal(sym.Symbol, maxSymbol) < 0)))
                {
                    maxRatio = r;
                    maxSymbol = sym.Symbol;
                }
            }
            if (ProcessedThrough != long.MinValue)
            {
                cyclesInWindow = Math.Max(cyclesInWindow, sym.CyclesInWindow(ProcessedThrough, rule.CycleRepetitionWindowMs));
            }
        }
        return new SpoofingSnapshot
        {
            Day = _day.Day,
            Placed = _day.Placed,
            Modified = _day.Modified,
            Cancelled = _day.Cancelled,
            Fills = _day.Fills,
            PlacedNotional = _day.PlacedNotional,
            CancelledNotional = _day.CancelledNotional,
            FilledNotional = _day.FilledNotional,
            CancelRatio = _day.Placed > 0 ? (double)_day.Cancelled / _day.Placed : 0,
            OrderToTradeRatio = _day.OrderToTradeRatio,
            MaxSymbolOrderToTradeRatio = maxRatio,
            MaxOrderToTradeSymbol = maxSymbol,
            CyclesInWindow = cyclesInWindow,
            CyclesToday = _day.Cycles,
            CyclesTotal = CyclesTotal,
            FastCancelsLargeToday = _day.FastCancelsLarge,
            LayeringsToday = _day.Layerings,
            LateRecords = LateRecords,
            UntrackedOrders = UntrackedOrders,
            UntrackedSymbolEvents = UntrackedSymbolEvents,
            EarlyReleases = EarlyReleases,
            CapExceeded = UntrackedOrders > 0 || UntrackedSymbolEvents > 0 || EarlyReleases > 0,
            OpenOrdersTracked = _open.Count,
            SymbolsTracked = _symbols.Count,
            BufferedEvents = _buffer.Count,
        };
    }

    private void Release(long watermark, SpoofingRule rule, List<SignalFinding> findings)
    {
        while (_buffer.Count > 0 && _buffer.Oldest.Ts <= watermark) Process(_buffer.PopOldest(), rule, findings);
    }

    private void Process(OrderEvent e, SpoofingRule rule, List<SignalFinding> findings)
    {
        long now = e.Ts;
        ProcessedThrough = now;
        _day.Roll(now);
        if (_lastSweepAt == long.MinValue || now - _lastSweepAt >= rule.OpenOrderHorizonMs) Sweep(now, rule);

        var sym = SymbolFor(e, rule, findings);
        if (sym is not null)
        {
            sym.Day.Roll(now);
            sym.LastTs = now;
            sym.Prune(now, rule);
        }
        else
        {
            UntrackedSymbolEvents++;
        }

        switch (e.EventType)
        {
            case OrderEventType.PLACE:
                if (!OnPlace(e, sym, rule, findings)) return;
                break;
            case OrderEventType.MODIFY:
                OnModify(e, sym, rule);
                break;
            case OrderEventType.CANCEL:
                OnCancel(e, sym, rule, findings);
                break;
            case OrderEventType.FILL:
                OnFill(e, sym, rule);
                return;
            default:
                return;
        }
        if (sym is not null) CheckOrderToTrade(sym, rule, now, findings);
    }

    /// <summary>Returns false for a duplicate placement (an order id already tracked), which is ignored.</summary>
    private bool OnPlace(OrderEvent e, SymbolActivity? sym, SpoofingRule rule, List<SignalFinding> findings)
    {
        if (sym is not null && !Unsafe.IsNullRef(ref TrackedOrder(e, rule))) return false;
        long now = e.Ts;
        double price = EffectivePrice(e);
        double quantity = NonNegative(e.Quantity);
        double notional = price * quantity;
        _day.Placed++;
        _day.PlacedNotional += notional;
        if (sym is not null)
        {
            sym.Day.Placed++;
            sym.Day.PlacedNotional += notional;
        }

        // Judged against the history before this order, so a large order does not dilute its own threshold.
        double median = MedianNotional(rule);
        bool large = IsLarge(notional, median, rule);
        if (notional > 0) _sizes.Push(notional, rule.SizeHistoryLength);
        if (sym is null) return true;

        var order = new OpenOrder
        {
            Symbol = e.Symbol,
            Side = e.Side,
            Price = price,
            Quantity = quantity,
            Filled = Math.Min(quantity, NonNegative(e.FilledQuantity)),
            PlacedAt = now,
            LargeSince = large ? now : OpenOrder.NotLarge,
            LargeRatio = large ? notional / (rule.LargeOrderMultiple * median) : 0,
            MedianNotional = median,
            NearTouch = IsNearTouch(e, price, rule),
        };

        if (_open.Count >= rule.MaxOpenOrders)
        {
            // Something may have aged out since the last sweep: make room before calling the cap full.
            if (_oldestTrackedAt != long.MaxValue && now - _oldestTrackedAt > rule.OpenOrderHorizonMs) Sweep(now, rule);
            if (_open.Count >= rule.MaxOpenOrders)
            {
                UntrackedOrders++;
                long day = DayCounters.DayOf(now);
                if (day != _openCapReportedDay)
                {
                    _openCapReportedDay = day;
                    findings.Add(SpoofingEvidence.CapExceeded("open orders tracked for the key", "maxOpenOrders",
                        rule.MaxOpenOrders, UntrackedOrders, e.OrderId, Math.Min(now, _oldestTrackedAt), now));
                }
                return true;
            }
        }
        _open[e.OrderId] = order;
        if (now < _oldestTrackedAt) _oldestTrackedAt = now;
        return true;
    }

    private void OnModify(OrderEvent e, SymbolActivity? sym, SpoofingRule rule)
    {
        long now = e.Ts;
        _day.Modified++;
        if (sym is not null) sym.Day.Modified++;
        ref var o = ref TrackedOrder(e, rule);
        if (Unsafe.IsNullRef(ref o)) return;

        // A modification is a new instruction: the order's age and size are judged afresh from now.
        o.Price = EffectivePrice(e);
        o.Quantity = NonNegative(e.Quantity);
        o.Filled = Math.Max(o.Filled, Math.Min(o.Quantity, NonNegative(e.FilledQuantity)));
        o.PlacedAt = now;
        double median = MedianNotional(rule);
        double notional = o.Price * o.Quantity;
        if (IsLarge(notional, median, rule))
        {
            if (!o.IsLarge) o.LargeSince = now;
            o.LargeRatio = notional / (rule.LargeOrderMultiple * median);
            o.MedianNotional = median;
        }
        else
        {
            o.LargeSince = OpenOrder.NotLarge;
            o.LargeRatio = 0;
        }
        o.NearTouch = IsNearTouch(e, o.Price, rule);
    }

    private void OnCancel(OrderEvent e, SymbolActivity? sym, SpoofingRule rule, List<SignalFinding> findings)
    {
        long now = e.Ts;
        ref var tracked = ref TrackedOrder(e, rule);
        bool isTracked = !Unsafe.IsNullRef(ref tracked);
        var o = isTracked ? tracked : default;
        if (isTracked) _open.Remove(e.OrderId);

        double price = isTracked ? o.Price : EffectivePrice(e);
        double remaining = isTracked
            ? Math.Max(0, o.Quantity - o.Filled)
            : Math.Max(0, NonNegative(e.Quantity) - NonNegative(e.FilledQuantity));
        double notional = price * remaining;
        _day.Cancelled++;
        _day.CancelledNotional += notional;
        if (sym is not null)
        {
            sym.Day.Cancelled++;
            sym.Day.CancelledNotional += notional;
        }
        if (!isTracked || sym is null) return;

        sym.Cancels.Push(new CancelRecord
        {
            OrderId = e.OrderId,
            Side = o.Side,
            Price = price,
            Notional = notional,
            PlacedAt = o.PlacedAt,
            CancelledAt = now,
            LargeSince = o.LargeSince,
            NearTouch = o.NearTouch,
        }, rule.MaxRecentCancelsPerSymbol);

        if (o.IsLarge)
        {
            long shown = now - o.LargeSince;
            if (shown <= rule.FastCancelMs)
            {
                _day.FastCancelsLarge++;
                sym.Day.FastCancelsLarge++;
                findings.Add(SpoofingEvidence.FastCancel(sym.Symbol, e.OrderId, o, notional, rule, now));
            }
            if (o.NearTouch && shown <= rule.CycleWindowMs && SpoofCycleDetector.OnLargeCancel(sym, rule, now, findings))
            {
                _day.Cycles++;
                CyclesTotal++;
            }
        }
        if (LayeringDetector.OnCancel(sym, rule, now, findings)) _day.Layerings++;
    }

    private void OnFill(OrderEvent e, SymbolActivity? sym, SpoofingRule rule)
    {
        double price = EffectivePrice(e);
        double cumulative = NonNegative(e.FilledQuantity);
        ref var o = ref TrackedOrder(e, rule);
        double quantity;
        if (!Unsafe.IsNullRef(ref o))
        {
            quantity = Math.Max(0, cumulative - o.Filled);
            o.Filled = Math.Max(o.Filled, cumulative);
            if (o.Filled >= o.Quantity) _open.Remove(e.OrderId);
        }
        else
        {
            // Unknown order: its earlier fills are unknown, so the cumulative quantity is an upper bound. Erring
            // high on the filled side only makes the cycle's large-to-filled ratio harder to meet.
            quantity = cumulative;
        }
        double notional = price * quantity;
        _day.Fills++;
        _day.FilledNotional += notional;
        if (sym is null) return;
        sym.Day.Fills++;
        sym.Day.FilledNotional += notional;
        sym.AddFill(new FillRecord { Ts = e.Ts, Side = e.Side, Notional = notional, OrderId = e.OrderId }, rule.MaxFillsPerSymbol);
    }

    private static void CheckOrderToTrade(SymbolActivity sym, SpoofingRule rule, long now, List<SignalFinding> findings)
    {
        ref var d = ref sym.Day;
        if (d.OrderToTradeReported || d.Orders < rule.OrderToTradeMinOrders) return;
        if (d.OrderToTradeRatio < rule.OrderToTradeMaxRatio) return;
        d.OrderToTradeReported = true;
        findings.Add(SpoofingEvidence.OrderToTrade(sym.Symbol, d, rule, now));
    }

    /// <summary>The tracked order an event refers to, or a null ref; an order past the horizon counts as untracked.</summary>
    private ref OpenOrder TrackedOrder(OrderEvent e, SpoofingRule rule)
    {
        ref var o = ref CollectionsMarshal.GetValueRefOrNullRef(_open, e.OrderId);
        if (Unsafe.IsNullRef(ref o)) return ref o;
        // Aged out (the sweep has not run yet) or reused on another symbol: not the order this event is about.
        if (e.Ts - o.PlacedAt > rule.OpenOrderHorizonMs || !string.Equals(o.Symbol, e.Symbol, StringComparison.Ordinal))
        {
            _open.Remove(e.OrderId);
            return ref Unsafe.NullRef<OpenOrder>();
        }
        return ref o;
    }

    private SymbolActivity? SymbolFor(OrderEvent e, SpoofingRule rule, List<SignalFinding> findings)
    {
        if (_symbols.TryGetValue(e.Symbol, out var sym)) return sym;
        long now = e.Ts;
        if (_symbols.Count >= rule.MaxSymbols && !EvictIdleSymbol(now, rule))
        {
            long day = DayCounters.DayOf(now);
            if (day != _symbolCapReportedDay)
            {
                _symbolCapReportedDay = day;
                findings.Add(SpoofingEvidence.CapExceeded("symbols tracked for the key", "maxSymbols",
                    rule.MaxSymbols, UntrackedSymbolEvents + 1, e.Symbol, now, now));
            }
            return null;
        }
        sym = new SymbolActivity(e.Symbol);
        _symbols.Add(e.Symbol, sym);
        return sym;
    }

    /// <summary>Frees the least recently active symbol idle for longer than the repetition window (ties: ordinal name).</summary>
    private bool EvictIdleSymbol(long now, SpoofingRule rule)
    {
        SymbolActivity? victim = null;
        foreach (var s in _symbols.Values)
        {
            if (now - s.LastTs <= rule.CycleRepetitionWindowMs) continue;
            if (victim is null || s.LastTs < victim.LastTs
                || (s.LastTs == victim.LastTs && string.CompareOrdinal(s.Symbol, victim.Symbol) < 0))
            {
                victim = s;
            }
        }
        if (victim is null) return false;
        _symbols.Remove(victim.Symbol);
        return true;
    }

    /// <summary>Forgets open orders past the horizon and symbols idle since an earlier day; runs once per horizon of event time.</summary>
    private void Sweep(long now, SpoofingRule rule)
    {
        long oldest = long.MaxValue;
        // Removing while enumerating is allowed for Dictionary (since .NET Core 3.0) and allocates nothing.
        foreach (var (id, o) in _open)
        {
            if (now - o.PlacedAt > rule.OpenOrderHorizonMs) _open.Remove(id);
            else if (o.PlacedAt < oldest) oldest = o.PlacedAt;
        }
        _oldestTrackedAt = oldest;
        long today = DayCounters.DayOf(now);
        foreach (var (name, s) in _symbols)
        {
            if (s.Day.Day != today && now - s.LastTs > rule.CycleRepetitionWindowMs) _symbols.Remove(name);
        }
        _lastSweepAt = now;
    }

    /// <summary>Median notional of the key's recent placements, NaN until the history is long enough.</summary>
    private double MedianNotional(SpoofingRule rule)
    {
        int n = Math.Min(_sizes.Count, SpoofingRule.MaxSizeHistoryLength);
        if (n == 0 || n < rule.MinSizeHistory) return double.NaN;
        Span<double> sorted = stackalloc double[n];
        for (int i = 0; i < n; i++) sorted[i] = _sizes[_sizes.Count - n + i];
        sorted.Sort();
        return (n & 1) == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }

    private static bool IsLarge(double notional, double median, SpoofingRule rule) =>
        notional > 0 && median > 0 && notional >= rule.LargeOrderMultiple * median;

    /// <summary>A buy within the distance below the best bid (or above it), a sell within it above the best ask; near when the book is unknown.</summary>
    private static bool IsNearTouch(OrderEvent e, double price, SpoofingRule rule)
    {
        if (e.Side == OrderSide.BUY)
        {
            return e.BestBid is not { } bid || !(bid > 0) || !double.IsFinite(bid) || price >= bid * (1 - rule.MaxTouchDistance);
        }
        return e.BestAsk is not { } ask || !(ask > 0) || !double.IsFinite(ask) || price <= ask * (1 + rule.MaxTouchDistance);
    }

    /// <summary>The limit (or fill) price; for a price-less (market) order the touch it would take, else 0.</summary>
    private static double EffectivePrice(OrderEvent e)
    {
        if (double.IsFinite(e.Price) && e.Price > 0) return e.Price;
        double? touch = e.Side == OrderSide.BUY ? e.BestAsk : e.BestBid;
        return touch is { } t && double.IsFinite(t) && t > 0 ? t : 0;
    }

    private static double NonNegative(double v) => double.IsFinite(v) && v > 0 ? v : 0;
}
