using System.Globalization;
using System.Text;
using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Signals;
using KeyShareDetector.Detection.Signals.Spoofing;

namespace KeyShareDetector.Detection.Tests.Signals.Spoofing;

/// <summary>Order events and scenarios for the spoofing tests. Prices around 100, the key's typical order 1 unit.</summary>
internal static class SpoofingTestKit
{
    /// <summary>2026-01-01T00:00:00Z.</summary>
    public const long T0 = 1_767_225_600_000;
    public const string Key = "k1";
    public const string Btc = "BTC-KRW";
    public const string Eth = "ETH-KRW";
    public const double Bid = 100.0;
    public const double Ask = 100.1;

    public static OrderEvent Place(string id, long ts, OrderSide side, double price, double qty, string symbol = Btc) =>
        Event(id, ts, side, OrderEventType.PLACE, price, qty, 0, symbol);

    public static OrderEvent Cancel(string id, long ts, OrderSide side, double price, double qty, string symbol = Btc) =>
        Event(id, ts, side, OrderEventType.CANCEL, price, qty, 0, symbol);

    /// <summary>A fill of <paramref name="id"/>; <paramref name="filledSoFar"/> is cumulative, as in the schema.</summary>
    public static OrderEvent Fill(string id, long ts, OrderSide side, double price, double qty, double filledSoFar, string symbol = Btc) =>
        Event(id, ts, side, OrderEventType.FILL, price, qty, filledSoFar, symbol);

    public static OrderEvent Modify(string id, long ts, OrderSide side, double price, double qty, string symbol = Btc) =>
        Event(id, ts, side, OrderEventType.MODIFY, price, qty, 0, symbol);

    private static OrderEvent Event(string id, long ts, OrderSide side, OrderEventType type, double price, double qty, double filled, string symbol) => new()
    {
        EventId = string.Create(CultureInfo.InvariantCulture, $"{id}-{type}-{ts}"),
        Ts = ts,
        ApiKeyId = Key,
        AccountId = "acct-" + Key,
        OrderId = id,
        Symbol = symbol,
        Side = side,
        EventType = type,
        Price = price,
        Quantity = qty,
        FilledQuantity = filled,
        BestBid = Bid,
        BestAsk = Ask,
    };

    /// <summary>Twenty ordinary one-unit orders, one a second, each cancelled after half a second: the key's typical size.</summary>
    public static IEnumerable<OrderEvent> TypicalHistory(long start, string symbol = Btc, string prefix = "h")
    {
        for (int i = 0; i < 20; i++)
        {
            string id = string.Create(CultureInfo.InvariantCulture, $"{prefix}{i}-{symbol}");
            yield return Place(id, start + (i * 1_000), OrderSide.BUY, 99.5, 1, symbol);
            yield return Cancel(id, start + (i * 1_000) + 500, OrderSide.BUY, 99.5, 1, symbol);
        }
    }

    /// <summary>
    /// One spoofing cycle starting at <paramref name="t"/>: a large buy (10 units, 10x typical) at the touch, a
    /// small sell of the same key filled, then the large buy cancelled.
    /// </summary>
    public static IEnumerable<OrderEvent> Cycle(string tag, long t, long fillAt = 400, long cancelAt = 600,
        string largeSymbol = Btc, string fillSymbol = Btc, double largeQty = 10)
    {
        yield return Place("L" + tag, t, OrderSide.BUY, Bid, largeQty, largeSymbol);
        yield return Place("S" + tag, t + Math.Min(300, fillAt), OrderSide.SELL, Ask, 1, fillSymbol);
        yield return Fill("S" + tag, t + fillAt, OrderSide.SELL, Ask, 1, 1, fillSymbol);
        yield return Cancel("L" + tag, t + cancelAt, OrderSide.BUY, Bid, largeQty, largeSymbol);
    }

    /// <summary>Feeds every event, then flushes what the grace period still holds.</summary>
    public static List<SignalFinding> Run(SpoofingAggregate agg, IEnumerable<OrderEvent> events, SpoofingRule? rule = null)
    {
        rule ??= SpoofingRule.Default;
        var findings = new List<SignalFinding>();
        foreach (var e in events) agg.OnOrder(e, rule, findings);
        agg.Flush(rule, findings);
        return findings;
    }

    public static List<SignalFinding> Run(IEnumerable<OrderEvent> events, SpoofingRule? rule = null) => Run(new SpoofingAggregate(), events, rule);

    public static IEnumerable<SignalFinding> OfCode(this IEnumerable<SignalFinding> findings, string code) =>
        findings.Where(f => f.Code == code);

    public static double Metric(this SignalFinding f, string name) => f.Reason.Metrics.Single(m => m.Name == name).Value;

    /// <summary>Everything a finding says, as one string: two findings are the same when these are equal.</summary>
    public static string Canonical(SignalFinding f)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{f.Code}|{f.Strength:R}|{f.WindowStart}|{f.WindowEnd}|{f.Hard}|{f.Reason.Code}|{f.Reason.Summary}|");
        foreach (var m in f.Reason.Metrics) sb.Append(CultureInfo.InvariantCulture, $"{m.Name}={m.Value:R};");
        sb.Append('|').AppendJoin(',', f.Reason.Subjects);
        return sb.ToString();
    }

    public static List<string> Canonical(IEnumerable<SignalFinding> findings) => findings.Select(Canonical).ToList();

    public static byte[] Encode(SpoofingAggregate agg)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true)) agg.WriteTo(w);
        return ms.ToArray();
    }

    public static SpoofingAggregate Decode(byte[] bytes)
    {
        using var ms = new MemoryStream(bytes, writable: false);
        using var r = new BinaryReader(ms, Encoding.UTF8);
        return SpoofingAggregate.ReadFrom(r);
    }
}
