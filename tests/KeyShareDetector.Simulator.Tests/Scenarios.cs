using KeyShareDetector.Simulator;

namespace KeyShareDetector.Simulator.Tests;

/// <summary>Scenarios generated once per test run and shared (generation is the expensive part).</summary>
internal static class Scenarios
{
    private static readonly Lazy<Scenario> SmallScenario = new(() => TrafficSimulator.Generate(ScenarioOptions.Small));

    public static Scenario Small => SmallScenario.Value;

    public static ScenarioOptions SmallOptions => ScenarioOptions.Small;

    public static Dictionary<string, KeyLabel> Labels(Scenario s) => s.Labels.ToDictionary(l => l.ApiKeyId, StringComparer.Ordinal);
}
