using KeyShareDetector.Simulator;

namespace KeyShareDetector.Benchmarks.EndToEnd;

/// <summary>
/// Sizes the simulator's calibration mix (every population in the proportions of <see cref="ScenarioOptions.Default"/>)
/// to at least the requested keys and events: populations scale with the keys, the event-time span with the events.
/// </summary>
internal static class BenchScenario
{
    private const long Minute = 60_000;

    /// <summary>Populations of <see cref="ScenarioOptions.Default"/> scaled to at least <paramref name="keys"/> keys.</summary>
    public static ScenarioOptions Populations(int keys, int seed)
    {
        var d = ScenarioOptions.Default;
        double f = (double)keys / d.TotalKeys;
        int S(int n) => n == 0 ? 0 : Math.Max(1, (int)Math.Round(n * f));
        var o = d with
        {
            Seed = seed,
            Retail = S(d.Retail),
            Travellers = S(d.Travellers),
            MarketMakers = S(d.MarketMakers),
            MultiServerBots = S(d.MultiServerBots),
            PlatformUsers = S(d.PlatformUsers),
            RotatingUsers = S(d.RotatingUsers),
            Lent = S(d.Lent),
            Leaked = S(d.Leaked),
            MassLeak = S(d.MassLeak),
            Spoofers = S(d.Spoofers),
            Layering = S(d.Layering),
            CoordinatedSpoof = S(d.CoordinatedSpoof),
        };
        // Rounding may leave a few keys short: retail makes them up.
        return o.TotalKeys >= keys ? o : o with { Retail = o.Retail + (keys - o.TotalKeys) };
    }

    /// <summary>
    /// Generates at least <paramref name="events"/> access and order events over at least <paramref name="keys"/> keys.
    /// A tenth of the keys tells the event rate per key, twice (events per key do not grow quite linearly with the
    /// span: sessions and abuse are placed within it); the span is set from it (at least the simulator's 10 minutes)
    /// and stretched again if the full generation still falls short.
    /// </summary>
    public static (Scenario Scenario, ScenarioOptions Options) Generate(int keys, int events, int seed, Action<string> log)
    {
        var full = Populations(keys, seed);
        var sample = Populations(Math.Max(100, keys / 10), seed);
        long duration = 60 * Minute;
        for (int i = 0; i < 2; i++)
        {
            int sampleEvents = TrafficSimulator.Generate(sample with { DurationMs = duration }).EventCount;
            double expected = (double)sampleEvents / sample.TotalKeys * full.TotalKeys;
            duration = Math.Max(10 * Minute, (long)(duration * events / expected * 1.02));
        }
        log($"sizing: {full.TotalKeys:N0} keys over {duration / (double)Minute:F1} min of event time");
        for (int attempt = 0; ; attempt++)
        {
            var options = full with { DurationMs = duration };
            var scenario = TrafficSimulator.Generate(options);
            int got = scenario.EventCount;
            if (got >= events || attempt == 4) return (scenario, options);
            duration = (long)(duration * ((double)events / got) * 1.02);
            log($"sizing: {got:N0} events, short of {events:N0}; {duration / (double)Minute:F1} min of event time");
        }
    }
}
