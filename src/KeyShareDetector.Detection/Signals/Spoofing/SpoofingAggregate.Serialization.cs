using KeyShareDetector.Contracts;

namespace KeyShareDetector.Detection.Signals.Spoofing;

// State store encoding: hand-written binary behind a leading format byte. Dictionaries are written in ordinal key
// order so the same state always encodes to the same bytes (replays and changelogs compare equal).
public sealed partial class SpoofingAggregate
{
    /// <summary>Writes the whole aggregate, held records included, for a state store or changelog.</summary>
    public void WriteTo(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FormatV1);
        writer.Write(StreamTime);
        WriteRest(writer);
    }

    /// <summary>
    /// Everything <see cref="WriteTo"/> writes but the stream time, which the key state keeps beside it (format 9: an
    /// access record moves the stream time on without touching the rest, so the rest's bytes can be kept as they are).
    /// </summary>
    public void WriteBodyTo(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FormatV1);
        WriteRest(writer);
    }

    /// <summary>Event time of the oldest record held for re-ordering; null when none is held.</summary>
    public long? OldestHeldTs => _buffer.Count > 0 ? _buffer.Oldest.Ts : null;

    private void WriteRest(BinaryWriter w)
    {
        w.Write(ProcessedThrough);
        w.Write(LateRecords);
        w.Write(UntrackedOrders);
        w.Write(UntrackedSymbolEvents);
        w.Write(EarlyReleases);
        w.Write(CyclesTotal);
        w.Write(_oldestTrackedAt);
        w.Write(_lastSweepAt);
        w.Write(_openCapReportedDay);
        w.Write(_symbolCapReportedDay);
        w.Write(_bufferCapReportedDay);
        _day.WriteTo(w);

        w.Write(_sizes.Count);
        for (int i = 0; i < _sizes.Count; i++) w.Write(_sizes[i]);

        var ids = new string[_open.Count];
        _open.Keys.CopyTo(ids, 0);
        Array.Sort(ids, StringComparer.Ordinal);
        w.Write(ids.Length);
        foreach (var id in ids)
        {
            var o = _open[id];
            w.Write(id);
            w.Write(o.Symbol);
            w.Write((byte)o.Side);
            w.Write(o.Price);
            w.Write(o.Quantity);
            w.Write(o.Filled);
            w.Write(o.PlacedAt);
            w.Write(o.LargeSince);
            w.Write(o.LargeRatio);
            w.Write(o.MedianNotional);
            w.Write(o.NearTouch);
        }

        var names = new string[_symbols.Count];
        _symbols.Keys.CopyTo(names, 0);
        Array.Sort(names, StringComparer.Ordinal);
        w.Write(names.Length);
        foreach (var name in names) WriteSymbol(w, _symbols[name]);

        w.Write(_buffer.Count);
        for (int i = 0; i < _buffer.Count; i++) WriteEvent(w, _buffer[i]);
    }

    /// <summary>Reads an aggregate written by <see cref="WriteTo"/>.</summary>
    /// <exception cref="InvalidDataException">The data is not in a format this version reads.</exception>
    public static SpoofingAggregate ReadFrom(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        byte format = reader.ReadByte();
        if (format != FormatV1) throw new InvalidDataException($"unknown spoofing state format {format}");
        return ReadRest(reader, reader.ReadInt64());
    }

    /// <summary>Reads what <see cref="WriteBodyTo"/> wrote, with the stream time kept beside it.</summary>
    /// <exception cref="InvalidDataException">The data is not in a format this version reads.</exception>
    public static SpoofingAggregate ReadBodyFrom(BinaryReader reader, long streamTime)
    {
        ArgumentNullException.ThrowIfNull(reader);
        byte format = reader.ReadByte();
        if (format != FormatV1) throw new InvalidDataException($"unknown spoofing state format {format}");
        return ReadRest(reader, streamTime);
    }

    private static SpoofingAggregate ReadRest(BinaryReader r, long streamTime)
    {
        var a = new SpoofingAggregate
        {
            StreamTime = streamTime,
            ProcessedThrough = r.ReadInt64(),
            LateRecords = r.ReadInt64(),
            UntrackedOrders = r.ReadInt64(),
            UntrackedSymbolEvents = r.ReadInt64(),
            EarlyReleases = r.ReadInt64(),
            CyclesTotal = r.ReadInt64(),
        };
        a._oldestTrackedAt = r.ReadInt64();
        a._lastSweepAt = r.ReadInt64();
        a._openCapReportedDay = r.ReadInt64();
        a._symbolCapReportedDay = r.ReadInt64();
        a._bufferCapReportedDay = r.ReadInt64();
        a._day = DayCounters.ReadFrom(r);

        int sizes = ReadCount(r);
        for (int i = 0; i < sizes; i++) a._sizes.Push(r.ReadDouble(), int.MaxValue);

        int open = ReadCount(r);
        for (int i = 0; i < open; i++)
        {
            string id = r.ReadString();
            a._open[id] = new OpenOrder
            {
                Symbol = r.ReadString(),
                Side = (OrderSide)r.ReadByte(),
                Price = r.ReadDouble(),
                Quantity = r.ReadDouble(),
                Filled = r.ReadDouble(),
                PlacedAt = r.ReadInt64(),
                LargeSince = r.ReadInt64(),
                LargeRatio = r.ReadDouble(),
                MedianNotional = r.ReadDouble(),
                NearTouch = r.ReadBoolean(),
            };
        }

        int symbols = ReadCount(r);
        for (int i = 0; i < symbols; i++)
        {
            var s = ReadSymbol(r);
            a._symbols[s.Symbol] = s;
        }

        int buffered = ReadCount(r);
        for (int i = 0; i < buffered; i++) a._buffer.Insert(ReadEvent(r));
        return a;
    }

    private static void WriteSymbol(BinaryWriter w, SymbolActivity s)
    {
        w.Write(s.Symbol);
        w.Write(s.LastTs);
        s.Day.WriteTo(w);
        w.Write(s.CyclesTotal);
        w.Write(s.FillsIncompleteThrough);
        w.Write(s.BuyFillsConsumedThrough);
        w.Write(s.SellFillsConsumedThrough);

        w.Write(s.Fills.Count);
        for (int i = 0; i < s.Fills.Count; i++)
        {
            ref var f = ref s.Fills[i];
            w.Write(f.Ts);
            w.Write((byte)f.Side);
            w.Write(f.Notional);
            w.Write(f.OrderId);
        }

        w.Write(s.Cancels.Count);
        for (int i = 0; i < s.Cancels.Count; i++)
        {
            ref var c = ref s.Cancels[i];
            w.Write(c.OrderId);
            w.Write((byte)c.Side);
            w.Write(c.Price);
            w.Write(c.Notional);
            w.Write(c.PlacedAt);
            w.Write(c.CancelledAt);
            w.Write(c.LargeSince);
            w.Write(c.NearTouch);
            w.Write(c.UsedByCycle);
            w.Write(c.UsedByLayering);
        }

        w.Write(s.Cycles.Count);
        for (int i = 0; i < s.Cycles.Count; i++)
        {
            ref var c = ref s.Cycles[i];
            w.Write(c.Start);
            w.Write(c.End);
            w.Write((byte)c.LargeSide);
            w.Write(c.LargeNotional);
            w.Write(c.FilledNotional);
            w.Write(c.LargeOrders);
            w.Write(c.Fills);
            w.Write(c.LargeOrderId);
            w.Write(c.FillOrderId);
        }
    }

    private static SymbolActivity ReadSymbol(BinaryReader r)
    {
        var s = new SymbolActivity(r.ReadString())
        {
            LastTs = r.ReadInt64(),
            Day = DayCounters.ReadFrom(r),
            CyclesTotal = r.ReadInt64(),
            FillsIncompleteThrough = r.ReadInt64(),
            BuyFillsConsumedThrough = r.ReadInt64(),
            SellFillsConsumedThrough = r.ReadInt64(),
        };

        int fills = ReadCount(r);
        for (int i = 0; i < fills; i++)
        {
            s.Fills.Push(new FillRecord
            {
                Ts = r.ReadInt64(),
                Side = (OrderSide)r.ReadByte(),
                Notional = r.ReadDouble(),
                OrderId = r.ReadString(),
            }, int.MaxValue);
        }

        int cancels = ReadCount(r);
        for (int i = 0; i < cancels; i++)
        {
            s.Cancels.Push(new CancelRecord
            {
                OrderId = r.ReadString(),
                Side = (OrderSide)r.ReadByte(),
                Price = r.ReadDouble(),
                Notional = r.ReadDouble(),
                PlacedAt = r.ReadInt64(),
                CancelledAt = r.ReadInt64(),
                LargeSince = r.ReadInt64(),
                NearTouch = r.ReadBoolean(),
                UsedByCycle = r.ReadBoolean(),
                UsedByLayering = r.ReadBoolean(),
            }, int.MaxValue);
        }

        int cycles = ReadCount(r);
        for (int i = 0; i < cycles; i++)
        {
            s.Cycles.Push(new CycleRecord
            {
                Start = r.ReadInt64(),
                End = r.ReadInt64(),
                LargeSide = (OrderSide)r.ReadByte(),
                LargeNotional = r.ReadDouble(),
                FilledNotional = r.ReadDouble(),
                LargeOrders = r.ReadInt32(),
                Fills = r.ReadInt32(),
                LargeOrderId = r.ReadString(),
                FillOrderId = r.ReadString(),
            }, int.MaxValue);
        }
        return s;
    }

    private static void WriteEvent(BinaryWriter w, OrderEvent e)
    {
        w.Write(e.EventId);
        w.Write(e.Ts);
        w.Write(e.ApiKeyId);
        w.Write(e.AccountId);
        w.Write(e.OrderId);
        w.Write(e.Symbol);
        w.Write((byte)e.Side);
        w.Write((byte)e.EventType);
        w.Write(e.Price);
        w.Write(e.Quantity);
        w.Write(e.FilledQuantity);
        WriteOptional(w, e.BestBid);
        WriteOptional(w, e.BestAsk);
        WriteOptional(w, e.Ip);
        WriteOptional(w, e.SessionId);
    }

    private static OrderEvent ReadEvent(BinaryReader r) => new()
    {
        EventId = r.ReadString(),
        Ts = r.ReadInt64(),
        ApiKeyId = r.ReadString(),
        AccountId = r.ReadString(),
        OrderId = r.ReadString(),
        Symbol = r.ReadString(),
        Side = (OrderSide)r.ReadByte(),
        EventType = (OrderEventType)r.ReadByte(),
        Price = r.ReadDouble(),
        Quantity = r.ReadDouble(),
        FilledQuantity = r.ReadDouble(),
        BestBid = r.ReadBoolean() ? r.ReadDouble() : null,
        BestAsk = r.ReadBoolean() ? r.ReadDouble() : null,
        Ip = r.ReadBoolean() ? r.ReadString() : null,
        SessionId = r.ReadBoolean() ? r.ReadString() : null,
    };

    private static void WriteOptional(BinaryWriter w, double? v)
    {
        w.Write(v.HasValue);
        if (v is { } x) w.Write(x);
    }

    private static void WriteOptional(BinaryWriter w, string? v)
    {
        w.Write(v is not null);
        if (v is not null) w.Write(v);
    }

    private static int ReadCount(BinaryReader r)
    {
        int n = r.ReadInt32();
        if (n < 0) throw new InvalidDataException($"negative count {n} in spoofing state");
        return n;
    }
}
