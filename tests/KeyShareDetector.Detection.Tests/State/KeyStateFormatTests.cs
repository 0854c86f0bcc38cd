using System.Text;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.State;
using KeyShareDetector.Simulator;

namespace KeyShareDetector.Detection.Tests.State;

/// <summary>
/// Key state format 8 (<see cref="CompactBinaryWriter"/>) must decide exactly as the object that wrote it and as
/// format 7 did: the store decodes every key's state again before each of its records, so a codec that loses or
/// alters a single value changes commands. Checked over a simulated mix (every population, every signal).
/// </summary>
public sealed class KeyStateFormatTests
{
    private enum Mode { Kept, Format8, Format7 }

    [Fact]
    public void Every_record_is_decided_alike_with_states_kept_as_objects_in_format_8_and_in_format_7()
    {
        var scenario = TrafficSimulator.Generate(Scaled(keys: 600) with { DurationMs = 90 * 60_000L });

        var (kept, keptStates) = Run(scenario, Mode.Kept);
        var (v8, _) = Run(scenario, Mode.Format8);
        var (v7, _) = Run(scenario, Mode.Format7);

        Assert.True(kept.Count(o => o.StartsWith('C')) >= 10, "the mix should raise commands, or this compares nothing");
        Assert.Equal(kept.Count, v8.Count);
        Assert.Equal(kept.Count, v7.Count);
        for (int i = 0; i < kept.Count; i++)
        {
            Assert.True(v8[i] == kept[i], $"outcome {i} differs in format 8:\nkept:     {kept[i]}\nformat 8: {v8[i]}");
            Assert.True(v7[i] == kept[i], $"outcome {i} differs in format 7:\nkept:     {kept[i]}\nformat 7: {v7[i]}");
        }

        // Every final state: format 8 keeps everything format 7 holds, and a format-7 state read back writes the same format 8.
        long bytes7 = 0;
        long bytes8 = 0;
        foreach (var state in keptStates.Values)
        {
            byte[] a = KeyRiskStateCodec.Encode(state);
            byte[] b = KeyRiskStateCodec.EncodeV7(state);
            Assert.Equal(KeyRiskStateCodec.CurrentFormat, a[0]);
            Assert.Equal(b, KeyRiskStateCodec.EncodeV7(KeyRiskStateCodec.Decode(a, DetectionPolicy.Default)));
            Assert.Equal(a, KeyRiskStateCodec.Encode(KeyRiskStateCodec.Decode(b, DetectionPolicy.Default)));
            bytes7 += b.Length;
            bytes8 += a.Length;
        }
        Assert.True(bytes8 * 2 < bytes7, $"format 8 should take well under half of format 7's bytes: {bytes8} against {bytes7}");
    }

    [Fact]
    public void Parts_measured_add_up_to_the_encoded_state()
    {
        var scenario = TrafficSimulator.Generate(Scaled(keys: 100) with { DurationMs = 20 * 60_000L });
        var (_, states) = Run(scenario, Mode.Kept);
        foreach (var state in states.Values)
        {
            Assert.Equal(KeyRiskStateCodec.Encode(state).Length, KeyRiskStateCodec.MeasureParts(state, 8).Sum(p => p.Bytes));
            Assert.Equal(KeyRiskStateCodec.EncodeV7(state).Length, KeyRiskStateCodec.MeasureParts(state, 7).Sum(p => p.Bytes));
        }
    }

    /// <summary>
    /// The stream stage's copy-free paths: a state encoded into a reused scratch stream (a large state, then a small one,
    /// so stale bytes of the first would show) and decoded in place from behind a header give the same bytes and state
    /// as the copying paths.
    /// </summary>
    [Fact]
    public void Encoding_into_a_reused_scratch_and_decoding_in_place_match_the_copying_paths()
    {
        var scenario = TrafficSimulator.Generate(Scaled(keys: 100) with { DurationMs = 20 * 60_000L });
        var (_, states) = Run(scenario, Mode.Kept);
        using var scratch = new MemoryStream(16);
        foreach (var state in states.Values.OrderByDescending(s => KeyRiskStateCodec.Encode(s).Length).Take(5).Concat(states.Values))
        {
            byte[] expected = KeyRiskStateCodec.Encode(state);
            var inPlace = KeyRiskStateCodec.EncodeInPlace(state, scratch);
            Assert.Equal(expected, inPlace.ToArray());

            byte[] stored = [0xA5, 1, 0, .. inPlace];
            var decoded = KeyRiskStateCodec.Decode(new ArraySegment<byte>(stored, 3, stored.Length - 3), DetectionPolicy.Default);
            Assert.Equal(expected, KeyRiskStateCodec.Encode(decoded));
        }
    }

    /// <summary>Every outcome in input order (command and snapshot as their JSON, fleet observations, late flag), and the final states.</summary>
    private static (List<string> Outcomes, Dictionary<string, KeyRiskState> States) Run(Scenario scenario, Mode mode)
    {
        var engine = new KeyRiskEngine(DetectionPolicy.Default, new CommandSigner("test", Encoding.UTF8.GetBytes("state-format-test-secret-0123456789")), BuiltInGeoTable.Default);
        var states = new Dictionary<string, KeyRiskState>(StringComparer.Ordinal);
        var bytes = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var outcomes = new List<string>();
        foreach (var r in scenario.Records)
        {
            KeyRiskState state;
            if (mode == Mode.Kept)
            {
                if (!states.TryGetValue(r.Key, out state!)) states[r.Key] = state = engine.NewState(r.Key);
            }
            else
            {
                state = bytes.TryGetValue(r.Key, out var b) ? KeyRiskStateCodec.Decode(b, engine.Policy) : engine.NewState(r.Key);
            }

            var outcome = EngineOutcome.None;
            switch (r.Topic)
            {
                case SimTopic.Access: outcome = engine.OnAccess(state, r.Access!); break;
                case SimTopic.Orders: outcome = engine.OnOrder(state, r.Order!); break;
                case SimTopic.Registry: engine.OnRegistry(state, r.Registry!); break;
                case SimTopic.Lifecycle: outcome = engine.OnLifecycle(state, r.Lifecycle!); break;
            }
            if (mode == Mode.Format8) bytes[r.Key] = KeyRiskStateCodec.Encode(state);
            if (mode == Mode.Format7) bytes[r.Key] = KeyRiskStateCodec.EncodeV7(state);

            if (outcome.Command is { } c) outcomes.Add("C" + Encoding.UTF8.GetString(ContractCodecs.Command.SerializeJson(c)));
            if (outcome.Snapshot is { } s) outcomes.Add("S" + Encoding.UTF8.GetString(ContractCodecs.Features.SerializeJson(s)));
            if (outcome.Observations is { Count: > 0 } obs) outcomes.Add("O" + string.Join(";", obs));
            if (outcome.Late) outcomes.Add("L" + r.Key);
        }
        return (outcomes, states);
    }

    private static ScenarioOptions Scaled(int keys)
    {
        var d = ScenarioOptions.Default;
        double f = (double)keys / d.TotalKeys;
        int S(int n) => n == 0 ? 0 : Math.Max(1, (int)Math.Round(n * f));
        return d with
        {
            Retail = S(d.Retail), Travellers = S(d.Travellers), MarketMakers = S(d.MarketMakers), MultiServerBots = S(d.MultiServerBots),
            PlatformUsers = S(d.PlatformUsers), RotatingUsers = S(d.RotatingUsers), Lent = S(d.Lent), Leaked = S(d.Leaked),
            MassLeak = S(d.MassLeak), Spoofers = S(d.Spoofers), Layering = S(d.Layering), CoordinatedSpoof = S(d.CoordinatedSpoof),
        };
    }
}
