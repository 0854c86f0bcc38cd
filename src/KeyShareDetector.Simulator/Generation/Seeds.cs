using System.Globalization;

namespace KeyShareDetector.Simulator.Generation;

/// <summary>Independent random streams the scenario draws from; each key, group and symbol has its own.</summary>
internal enum SeedStream
{
    Key = 1,
    Group = 2,
    Market = 3,
    Id = 4,
    Account = 5,
    Household = 6,
}

/// <summary>
/// Deterministic seed derivation with SplitMix64 finalisers: a key's stream depends only on (seed, stream,
/// population, index), so adding keys of one population or generating in another order changes nothing else.
/// </summary>
internal static class Seeds
{
    public static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    public static ulong Combine(ulong a, ulong b) => Mix(Mix(a) ^ (b * 0xD6E8FEB86659FD93UL));

    public static ulong Of(int seed, SeedStream stream, long a, long b = 0) =>
        Combine(Combine(Combine((ulong)(uint)seed, (ulong)stream), (ulong)a), (ulong)b);

    /// <summary>A <see cref="Random"/> (the seeded, version-stable algorithm) for one stream.</summary>
    public static Random Rng(int seed, SeedStream stream, long a, long b = 0) => new((int)(Of(seed, stream, a, b) & 0x7FFF_FFFF));

    /// <summary>An opaque identifier: a prefix and 12 hex digits of the stream's hash.</summary>
    public static string Id(string prefix, int seed, SeedStream stream, long a, long b = 0) =>
        prefix + (Of(seed, stream, a, b) & 0xFFFF_FFFF_FFFFUL).ToString("x12", CultureInfo.InvariantCulture);
}

/// <summary>Distributions the generators need, on top of <see cref="Random"/>.</summary>
internal static class RandomExtensions
{
    /// <summary>Exponential with the given mean.</summary>
    public static double Exp(this Random r, double mean) => -mean * Math.Log(1 - r.NextDouble());

    public static double Normal(this Random r, double mean, double sd)
    {
        double u1 = 1 - r.NextDouble();
        double u2 = r.NextDouble();
        return mean + (sd * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>Log-normal with the given median and log-space standard deviation.</summary>
    public static double LogNormal(this Random r, double median, double sigma) => median * Math.Exp(r.Normal(0, sigma));

    public static bool Chance(this Random r, double p) => r.NextDouble() < p;

    public static double Uniform(this Random r, double lo, double hi) => lo + (r.NextDouble() * (hi - lo));

    public static long Between(this Random r, long lo, long hi) => hi <= lo ? lo : lo + (long)(r.NextDouble() * (hi - lo));

    public static T Pick<T>(this Random r, IReadOnlyList<T> items) => items[r.Next(items.Count)];

    /// <summary>Picks by weight (weights need not sum to 1).</summary>
    public static T Pick<T>(this Random r, IReadOnlyList<(T Item, double Weight)> items)
    {
        double total = 0;
        foreach (var (_, w) in items) total += w;
        double x = r.NextDouble() * total;
        foreach (var (item, w) in items)
        {
            if (x < w) return item;
            x -= w;
        }
        return items[^1].Item;
    }

    public static int Poisson(this Random r, double mean)
    {
        double l = Math.Exp(-mean);
        int k = 0;
        double p = 1;
        do
        {
            k++;
            p *= r.NextDouble();
        }
        while (p > l && k < 1000);
        return k - 1;
    }
}
