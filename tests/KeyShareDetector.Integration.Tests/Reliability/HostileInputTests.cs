using System.Diagnostics;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Integration.Tests.Support;
using KeyShareDetector.Simulator;
using Xunit.Abstractions;

namespace KeyShareDetector.Integration.Tests.Reliability;

/// <summary>Issue 9 item 4: malformed records mixed into valid traffic neither stop detection nor change its decisions.</summary>
/// <remarks>Sized by <see cref="SoakScale"/>: `make soak` multiplies the hostile records and the simulated event-time span.</remarks>
[Collection(KafkaCollection.Name)]
[Trait(SoakScale.Trait, SoakScale.Category)]
public sealed class HostileInputTests(KafkaEnvironment kafka, ITestOutputHelper output)
{
    private const int Seed = 9;
    private static readonly int HostileRecords = SoakScale.Of(100_000);
    private static readonly TimeSpan Deadline = SoakScale.Of(TimeSpan.FromSeconds(240));

    /// <summary>
    /// The default policy without the stages whose outcome depends on timing rather than on the input: fleet findings
    /// and breaker downgrades come back to a key through internal topics, at no fixed point among its records.
    /// </summary>
    private static readonly DetectionPolicy Policy = DetectionPolicy.Default with
    {
        Version = "hostile-input",
        CrossAccount = DetectionPolicy.Default.CrossAccount with { MinAccountsPerIp = 0, MinAccountsPerPrefix = 0, MinAccountsPerFingerprint = 0 },
        MassCompromise = DetectionPolicy.Default.MassCompromise with { MinKeys = 0 },
        Breaker = DetectionPolicy.Default.Breaker with { MaxRevokes = 1_000_000 },
    };

    /// <summary>
    /// A detector on its own topics. Its consumer asks for data every few ms: librdkafka's mock broker holds an empty
    /// fetch for the whole fetch.wait.max.ms (500 ms) even when records arrive, and the run waits on the detector at
    /// every drain (see <see cref="TrafficRun"/>). The policy topic watcher is off: it would be handed the prefixed setting.
    /// </summary>
    private Task<DetectorRun> StartAsync() => DetectorRun.StartAsync(kafka, policy: Policy, geo: BuiltInGeoTable.Default,
        kafkaSettings: new Dictionary<string, string> { ["main.consumer.fetch.wait.max.ms"] = "5" }, watchPolicyTopic: false);

    /// <summary>Spoofing populations are judged on their orders; everybody else on their API access.</summary>
    private static readonly HashSet<string> OrderPopulations =
        [Populations.Spoofer, Populations.Layering, Populations.CoordinatedSpoof, Populations.MarketMaker];

    /// <summary>
    /// The small scenario with each key's events on one topic (orders for the spoofing populations and market makers,
    /// access for the others) plus every registration and lifecycle record. A key's records on two topics are applied
    /// in whatever order the stream task's fetches return (see <see cref="TrafficRun"/>); one event topic per key keeps
    /// the clean run's decisions reproducible without waiting on the detector tens of thousands of times.
    /// </summary>
    private static List<SimRecord> ValidTraffic()
    {
        var scenario = TrafficSimulator.Generate(ScenarioOptions.Small with { Seed = Seed, DurationMs = ScenarioOptions.Small.DurationMs * SoakScale.Factor });
        var population = scenario.Labels.ToDictionary(l => l.ApiKeyId, l => l.Population, StringComparer.Ordinal);
        return scenario.Records.Where(r => r.Topic switch
        {
            SimTopic.Access => !OrderPopulations.Contains(population[r.Key]),
            SimTopic.Orders => OrderPopulations.Contains(population[r.Key]),
            _ => true,
        }).ToList();
    }

    [Fact]
    public async Task Malformed_records_mixed_into_valid_traffic_all_reach_the_DLQ_with_a_reason_and_leave_the_commands_as_a_clean_run_gives()
    {
        var clock = Stopwatch.StartNew();
        var records = ValidTraffic();

        TrafficRunResult clean;
        await using (var run = await StartAsync())
        {
            clean = await TrafficRun.PlayAsync(kafka, run, records, mix: null, Deadline);
        }

        // Spread the hostile records evenly over the valid ones, each made from the valid record before it.
        var fuzz = new HostileInput(Seed);
        int validCount = records.Count;
        int seen = 0;
        IEnumerable<HostileRecord> Mix(SimRecord r)
        {
            long due = ((long)(seen + 1) * HostileRecords / validCount) - ((long)seen * HostileRecords / validCount);
            seen++;
            for (long i = 0; i < due; i++) yield return fuzz.Next(r);
        }
        TrafficRunResult fuzzed;
        await using (var run = await StartAsync())
        {
            fuzzed = await TrafficRun.PlayAsync(kafka, run, records, Mix, Deadline);
        }
        output.WriteLine($"clean: {clean.Valid:N0} valid records ({string.Join(", ", records.GroupBy(r => r.Topic).Select(g => $"{g.Count():N0} {g.Key}"))}), " +
                         $"{clean.Commands.Count} commands ({string.Join(", ", clean.Commands.GroupBy(c => c.Action).Select(g => $"{g.Count()} {g.Key}"))}), {clean.LateRecords} late, {clean.Drains} drains, in {clean.Elapsed.TotalSeconds:F1} s; " +
                         $"fuzzed: {fuzzed.Hostile.Count:N0} hostile records, {fuzzed.DeadLetters.Count:N0} dead letters, {fuzzed.Commands.Count} commands in {fuzzed.Elapsed.TotalSeconds:F1} s; " +
                         $"total {clock.Elapsed.TotalSeconds:F1} s");

        var cleanIds = clean.Commands.Select(c => c.CommandId).ToList();
        var fuzzedIds = fuzzed.Commands.Select(c => c.CommandId).ToList();
        var missing = cleanIds.Except(fuzzedIds, StringComparer.Ordinal).ToList();
        var extra = fuzzedIds.Except(cleanIds, StringComparer.Ordinal).ToList();
        output.WriteLine(SoakScale.Record(nameof(HostileInputTests), fuzzed.Valid + fuzzed.Hostile.Count, fuzzed.Hostile.Count, clock.Elapsed,
            missing.Count, fuzzedIds.Count - fuzzedIds.Distinct(StringComparer.Ordinal).Count()));

        // No stream thread died, before or after.
        Assert.False(fuzzed.EverFailed, "a stream thread died");
        Assert.True(fuzzed.RunningAtEnd, "the stream is not RUNNING after the hostile input");

        // Every hostile record reached the DLQ once, under its own coordinates, with an expected code, a reason and its bytes.
        Assert.Equal(HostileRecords, fuzzed.Hostile.Count);
        var letters = fuzzed.DeadLetters.ToLookup(d => d.Coordinates, StringComparer.Ordinal);
        Assert.All(letters, g => Assert.True(g.Count() == 1, $"{g.Key} dead-lettered {g.Count()} times"));
        var unexpected = letters.Where(g => !fuzzed.Hostile.ContainsKey(g.Key)).Select(g => $"{g.Key} {g.First().Letter.ErrorCode}: {g.First().Letter.Reason}").Take(5).ToList();
        Assert.True(unexpected.Count == 0, "valid records were dead-lettered: " + string.Join("; ", unexpected));
        var wrong = new List<string>();
        foreach (var (coordinates, h) in fuzzed.Hostile)
        {
            if (!letters.Contains(coordinates))
            {
                wrong.Add($"{h.Category} on {h.Topic} at {coordinates} never reached the DLQ");
                continue;
            }
            var d = letters[coordinates].First().Letter;
            if (!h.Codes.Contains(d.ErrorCode)) wrong.Add($"{h.Category} on {h.Topic} at {coordinates}: {d.ErrorCode} ({d.Reason}), expected one of {string.Join(", ", h.Codes)}");
            else if (string.IsNullOrWhiteSpace(d.Reason)) wrong.Add($"{h.Category} at {coordinates}: no reason");
            else if (!(d.OriginalValue ?? []).AsSpan().SequenceEqual(h.Value ?? [])) wrong.Add($"{h.Category} at {coordinates}: original bytes differ");
            else if (!coordinates.StartsWith(d.SourceTopic + "/", StringComparison.Ordinal)) wrong.Add($"{h.Category} at {coordinates}: source topic {d.SourceTopic}");
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} hostile records went wrong, e.g.: " + string.Join("\n", wrong.Take(10)));
        var produced = fuzzed.Hostile.Values.GroupBy(h => h.Category).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var dead = fuzzed.Hostile.Where(h => letters.Contains(h.Key)).GroupBy(h => h.Value.Category).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        foreach (var (category, n) in produced.OrderBy(p => p.Key, StringComparer.Ordinal)) output.WriteLine($"{category,-22} {n,6:N0} produced, {dead.GetValueOrDefault(category),6:N0} dead-lettered");
        Assert.Equal(produced, dead);
        Assert.True(produced.Count >= 20, $"only {produced.Count} categories were exercised");
        Assert.Equal(HostileRecords, fuzzed.MetricDeadLetters);
        // On-call hears of it: the dead-letter rate raised its warning for the busiest input topic.
        Assert.Contains(fuzzed.Alerts, a => a.Kind == "DLQ_RATE" && a.Summary.Contains(Contracts.Topics.Access, StringComparison.Ordinal));
        Assert.DoesNotContain(clean.Alerts, a => a.Kind == "DLQ_RATE");

        // Every valid record was applied to its key's state, late ones exactly as in the clean run.
        Assert.Equal(validCount, clean.Valid);
        Assert.Equal(validCount, clean.InputsApplied);
        Assert.Equal(validCount, fuzzed.InputsApplied);
        Assert.Equal(0, clean.MetricDeadLetters);
        Assert.Equal(clean.LateRecords, fuzzed.LateRecords);

        // The same commands, each once.
        Assert.NotEmpty(clean.Commands);
        Assert.Equal(cleanIds.Count, cleanIds.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(fuzzedIds.Count, fuzzedIds.Distinct(StringComparer.Ordinal).Count());
        Assert.True(missing.Count == 0 && extra.Count == 0, $"{missing.Count} commands missing, {extra.Count} extra of {cleanIds.Count}");
    }
}
