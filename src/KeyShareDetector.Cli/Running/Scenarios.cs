using KeyShareDetector.Contracts;
using KeyShareDetector.Simulator;

namespace KeyShareDetector.Cli.Running;

/// <summary>The named scenario sets the CLI offers, all from the traffic simulator, deterministic by seed.</summary>
internal static class Scenarios
{
    /// <summary>Every population in a mix small enough to watch live: about 700 keys over 30 minutes of event time.</summary>
    public static ScenarioOptions Demo { get; } = ScenarioOptions.Small with
    {
        Retail = 300,
        Travellers = 10,
        MultiServerBots = 15,
        PlatformUsers = 40,
        RotatingUsers = 10,
        Lent = 12,
        Leaked = 8,
        MassLeak = 24,
        Spoofers = 4,
        Layering = 4,
        CoordinatedSpoof = 4,
        DurationMs = 30 * 60_000,
    };

    public static Scenario Build(string name, int seed) => name switch
    {
        "default" => TrafficSimulator.Generate(ScenarioOptions.Default with { Seed = seed }),
        "small" => TrafficSimulator.Generate(ScenarioOptions.Small with { Seed = seed }),
        "demo" => TrafficSimulator.Generate(Demo with { Seed = seed }),
        "lent-only" => FromDemo(new DemoTraffic(seed, 200, 3, DemoTraffic.DefaultStart, 10 * 60_000)),
        _ => throw new ArgumentException($"--scenario must be default, small, demo or lent-only (got '{name}')"),
    };

    /// <summary>The exchange backend stand-in: owners re-authenticate, keys get rotated.</summary>
    public static Func<EnforcementCommand, KeyLifecycleEvent?> Backend() => new BackendStandIn().Respond;

    private static Scenario FromDemo(DemoTraffic d) => new(d.Labels, d.Events.Select(SimRecord.Of).ToList());
}
