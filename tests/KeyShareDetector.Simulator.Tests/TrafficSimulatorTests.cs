using System.Security.Cryptography;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Simulator;

namespace KeyShareDetector.Simulator.Tests;

public class TrafficSimulatorTests
{
    private static string Json(SimRecord r) => r.Topic + " " + System.Text.Encoding.UTF8.GetString(r.Topic switch
    {
        SimTopic.Access => ContractCodecs.Access.SerializeJson(r.Access!),
        SimTopic.Orders => ContractCodecs.Order.SerializeJson(r.Order!),
        SimTopic.Registry => ContractCodecs.Registry.SerializeJson(r.Registry!),
        _ => ContractCodecs.Lifecycle.SerializeJson(r.Lifecycle!),
    });

    private static string Digest(Scenario s)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var l in s.Labels)
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes($"{l.ApiKeyId}|{l.AccountId}|{l.Population}|{l.AbuseStartsAt}\n"));
        }
        foreach (var r in s.Records)
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes($"{r.Topic}|{r.Key}|{r.Ts}|"));
            sha.AppendData(r.Topic switch
            {
                SimTopic.Access => ContractCodecs.Access.SerializeJson(r.Access!),
                SimTopic.Orders => ContractCodecs.Order.SerializeJson(r.Order!),
                SimTopic.Registry => ContractCodecs.Registry.SerializeJson(r.Registry!),
                _ => ContractCodecs.Lifecycle.SerializeJson(r.Lifecycle!),
            });
        }
        return Convert.ToHexString(sha.GetHashAndReset());
    }

    [Fact]
    public void The_same_seed_gives_byte_identical_records()
    {
        var again = TrafficSimulator.Generate(ScenarioOptions.Small);
        Assert.Equal(Digest(Scenarios.Small), Digest(again));
    }

    [Fact]
    public void Another_seed_gives_other_records()
    {
        var other = TrafficSimulator.Generate(ScenarioOptions.Small with { Seed = 2 });
        Assert.NotEqual(Digest(Scenarios.Small), Digest(other));
    }

    [Fact]
    public void A_key_does_not_change_when_another_population_grows()
    {
        var few = TrafficSimulator.Generate(ScenarioOptions.Small with { Retail = 50, Lent = 5 });
        var more = TrafficSimulator.Generate(ScenarioOptions.Small with { Retail = 80, Lent = 5 });
        var lent = few.Labels.Where(l => l.Population == Populations.Lent).Select(l => l.ApiKeyId).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(5, lent.Count);
        var a = few.Records.Where(r => lent.Contains(r.Key)).Select(Json).ToList();
        var b = more.Records.Where(r => lent.Contains(r.Key)).Select(Json).ToList();
        Assert.NotEmpty(a);
        Assert.Equal(a, b);
    }

    [Fact]
    public void Every_population_is_present_with_a_registry_record_for_each_key()
    {
        var s = Scenarios.Small;
        foreach (var p in Populations.All) Assert.Contains(s.Labels, l => l.Population == p);
        var registered = s.Records.Where(r => r.Topic == SimTopic.Registry).Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
        Assert.All(s.Labels, l => Assert.Contains(l.ApiKeyId, registered));
        Assert.Equal(s.Labels.Count, s.Labels.Select(l => l.ApiKeyId).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Records_are_in_event_time_order_within_the_scenario_with_registry_records_first()
    {
        var o = Scenarios.SmallOptions;
        var records = Scenarios.Small.Records;
        long end = o.Start + o.DurationMs;
        int firstEvent = records.ToList().FindIndex(r => r.Topic != SimTopic.Registry);
        Assert.True(firstEvent > 0);
        Assert.All(records.Take(firstEvent), r => Assert.Equal(o.Start, r.Ts));
        for (int i = 1; i < records.Count; i++)
        {
            Assert.True(records[i - 1].Ts <= records[i].Ts, $"record {i} at {records[i].Ts} follows one at {records[i - 1].Ts}");
        }
        Assert.All(records, r => Assert.InRange(r.Ts, o.Start, end - 1));
    }

    [Fact]
    public void Each_record_carries_one_payload_whose_key_and_time_match_the_record()
    {
        foreach (var r in Scenarios.Small.Records)
        {
            (string key, long? ts) = r.Topic switch
            {
                SimTopic.Access => (r.Access!.ApiKeyId, r.Access.Ts),
                SimTopic.Orders => (r.Order!.ApiKeyId, r.Order.Ts),
                SimTopic.Registry => (r.Registry!.ApiKeyId, (long?)null),
                _ => (r.Lifecycle!.ApiKeyId, r.Lifecycle.Ts),
            };
            Assert.Equal(r.Key, key);
            if (ts is { } t) Assert.Equal(r.Ts, t);
            int payloads = (r.Access is null ? 0 : 1) + (r.Order is null ? 0 : 1) + (r.Registry is null ? 0 : 1) + (r.Lifecycle is null ? 0 : 1);
            Assert.Equal(1, payloads);
        }
    }

    [Fact]
    public void Labels_are_consistent_with_the_traffic()
    {
        var o = Scenarios.SmallOptions;
        var s = Scenarios.Small;
        var labels = Scenarios.Labels(s);
        foreach (var l in s.Labels)
        {
            if (Populations.IsAbusive(l.Population))
            {
                Assert.NotNull(l.AbuseStartsAt);
                Assert.InRange(l.AbuseStartsAt!.Value, o.Start, o.Start + o.DurationMs - 1);
            }
            else
            {
                Assert.Null(l.AbuseStartsAt);
            }
        }
        foreach (var r in s.Records)
        {
            Assert.True(labels.TryGetValue(r.Key, out var label), "unlabelled key " + r.Key);
            string account = r.Access?.AccountId ?? r.Order?.AccountId ?? r.Registry?.AccountId ?? r.Lifecycle!.AccountId;
            Assert.Equal(label!.AccountId, account);
        }
    }

    [Fact]
    public void Abuse_starts_with_a_record_of_the_key_at_that_time()
    {
        var s = Scenarios.Small;
        var byKeyAndTime = s.Records.Where(r => r.Topic is SimTopic.Access or SimTopic.Orders).Select(r => (r.Key, r.Ts)).ToHashSet();
        foreach (var l in s.Labels.Where(l => l.AbuseStartsAt is not null))
        {
            Assert.Contains((l.ApiKeyId, l.AbuseStartsAt!.Value), byKeyAndTime);
        }
    }

    [Fact]
    public void Every_record_serialises_to_json_and_avro_and_back()
    {
        foreach (var r in Scenarios.Small.Records.Where((_, i) => i % 17 == 0))
        {
            switch (r.Topic)
            {
                case SimTopic.Access:
                    Assert.Equal(r.Access, ContractCodecs.Access.Deserialize(ContractCodecs.Access.SerializeAvro(r.Access!)));
                    Assert.Equal(r.Access, ContractCodecs.Access.Deserialize(ContractCodecs.Access.SerializeJson(r.Access!)));
                    break;
                case SimTopic.Orders:
                    Assert.Equal(r.Order, ContractCodecs.Order.Deserialize(ContractCodecs.Order.SerializeAvro(r.Order!)));
                    break;
                case SimTopic.Registry:
                    var back = ContractCodecs.Registry.Deserialize(ContractCodecs.Registry.SerializeAvro(r.Registry!));
                    Assert.Equal(r.Registry!.AllowedCidrs, back.AllowedCidrs);
                    break;
                default:
                    Assert.Equal(r.Lifecycle, ContractCodecs.Lifecycle.Deserialize(ContractCodecs.Lifecycle.SerializeAvro(r.Lifecycle!)));
                    break;
            }
        }
    }

    [Fact]
    public void The_default_scenario_has_at_least_20000_keys_and_a_million_events_mostly_legitimate()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var s = TrafficSimulator.Generate(ScenarioOptions.Default);
        var elapsed = started.Elapsed;
        Assert.True(s.Labels.Count >= 20_000, $"{s.Labels.Count} keys");
        Assert.True(s.EventCount >= 1_000_000, $"{s.EventCount} events");
        double legitimate = s.Labels.Count(l => !Populations.IsAbusive(l.Population)) / (double)s.Labels.Count;
        Assert.InRange(legitimate, 0.92, 0.97);
        foreach (var p in Populations.All.Where(Populations.IsAbusive)) Assert.True(s.Labels.Count(l => l.Population == p) >= 50, p);
        // About 4 s in Release on one machine; the bound leaves room for a busy CI runner and Debug builds.
        Assert.True(elapsed < TimeSpan.FromSeconds(30), $"generation took {elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public void Invalid_options_are_refused_naming_the_setting()
    {
        var e = Assert.Throws<ArgumentException>(() => TrafficSimulator.Generate(ScenarioOptions.Small with { Lent = -1, DurationMs = 1000 }));
        Assert.Contains("lent", e.Message, StringComparison.Ordinal);
        Assert.Contains("durationMs", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_demo_mix_still_labels_lent_keys_and_orders_events()
    {
        var demo = new DemoTraffic(seed: 7, retailKeys: 30, lentKeys: 2, DemoTraffic.DefaultStart, durationMs: 8 * 60_000);
        Assert.Equal(2, demo.Labels.Count(l => Populations.IsAbusive(l.Population)));
        Assert.True(demo.Events.Zip(demo.Events.Skip(1)).All(p => p.First.Ts <= p.Second.Ts));
    }
}
