using System.Text;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.State;
using KeyShareDetector.Simulator;

namespace KeyShareDetector.Detection.Tests.State;

/// <summary>
/// Key state format 9 (<see cref="CompactBinaryWriter"/>, the spoofing aggregate decoded only when a record needs it)
/// must decide exactly as the object that wrote it and as formats 8 and 7 did: the store decodes every key's state
/// again before each of its records, so a codec that loses or alters a single value changes commands. Checked over a
/// simulated mix (every population, every signal).
/// </summary>
public sealed class KeyStateFormatTests
{
    private enum Mode { Kept, Current, Format8, Format7, Reused }

    [Fact]
    public void Every_record_is_decided_alike_with_states_kept_as_objects_in_format_9_8_and_7()
    {
        var scenario = TrafficSimulator.Generate(Scaled(keys: 600) with { DurationMs = 90 * 60_000L });

        var (kept, keptStates) = Run(scenario, Mode.Kept);
        var (v9, _) = Run(scenario, Mode.Current);
        var (v8, _) = Run(scenario, Mode.Format8);
        var (v7, _) = Run(scenario, Mode.Format7);

        Assert.True(kept.Count(o => o.StartsWith('C')) >= 10, "the mix should raise commands, or this compares nothing");
        Assert.Equal(kept.Count, v9.Count);
        Assert.Equal(kept.Count, v8.Count);
        Assert.Equal(kept.Count, v7.Count);
        for (int i = 0; i < kept.Count; i++)
        {
            Assert.True(v9[i] == kept[i], $"outcome {i} differs in format 9:\nkept:     {kept[i]}\nformat 9: {v9[i]}");
            Assert.True(v8[i] == kept[i], $"outcome {i} differs in format 8:\nkept:     {kept[i]}\nformat 8: {v8[i]}");
            Assert.True(v7[i] == kept[i], $"outcome {i} differs in format 7:\nkept:     {kept[i]}\nformat 7: {v7[i]}");
        }

        // Every final state: formats 9 and 8 keep everything format 7 holds, and an older state read back writes the same format 9.
        long bytes7 = 0;
        long bytes9 = 0;
        foreach (var state in keptStates.Values)
        {
            byte[] a = KeyRiskStateCodec.Encode(state);
            byte[] b = KeyRiskStateCodec.EncodeV7(state);
            byte[] c = KeyRiskStateCodec.EncodeV8(state);
            Assert.Equal(KeyRiskStateCodec.CurrentFormat, a[0]);
            Assert.Equal(b, KeyRiskStateCodec.EncodeV7(KeyRiskStateCodec.Decode(a, DetectionPolicy.Default)));
            Assert.Equal(a, KeyRiskStateCodec.Encode(KeyRiskStateCodec.Decode(b, DetectionPolicy.Default)));
            Assert.Equal(a, KeyRiskStateCodec.Encode(KeyRiskStateCodec.Decode(c, DetectionPolicy.Default)));
            bytes7 += b.Length;
            bytes9 += a.Length;
        }
        Assert.True(bytes9 * 2 < bytes7, $"format 9 should take well under half of format 7's bytes: {bytes9} against {bytes7}");
    }

    /// <summary>
    /// The per-key stream stage decodes every record's state into one object (its lists and tables kept): whatever key
    /// that object held before, the state read must be the stored one exactly (it writes the stored bytes again, checked
    /// for every record inside <see cref="Run"/>) and decide as the kept object does, derived values (allowlist, window
    /// count caches, sketches) included.
    /// </summary>
    [Fact]
    public void Every_record_is_decided_alike_when_states_are_decoded_into_one_reused_object()
    {
        var scenario = TrafficSimulator.Generate(Scaled(keys: 600) with { DurationMs = 90 * 60_000L });

        var (kept, _) = Run(scenario, Mode.Kept);
        var (reused, _) = Run(scenario, Mode.Reused);

        Assert.True(kept.Count(o => o.StartsWith('C')) >= 10, "the mix should raise commands, or this compares nothing");
        Assert.Equal(kept.Count, reused.Count);
        for (int i = 0; i < kept.Count; i++)
        {
            Assert.True(reused[i] == kept[i], $"outcome {i} differs with a reused state:\nkept:   {kept[i]}\nreused: {reused[i]}");
        }
    }

    /// <summary>
    /// What the mix alone does not reach: the reused object first holds a hostile key (its IP counters in sketch mode,
    /// its session table overflowed, an allowlist, its spoofing aggregate decoded), then a key whose fleet memory holds
    /// a fresh network's use, then possibly a read cut short by damaged bytes; the state then read into it, in formats 9,
    /// 8, 7 and 6 (which lacks the fresh network's use), must be the state read fresh: the same bytes, the same derived
    /// values, and the same outcomes for a burst that pushes the key past its caps.
    /// </summary>
    [Fact]
    public void A_state_read_into_an_object_that_held_a_hostile_key_or_a_cut_read_is_the_state_read_fresh()
    {
        var engine = Engine();
        var scenario = TrafficSimulator.Generate(Scaled(keys: 200) with { DurationMs = 30 * 60_000L });
        var (_, states) = Run(scenario, Mode.Kept);
        long t0 = states.Values.Max(s => s.StreamTime) - 60_000;
        var hostile = Hostile(engine, t0);
        Assert.True(hostile.IpDiversity.Ips.IsEstimating, "the hostile key's IP counter should be in sketch mode");
        Assert.True(hostile.Sessions.Overflowed, "the hostile key's session table should have overflowed");
        byte[] hostileBytes = KeyRiskStateCodec.Encode(hostile);
        var previous = states.Values.Where(x => x.Fleet.FreshStranger)
            .Concat(states.Values.Where(x => x.Spoofing.ProcessedThrough != long.MinValue).Take(5))
            .Select(x => KeyRiskStateCodec.Encode(x)).ToList();
        Assert.Contains(states.Values, x => x.Fleet.FreshStranger);

        int compared = 0;
        foreach (var (key, kept) in states.Take(8))
        {
            byte[] before = previous[compared % previous.Count];
            foreach (var encode in new Func<KeyRiskState, byte[]>[] { KeyRiskStateCodec.Encode, KeyRiskStateCodec.EncodeV8, KeyRiskStateCodec.EncodeV7, Format6 })
            {
                byte[] stored = encode(kept);
                foreach (int cut in new[] { 0, hostileBytes.Length / 3, hostileBytes.Length / 2, hostileBytes.Length - 5 })
                {
                    var reused = KeyRiskStateCodec.Decode(new ArraySegment<byte>(hostileBytes), engine.Policy, reuse: null);
                    _ = reused.Spoofing;
                    KeyRiskStateCodec.Decode(new ArraySegment<byte>(before), engine.Policy, reused);
                    _ = reused.Spoofing;
                    if (cut > 0)
                    {
                        try
                        {
                            KeyRiskStateCodec.Decode(new ArraySegment<byte>(hostileBytes, 0, cut), engine.Policy, reused);
                        }
                        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or ArgumentException or IndexOutOfRangeException or OverflowException)
                        {
                            // Damaged bytes: the next read must still start clean.
                        }
                    }
                    var read = KeyRiskStateCodec.Decode(new ArraySegment<byte>(stored), engine.Policy, reused);
                    Assert.Same(reused, read);
                    var fresh = KeyRiskStateCodec.Decode(new ArraySegment<byte>(stored), engine.Policy);
                    Assert.Equal(KeyRiskStateCodec.Encode(fresh), KeyRiskStateCodec.Encode(read));
                    Assert.Equal(fresh.Allowlist.IsEmpty, read.Allowlist.IsEmpty);
                    Assert.Equal(fresh.IpDiversity.Ips.IsEstimating, read.IpDiversity.Ips.IsEstimating);
                    Assert.Equal(fresh.IpDiversity.Ips.AllocatedSketches, read.IpDiversity.Ips.AllocatedSketches);
                    Assert.Equal(fresh.IpDiversity.Ips.SketchPrecision, read.IpDiversity.Ips.SketchPrecision);
                    Assert.Equal(fresh.StoredSpoofing is null, read.StoredSpoofing is null);
                    long ts = Math.Max(fresh.StreamTime, t0);
                    for (int i = 0; i < 300; i++)
                    {
                        var e = Access(key, ts + (i * 50), $"46.{i / 100}.{i % 100}.9", "ua/x" + (i % 20), "s" + i);
                        Assert.Equal(Outcome(engine.OnAccess(fresh, e)), Outcome(engine.OnAccess(read, e)));
                    }
                    Assert.Equal(KeyRiskStateCodec.Encode(fresh), KeyRiskStateCodec.Encode(read));
                    compared++;
                }
            }
        }
        Assert.Equal(8 * 4 * 4, compared);
    }

    private static AccessEvent Access(string key, long ts, string ip, string userAgent, string? session) => new()
    {
        EventId = $"e-{key}-{ts}-{ip}", Ts = ts, ApiKeyId = key, AccountId = "acct-" + key, Ip = ip, UserAgent = userAgent, SessionId = session,
        Endpoint = "/v1/order", Method = "POST", TlsFingerprint = "tls-" + userAgent, ClientTs = ts - 50,
    };

    /// <summary>A key past its caps: 400 IPs (its counters in sketch mode), a session per request, an allowlist.</summary>
    private static KeyRiskState Hostile(KeyRiskEngine engine, long t0)
    {
        var s = engine.NewState("hostile");
        engine.OnRegistry(s, new KeyRegistryRecord
        {
            ApiKeyId = "hostile", AccountId = "acct-hostile", AllowedCidrs = ["203.0.113.0/24"], Permissions = [Permission.READ, Permission.TRADE], CreatedAt = t0 - 1000,
        });
        for (int i = 0; i < 400; i++) engine.OnAccess(s, Access("hostile", t0 + (i * 100), $"45.{i / 200}.{i % 200}.7", "ua/" + (i % 40), "sess-" + i));
        return s;
    }

    private static string Outcome(EngineOutcome o) =>
        (o.Command is { } c ? "C" + Encoding.UTF8.GetString(ContractCodecs.Command.SerializeJson(c)) : "") + "|" +
        (o.Snapshot is { } s ? "S" + Encoding.UTF8.GetString(ContractCodecs.Features.SerializeJson(s)) : "") + "|" +
        (o.Observations is { Count: > 0 } obs ? string.Join(";", obs) : "") + "|" + o.Late;

    /// <summary>Format 6: format 7 without the fleet memory's fresh-network use (a bool and an int32 at the end of its part).</summary>
    private static byte[] Format6(KeyRiskState s)
    {
        byte[] v7 = KeyRiskStateCodec.EncodeV7(s);
        int end = 0;
        foreach (var (part, n) in KeyRiskStateCodec.MeasureParts(s, 7))
        {
            end += n;
            if (part == "fleet_memory") break;
        }
        var bytes = v7.ToList();
        bytes.RemoveRange(end - 5, 5);
        bytes[0] = 6;
        return [.. bytes];
    }

    /// <summary>
    /// Format 9's point: an API call to a key with spoofing history leaves the aggregate undecoded (its stream time and
    /// figures are stored beside it) and writes its bytes back as they were; the state it writes is the one the decoded
    /// aggregate would write, byte for byte, and an order record decodes it.
    /// </summary>
    [Fact]
    public void An_access_record_leaves_the_stored_spoofing_aggregate_undecoded_and_writes_the_same_bytes()
    {
        var scenario = TrafficSimulator.Generate(Scaled(keys: 600) with { DurationMs = 90 * 60_000L });
        var engine = Engine();
        var bytes = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        int undecoded = 0;
        int orders = 0;
        foreach (var r in scenario.Records)
        {
            var state = bytes.TryGetValue(r.Key, out var b) ? KeyRiskStateCodec.Decode(b, engine.Policy) : engine.NewState(r.Key);
            bool stored = state.StoredSpoofing is not null;
            switch (r.Topic)
            {
                case SimTopic.Access: engine.OnAccess(state, r.Access!); break;
                case SimTopic.Orders: engine.OnOrder(state, r.Order!); break;
                case SimTopic.Registry: engine.OnRegistry(state, r.Registry!); break;
                case SimTopic.Lifecycle: engine.OnLifecycle(state, r.Lifecycle!); break;
            }
            byte[] written = KeyRiskStateCodec.Encode(state);
            if (stored && state.StoredSpoofing is not null && state.Spoofing.ProcessedThrough != long.MinValue)
            {
                undecoded++;
                // Reading the aggregate now decodes it; written again from the object, the bytes must not change.
                Assert.Equal(written, KeyRiskStateCodec.Encode(state));
            }
            if (r.Topic == SimTopic.Orders && b is not null)
            {
                orders++;
                Assert.Null(state.StoredSpoofing);
            }
            bytes[r.Key] = written;
        }
        Assert.True(undecoded > 1_000, $"access records to keys with orders should leave the aggregate undecoded: {undecoded}");
        Assert.True(orders > 1_000, $"the mix should have order records to keys with a stored state: {orders}");
    }

    /// <summary>
    /// Policy versions change while keys hold stored spoofing aggregates: the stored figures were counted over another
    /// cycle window and held orders fall due after another grace period. Two policies that differ in both alternate
    /// every seven records; every outcome must be the kept objects' in formats 9 and 8.
    /// </summary>
    [Fact]
    public void Every_record_is_decided_alike_when_the_spoofing_rule_changes_between_records()
    {
        var scenario = TrafficSimulator.Generate(Scaled(keys: 300) with { DurationMs = 60 * 60_000L });
        var other = DetectionPolicy.Default with
        {
            Version = "other-1",
            Spoofing = DetectionPolicy.Default.Spoofing with
            {
                GraceMs = DetectionPolicy.Default.Spoofing.GraceMs / 3,
                CycleRepetitionWindowMs = DetectionPolicy.Default.Spoofing.CycleRepetitionWindowMs / 2,
            },
        };
        Assert.Empty(other.Validate());
        var engines = new[] { Engine(), Engine(other) };
        KeyRiskEngine EngineFor(int record) => engines[record / 7 % 2];

        var (kept, _) = Run(scenario, Mode.Kept, EngineFor);
        var (v9, _) = Run(scenario, Mode.Current, EngineFor);
        var (v8, _) = Run(scenario, Mode.Format8, EngineFor);

        Assert.True(kept.Count(o => o.StartsWith('C')) >= 5, "the mix should raise commands, or this compares nothing");
        Assert.True(kept.Count(o => o.StartsWith('S') && o.Contains("other-1", StringComparison.Ordinal)) >= 100, "snapshots under the second policy");
        Assert.Equal(kept.Count, v9.Count);
        Assert.Equal(kept.Count, v8.Count);
        for (int i = 0; i < kept.Count; i++)
        {
            Assert.True(v9[i] == kept[i], $"outcome {i} differs in format 9:\nkept:     {kept[i]}\nformat 9: {v9[i]}");
            Assert.True(v8[i] == kept[i], $"outcome {i} differs in format 8:\nkept:     {kept[i]}\nformat 8: {v8[i]}");
        }
    }

    [Fact]
    public void A_stored_spoofing_aggregate_is_decoded_when_a_held_record_is_due_for_release()
    {
        var rule = DetectionPolicy.Default.Spoofing;
        var state = new KeyRiskState("k", DetectionPolicy.Default);
        var findings = new List<KeyShareDetector.Detection.Signals.SignalFinding>();
        long t0 = 1_767_225_600_000;
        state.Spoofing.OnOrder(new KeyShareDetector.Contracts.OrderEvent
        {
            EventId = "e1", Ts = t0, ApiKeyId = "k", AccountId = "a", OrderId = "o1", Symbol = "BTC-KRW",
            Side = KeyShareDetector.Contracts.OrderSide.BUY, EventType = KeyShareDetector.Contracts.OrderEventType.PLACE, Price = 100, Quantity = 1, FilledQuantity = 0,
        }, rule, findings);
        Assert.NotNull(state.Spoofing.OldestHeldTs);

        var stored = KeyRiskStateCodec.Decode(KeyRiskStateCodec.Encode(state), DetectionPolicy.Default);
        stored.AdvanceSpoofing(t0 + rule.GraceMs - 1, rule, findings);
        Assert.NotNull(stored.StoredSpoofing);
        Assert.Equal(t0 + rule.GraceMs - 1, stored.Spoofing.StreamTime);

        stored = KeyRiskStateCodec.Decode(KeyRiskStateCodec.Encode(state), DetectionPolicy.Default);
        stored.AdvanceSpoofing(t0 + rule.GraceMs, rule, findings);
        Assert.Null(stored.StoredSpoofing);
        Assert.Null(stored.Spoofing.OldestHeldTs);
        Assert.Equal(t0, stored.Spoofing.ProcessedThrough);
    }

    private static KeyRiskEngine Engine(DetectionPolicy? policy = null) =>
        new(policy ?? DetectionPolicy.Default, new CommandSigner("test", Encoding.UTF8.GetBytes("state-format-test-secret-0123456789")), BuiltInGeoTable.Default);

    [Fact]
    public void Parts_measured_add_up_to_the_encoded_state()
    {
        var scenario = TrafficSimulator.Generate(Scaled(keys: 100) with { DurationMs = 20 * 60_000L });
        var (_, states) = Run(scenario, Mode.Kept);
        foreach (var state in states.Values)
        {
            Assert.Equal(KeyRiskStateCodec.Encode(state).Length, KeyRiskStateCodec.MeasureParts(state, 9).Sum(p => p.Bytes));
            Assert.Equal(KeyRiskStateCodec.EncodeV8(state).Length, KeyRiskStateCodec.MeasureParts(state, 8).Sum(p => p.Bytes));
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
    private static (List<string> Outcomes, Dictionary<string, KeyRiskState> States) Run(Scenario scenario, Mode mode, Func<int, KeyRiskEngine>? engineFor = null)
    {
        var single = Engine();
        var states = new Dictionary<string, KeyRiskState>(StringComparer.Ordinal);
        var bytes = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var outcomes = new List<string>();
        KeyRiskState? reused = null;
        int index = 0;
        foreach (var r in scenario.Records)
        {
            var engine = engineFor?.Invoke(index++) ?? single;
            KeyRiskState state;
            if (mode == Mode.Kept)
            {
                if (!states.TryGetValue(r.Key, out state!)) states[r.Key] = state = engine.NewState(r.Key);
            }
            else if (mode == Mode.Reused)
            {
                if (bytes.TryGetValue(r.Key, out var stored))
                {
                    state = reused = KeyRiskStateCodec.Decode(new ArraySegment<byte>(stored), engine.Policy, reused);
                    var written = KeyRiskStateCodec.Encode(state);
                    Assert.True(written.AsSpan().SequenceEqual(stored), $"record {index}: the state read into the reused object for {r.Key} writes other bytes than were stored");
                }
                else
                {
                    state = engine.NewState(r.Key);
                }
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
            if (mode is Mode.Current or Mode.Reused) bytes[r.Key] = KeyRiskStateCodec.Encode(state);
            if (mode == Mode.Format8) bytes[r.Key] = KeyRiskStateCodec.EncodeV8(state);
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
