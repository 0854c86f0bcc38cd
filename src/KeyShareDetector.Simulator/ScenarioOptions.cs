namespace KeyShareDetector.Simulator;

/// <summary>
/// What <see cref="TrafficSimulator.Generate"/> simulates: the seed, the event-time span, how many keys of each
/// population, and a rate scale on every request and order cadence. Same options, same records.
/// </summary>
public sealed record ScenarioOptions
{
    /// <summary>2026-01-01T00:00:00Z.</summary>
    public const long DefaultStart = 1_767_225_600_000;

    public int Seed { get; init; } = 1;
    /// <summary>First event time, epoch ms; registry records carry it, every event is at or after it.</summary>
    public long Start { get; init; } = DefaultStart;
    /// <summary>Event-time span; every event is before <see cref="Start"/> + this.</summary>
    public long DurationMs { get; init; } = 4 * 3_600_000L;
    /// <summary>Multiplies every request and order rate (2 = twice as many requests per session, bot poll and requote).</summary>
    public double RateScale { get; init; } = 1.0;

    // Legitimate populations (keys).
    public int Retail { get; init; }
    public int Travellers { get; init; }
    public int MarketMakers { get; init; }
    public int MultiServerBots { get; init; }
    public int PlatformUsers { get; init; }
    /// <summary>Users who rotate their key once: each contributes two keys (old and new).</summary>
    public int RotatingUsers { get; init; }

    // Abusive populations (keys).
    public int Lent { get; init; }
    public int Leaked { get; init; }
    /// <summary>Keys leaked at once, split into incidents of about 120 keys (at least one).</summary>
    public int MassLeak { get; init; }
    public int Spoofers { get; init; }
    public int Layering { get; init; }
    /// <summary>Keys in coordinated spoofing groups of <see cref="CoordinatedGroupSize"/> accounts.</summary>
    public int CoordinatedSpoof { get; init; }
    public int CoordinatedGroupSize { get; init; } = 4;

    /// <summary>Most price levels a market maker quotes per side (1 = top of book only).</summary>
    /// <remarks>
    /// Two by default. A ladder of three or more levels replaced as a whole after a fill on the other side is exactly
    /// what the layering rule looks for (it does not check that the layers dwarf the fill or that the other side is
    /// quoted too); raise it to see the rule fire on market makers.
    /// </remarks>
    public int MarketMakerLevels { get; init; } = 2;

    /// <summary>The calibration set: about 20,500 keys (95% legitimate, 960 abusive) and 1.5 million access and order events over 4 hours.</summary>
    public static ScenarioOptions Default { get; } = new()
    {
        Retail = 17_000,
        Travellers = 150,
        MarketMakers = 12,
        MultiServerBots = 450,
        PlatformUsers = 1_500,
        RotatingUsers = 200,
        Lent = 300,
        Leaked = 200,
        MassLeak = 240,
        Spoofers = 80,
        Layering = 60,
        CoordinatedSpoof = 80,
    };

    /// <summary>About a tenth of <see cref="Default"/> (about 2,050 keys, 150,000 events) for tests.</summary>
    public static ScenarioOptions Small { get; } = new()
    {
        Retail = 1_700,
        Travellers = 20,
        MarketMakers = 1,
        MultiServerBots = 45,
        PlatformUsers = 150,
        RotatingUsers = 20,
        Lent = 30,
        Leaked = 20,
        MassLeak = 24,
        Spoofers = 8,
        Layering = 6,
        CoordinatedSpoof = 8,
    };

    /// <summary>Keys the options produce (rotating users count twice).</summary>
    public int TotalKeys =>
        Retail + Travellers + MarketMakers + MultiServerBots + PlatformUsers + (2 * RotatingUsers) +
        Lent + Leaked + MassLeak + Spoofers + Layering + CoordinatedSpoof;

    /// <summary>Every problem with the options, one line each, naming the setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        // Shorter runs work too, but travellers then land after the end and the ladder has no room for its later steps.
        if (DurationMs < 600_000) errors.Add("durationMs: must be at least 10 minutes");
        if (Start < 0) errors.Add("start: must be >= 0");
        if (!(RateScale > 0) || !double.IsFinite(RateScale)) errors.Add("rateScale: must be a finite number > 0");
        void Count(string name, int value)
        {
            if (value < 0) errors.Add(name + ": must be >= 0");
        }
        Count("retail", Retail);
        Count("travellers", Travellers);
        Count("marketMakers", MarketMakers);
        Count("multiServerBots", MultiServerBots);
        Count("platformUsers", PlatformUsers);
        Count("rotatingUsers", RotatingUsers);
        Count("lent", Lent);
        Count("leaked", Leaked);
        Count("massLeak", MassLeak);
        Count("spoofers", Spoofers);
        Count("layering", Layering);
        Count("coordinatedSpoof", CoordinatedSpoof);
        if (CoordinatedGroupSize < 2) errors.Add("coordinatedGroupSize: must be >= 2");
        if (MarketMakerLevels is < 1 or > 10) errors.Add("marketMakerLevels: must be within 1..10");
        return errors;
    }
}
