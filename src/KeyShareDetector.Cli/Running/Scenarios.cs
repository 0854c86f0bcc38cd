using KeyShareDetector.Contracts;
using KeyShareDetector.Simulator;

namespace KeyShareDetector.Cli.Running;

/// <summary>The named scenario sets the CLI offers.</summary>
internal static class Scenarios
{
    public static Scenario Build(string name, int seed) => name switch
    {
        "demo" => FromDemo(new DemoTraffic(seed, 200, 3, DemoTraffic.DefaultStart, 10 * 60_000)),
        "small" => FromDemo(new DemoTraffic(seed, 2_000, 40, DemoTraffic.DefaultStart, 30 * 60_000)),
        "default" => FromDemo(new DemoTraffic(seed, 20_000, 200, DemoTraffic.DefaultStart, 90 * 60_000)),
        _ => throw new ArgumentException($"--scenario must be default, small or demo (got '{name}')"),
    };

    /// <summary>The exchange backend stand-in, or null while the simulator has none.</summary>
    public static Func<EnforcementCommand, KeyLifecycleEvent?>? Backend() => null;

    private static Scenario FromDemo(DemoTraffic d) => new(d.Labels, d.Events.Select(SimRecord.Of).ToList());
}
