namespace KeyShareDetector.Simulator.Generation;

/// <summary>What every generator shares: the options, the scenario's time span and the market. Read-only.</summary>
internal sealed class SimContext
{
    public SimContext(ScenarioOptions options)
    {
        Options = options;
        Seed = options.Seed;
        Start = options.Start;
        Duration = options.DurationMs;
        End = options.Start + options.DurationMs;
        Rate = options.RateScale;
        Market = new Market(options.Seed, options.Start, options.DurationMs);
    }

    public ScenarioOptions Options { get; }
    public int Seed { get; }
    public long Start { get; }
    public long End { get; }
    public long Duration { get; }
    /// <summary>Rate scale: request gaps are divided by it.</summary>
    public double Rate { get; }
    public Market Market { get; }

    /// <summary>Event time at a fraction of the scenario.</summary>
    public long At(double fraction) => Start + (long)(Duration * fraction);

    /// <summary>A mean gap between requests, scaled by the rate.</summary>
    public double Gap(double meanMs) => meanMs / Rate;

    public static int Ordinal(string population)
    {
        int i = 0;
        foreach (var p in Populations.All)
        {
            if (p == population) return i;
            i++;
        }
        throw new ArgumentException("unknown population " + population, nameof(population));
    }

    /// <summary>
    /// The stream of the <paramref name="index"/>-th key of a population (<paramref name="variant"/> tells apart
    /// several keys of one plan, e.g. a rotated key's successor): opaque key and account ids, an own random stream.
    /// </summary>
    public KeyStream NewKey(string population, int index, int variant = 0, string? account = null)
    {
        int p = Ordinal(population);
        long id = ((long)p << 40) | ((long)index << 4) | (uint)variant;
        string key = Seeds.Id("ak-", Seed, SeedStream.Id, id);
        account ??= AccountOf(population, index);
        return new KeyStream(this, key, account, Seeds.Rng(Seed, SeedStream.Key, id));
    }

    public string AccountOf(string population, int index) =>
        Seeds.Id("ac-", Seed, SeedStream.Account, ((long)Ordinal(population) << 40) | (long)index);

    /// <summary>A random stream for a group (household, platform, incident, spoofing ring) of a population.</summary>
    public Random GroupRng(string population, long group, long salt = 0) =>
        Seeds.Rng(Seed, SeedStream.Group, ((long)Ordinal(population) << 40) | group, salt);
}

/// <summary>One generated key: its ground-truth label and its records.</summary>
internal sealed record GeneratedKey(KeyLabel Label, KeyStream Stream);
