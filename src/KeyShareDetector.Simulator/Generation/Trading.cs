using KeyShareDetector.Contracts;

namespace KeyShareDetector.Simulator.Generation;

/// <summary>How a key trades: which symbols, how big, how aggressively, and what becomes of its orders.</summary>
internal sealed record TradeStyle(
    int[] Symbols,
    double MedianNotional,
    double SizeSigma,
    double MarketShare,
    double FillShare,
    double CancelShare,
    double FillMeanMs,
    double RestMeanMs)
{
    /// <summary>A retail trader: a few symbols, a few hundred thousand KRW, limits near the touch.</summary>
    public static TradeStyle Retail(Random rng) => new(
        PickSymbols(rng, rng.Next(1, 4), thinShare: 0.15),
        rng.LogNormal(300_000, 0.9), 0.6, 0.25, 0.55, 0.35, 25_000, 90_000);

    /// <summary>A bot: more orders, steadier sizes, more cancels.</summary>
    public static TradeStyle Bot(Random rng) => new(
        PickSymbols(rng, rng.Next(1, 4), thinShare: 0.05),
        rng.LogNormal(1_200_000, 0.7), 0.35, 0.05, 0.45, 0.5, 30_000, 60_000);

    public static int[] PickSymbols(Random rng, int count, double thinShare)
    {
        var set = new SortedSet<int>();
        while (set.Count < count)
        {
            set.Add(rng.Chance(thinShare) ? rng.Pick(Market.ThinSymbols) : rng.Pick(Market.LiquidSymbols));
        }
        return [.. set];
    }
}

/// <summary>Orders and what happens to them, as order events plus the API calls that made them.</summary>
internal static class Trading
{
    /// <summary>
    /// Places one order in the key's style at <paramref name="ts"/> and plays its fate: a market order fills at
    /// once; a limit order fills, is cancelled (by the same device), or rests past the horizon.
    /// </summary>
    public static void Order(KeyStream ks, TradeStyle style, long ts, Device device, Place place, int? symbolOverride = null, OrderSide? sideOverride = null)
    {
        var rng = ks.Rng;
        int symbol = symbolOverride ?? rng.Pick(style.Symbols);
        var side = sideOverride ?? (rng.Chance(0.5) ? OrderSide.BUY : OrderSide.SELL);
        double notional = rng.LogNormal(style.MedianNotional, style.SizeSigma);
        var (bid, ask) = ks.Market.Touch(symbol, ts);
        double tick = Market.Tick(bid);
        bool market = rng.Chance(style.MarketShare);
        double price;
        if (market)
        {
            price = side == OrderSide.BUY ? ask : bid;
        }
        else
        {
            int away = rng.Pick(AwayTicks);
            price = Market.Round(side == OrderSide.BUY ? bid - (away * tick) : ask + (away * tick));
        }
        double quantity = Market.Quantity(notional, price);
        if (Place(ks, ts, device, place, symbol, side, price, quantity) is not { } id) return;
        long placedAt = ts + 2;
        if (market)
        {
            ks.Order(placedAt + rng.Next(2, 15), id, symbol, side, OrderEventType.FILL, price, quantity, quantity, place, device.Session);
            return;
        }
        double fate = rng.NextDouble();
        if (fate < style.FillShare)
        {
            long fillAt = placedAt + 50 + (long)rng.Exp(style.FillMeanMs);
            if (rng.Chance(0.25))
            {
                double part = Math.Round(quantity * rng.Uniform(0.2, 0.8), 8);
                ks.Order(fillAt, id, symbol, side, OrderEventType.FILL, price, quantity, part, place, device.Session);
                fillAt += 200 + (long)rng.Exp(style.FillMeanMs / 2);
            }
            ks.Order(fillAt, id, symbol, side, OrderEventType.FILL, price, quantity, quantity, place, device.Session);
        }
        else if (fate < style.FillShare + style.CancelShare)
        {
            long cancelAt = placedAt + 500 + (long)rng.Exp(style.RestMeanMs);
            Cancel(ks, cancelAt, device, place, id, symbol, side, price, quantity, 0);
        }
    }

    private static readonly int[] AwayTicks = [0, 0, 0, 0, 1, 1, 2, 3, 5, 10];

    /// <summary>POST /v1/orders, then the PLACE order event a couple of ms later; the order id, or null when the exchange refused the call.</summary>
    public static string? Place(KeyStream ks, long ts, Device device, Place place, int symbol, OrderSide side, double price, double quantity, bool withAccess = true)
    {
        if (withAccess && !ks.Access(ts, device, place, Call.PlaceOrder, 201)) return null;
        string id = ks.NewOrderId();
        ks.Order(ts + 2, id, symbol, side, OrderEventType.PLACE, price, quantity, 0, place, device.Session);
        return id;
    }

    /// <summary>DELETE /v1/order, then the CANCEL order event.</summary>
    public static void Cancel(KeyStream ks, long ts, Device device, Place place, string id, int symbol, OrderSide side, double price, double quantity, double filled, bool withAccess = true)
    {
        if (withAccess && !ks.Access(ts, device, place, Call.CancelOrder)) return;
        ks.Order(ts + 2, id, symbol, side, OrderEventType.CANCEL, price, quantity, filled, place, device.Session);
    }

    /// <summary>An order that fills at once against the book (a taker): PLACE then FILL; false when refused.</summary>
    public static bool Take(KeyStream ks, long ts, Device device, Place place, int symbol, OrderSide side, double notional)
    {
        var (bid, ask) = ks.Market.Touch(symbol, ts);
        double price = side == OrderSide.BUY ? ask : bid;
        double quantity = Market.Quantity(notional, price);
        if (Place(ks, ts, device, place, symbol, side, price, quantity) is not { } id) return false;
        ks.Order(ts + 2 + ks.Rng.Next(3, 40), id, symbol, side, OrderEventType.FILL, price, quantity, quantity, place, device.Session);
        return true;
    }
}
