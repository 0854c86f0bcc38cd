using KeyShareDetector.Simulator.Generation;

namespace KeyShareDetector.Simulator;

/// <summary>
/// Generates a labelled <see cref="Scenario"/>: legitimate and abusive populations with their registry records,
/// access and order events and lifecycle feedback, on the networks of the built-in geo table. Deterministic: the
/// same options give the same records; each key draws from its own seeded stream, so keys are independent of
/// generation order and of the other populations' sizes.
/// </summary>
public static class TrafficSimulator
{
    public static Scenario Generate(ScenarioOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException("invalid scenario options: " + string.Join("; ", errors), nameof(options));
        var ctx = new SimContext(options);

        var plans = new List<(string Population, int Index)>(options.TotalKeys);
        void Add(string population, int count)
        {
            for (int i = 0; i < count; i++) plans.Add((population, i));
        }
        Add(Populations.Retail, options.Retail);
        Add(Populations.Traveller, options.Travellers);
        Add(Populations.MarketMaker, options.MarketMakers);
        Add(Populations.MultiServerBot, options.MultiServerBots);
        Add(Populations.PlatformUser, options.PlatformUsers);
        Add(Populations.RotatingUser, options.RotatingUsers);
        Add(Populations.Lent, options.Lent);
        Add(Populations.Leaked, options.Leaked);
        Add(Populations.MassLeak, options.MassLeak);
        Add(Populations.Spoofer, options.Spoofers);
        Add(Populations.Layering, options.Layering);
        Add(Populations.CoordinatedSpoof, options.CoordinatedSpoof);

        // Keys are independent: generate them in parallel, each into its own slot, and merge in plan order.
        var generated = new IReadOnlyList<GeneratedKey>[plans.Count];
        Parallel.For(0, plans.Count, i => generated[i] = Generate(ctx, plans[i].Population, plans[i].Index));

        var labels = new List<KeyLabel>(options.TotalKeys);
        var streams = new List<List<SimRecord>>(options.TotalKeys);
        foreach (var keys in generated)
        {
            foreach (var k in keys)
            {
                labels.Add(k.Label);
                streams.Add(k.Stream.Sorted());
            }
        }
        return new Scenario(labels, Merge(streams, options.Start));
    }

    private static IReadOnlyList<GeneratedKey> Generate(SimContext ctx, string population, int index) => population switch
    {
        Populations.Retail => [LegitimateTraffic.Retail(ctx, index)],
        Populations.Traveller => [LegitimateTraffic.Traveller(ctx, index)],
        Populations.MarketMaker => [LegitimateTraffic.MarketMaker(ctx, index)],
        Populations.MultiServerBot => [LegitimateTraffic.MultiServerBot(ctx, index)],
        Populations.PlatformUser => [LegitimateTraffic.PlatformUser(ctx, index)],
        Populations.RotatingUser => LegitimateTraffic.RotatingUser(ctx, index),
        Populations.Lent => [AbusiveTraffic.Lent(ctx, index)],
        Populations.Leaked => [AbusiveTraffic.Leaked(ctx, index)],
        Populations.MassLeak => [AbusiveTraffic.MassLeak(ctx, index)],
        Populations.Spoofer => [AbusiveTraffic.Spoofer(ctx, index)],
        Populations.Layering => [AbusiveTraffic.Layering(ctx, index)],
        Populations.CoordinatedSpoof => [AbusiveTraffic.CoordinatedSpoof(ctx, index)],
        _ => throw new ArgumentOutOfRangeException(nameof(population), population, "unknown population"),
    };

    /// <summary>
    /// Registry records of keys that exist at the start come first (in key order); then every record by event time,
    /// ties broken by key order and then by each key's own order.
    /// </summary>
    private static List<SimRecord> Merge(List<List<SimRecord>> streams, long start)
    {
        int total = 0;
        foreach (var s in streams) total += s.Count;
        var merged = new List<SimRecord>(total);
        var next = new int[streams.Count];
        for (int k = 0; k < streams.Count; k++)
        {
            var s = streams[k];
            while (next[k] < s.Count && s[next[k]] is { Topic: SimTopic.Registry } r && r.Ts == start) merged.Add(s[next[k]++]);
        }
        var queue = new PriorityQueue<int, (long Ts, int Key)>(streams.Count);
        for (int k = 0; k < streams.Count; k++)
        {
            if (next[k] < streams[k].Count) queue.Enqueue(k, (streams[k][next[k]].Ts, k));
        }
        while (queue.TryDequeue(out int k, out _))
        {
            var s = streams[k];
            merged.Add(s[next[k]++]);
            if (next[k] < s.Count) queue.Enqueue(k, (s[next[k]].Ts, k));
        }
        return merged;
    }
}
