namespace KeyShareDetector.Simulator.Generation;

/// <summary>One tradable symbol of the simulated KRW market.</summary>
internal sealed record Symbol(int Index, string Name, double BasePrice, double VolatilityPerSqrtSecond, int SpreadTicks, bool Liquid);

/// <summary>
/// The simulated order book top: a per-second random walk of each symbol's mid price (seeded per symbol), best
/// bid and ask on the exchange's KRW tick grid. Pure function of (seed, symbol, time) once built.
/// </summary>
internal sealed class Market
{
    public static readonly Symbol[] Symbols =
    [
        new(0, "KRW-BTC", 145_000_000, 1.0e-4, 1, true),
        new(1, "KRW-ETH", 5_200_000, 1.3e-4, 1, true),
        new(2, "KRW-XRP", 3_100, 1.6e-4, 1, true),
        new(3, "KRW-SOL", 290_000, 1.6e-4, 1, true),
        new(4, "KRW-DOGE", 480, 1.8e-4, 1, true),
        new(5, "KRW-ADA", 1_150, 1.8e-4, 1, true),
        new(6, "KRW-AVAX", 52_000, 1.8e-4, 2, true),
        new(7, "KRW-LINK", 27_000, 1.8e-4, 2, true),
        new(8, "KRW-SUI", 4_900, 2.0e-4, 2, true),
        new(9, "KRW-TRX", 330, 1.5e-4, 1, true),
        // Thin books: where pumps and spoofing pay.
        new(10, "KRW-MOCA", 132, 3.0e-4, 3, false),
        new(11, "KRW-ZETA", 418, 3.0e-4, 3, false),
        new(12, "KRW-ORBS", 38.5, 3.5e-4, 4, false),
        new(13, "KRW-BORA", 171, 3.0e-4, 3, false),
    ];

    public static readonly int[] LiquidSymbols = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    public static readonly int[] ThinSymbols = [10, 11, 12, 13];

    private readonly double[][] _mid;
    private readonly long _start;

    public Market(int seed, long start, long durationMs)
    {
        _start = start;
        int seconds = (int)(durationMs / 1000) + 2;
        _mid = new double[Symbols.Length][];
        for (int s = 0; s < Symbols.Length; s++)
        {
            var rng = Seeds.Rng(seed, SeedStream.Market, s);
            var path = new double[seconds];
            double logPrice = Math.Log(Symbols[s].BasePrice * rng.Uniform(0.97, 1.03));
            double sigma = Symbols[s].VolatilityPerSqrtSecond;
            for (int i = 0; i < seconds; i++)
            {
                path[i] = Math.Exp(logPrice);
                logPrice += rng.Normal(0, sigma);
            }
            _mid[s] = path;
        }
    }

    public double Mid(int symbol, long ts)
    {
        var path = _mid[symbol];
        long i = Math.Clamp((ts - _start) / 1000, 0, path.Length - 1);
        return path[i];
    }

    /// <summary>Best bid and ask at <paramref name="ts"/>, on the tick grid.</summary>
    public (double Bid, double Ask) Touch(int symbol, long ts)
    {
        double mid = Mid(symbol, ts);
        double tick = Tick(mid);
        double bid = Math.Floor(mid / tick) * tick;
        return (Round(bid), Round(bid + (Symbols[symbol].SpreadTicks * tick)));
    }

    /// <summary>The KRW market's price unit for a price level (Upbit-style table).</summary>
    public static double Tick(double price) => price switch
    {
        >= 2_000_000 => 1_000,
        >= 1_000_000 => 500,
        >= 500_000 => 100,
        >= 100_000 => 50,
        >= 10_000 => 10,
        >= 1_000 => 1,
        >= 100 => 0.1,
        >= 10 => 0.01,
        >= 1 => 0.001,
        _ => 0.0001,
    };

    /// <summary>Rounds away binary noise so prices print as the exchange would show them.</summary>
    public static double Round(double price) => Math.Round(price, 4);

    /// <summary>A quantity worth about <paramref name="notional"/> KRW at <paramref name="price"/>, to 8 decimals.</summary>
    public static double Quantity(double notional, double price) => Math.Max(1e-8, Math.Round(notional / price, 8));
}
