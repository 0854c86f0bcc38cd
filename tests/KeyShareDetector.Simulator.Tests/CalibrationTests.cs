using KeyShareDetector.Contracts;
using KeyShareDetector.Simulator;

namespace KeyShareDetector.Simulator.Tests;

/// <summary>
/// The parts of the issue-5 calibration target that the default policy meets on the small scenario, run through
/// <see cref="OfflineEvaluator"/>: a default that breaks one of them shows here first.
/// </summary>
public class CalibrationTests
{
    private static readonly Lazy<(Scenario Scenario, List<EnforcementCommand> Commands)> Run =
        new(() => (Scenarios.Small, OfflineEvaluator.Run(Scenarios.Small)));

    private static HashSet<string> Actioned(string population)
    {
        var (scenario, commands) = Run.Value;
        var keys = scenario.Labels.Where(l => l.Population == population).Select(l => l.ApiKeyId).ToHashSet(StringComparer.Ordinal);
        return commands.Where(c => keys.Contains(c.ApiKeyId)).Select(c => c.ApiKeyId).ToHashSet(StringComparer.Ordinal);
    }

    [Theory]
    [InlineData(Populations.MarketMaker)]
    [InlineData(Populations.PlatformUser)]
    [InlineData(Populations.MultiServerBot)]
    [InlineData(Populations.RotatingUser)]
    public void Registered_look_alikes_draw_no_command(string population)
    {
        Assert.Empty(Actioned(population));
    }

    [Theory]
    [InlineData(Populations.Spoofer)]
    [InlineData(Populations.Layering)]
    [InlineData(Populations.CoordinatedSpoof)]
    [InlineData(Populations.MassLeak)]
    public void Every_key_of_an_order_flow_or_mass_abuse_population_is_actioned(string population)
    {
        int keys = Run.Value.Scenario.Labels.Count(l => l.Population == population);
        Assert.Equal(keys, Actioned(population).Count);
    }

    [Fact]
    public void Nearly_every_lent_key_is_actioned()
    {
        int keys = Run.Value.Scenario.Labels.Count(l => l.Population == Populations.Lent);
        Assert.True(Actioned(Populations.Lent).Count >= 0.9 * keys, $"{Actioned(Populations.Lent).Count} of {keys} lent keys");
    }
}
