using System.Text;
using KeyShareDetector.Detection;
using KeyShareDetector.Detection.Fleet;
using KeyShareDetector.Detection.State;
using KeyShareDetector.Simulator;

namespace KeyShareDetector.Benchmarks.EndToEnd;

/// <summary>
/// `state-bytes` mode: the bytes each key's state takes in the key state store, per format and per part, on the same
/// simulated mix as the end-to-end run (no Kafka): every record goes through <see cref="KeyRiskEngine"/> in scenario
/// order (the default policy, the built-in geo table), and every key's final state is encoded in format 7 and in the
/// current format. Answers "where do a key's bytes go" in seconds, where the end-to-end run takes minutes.
/// </summary>
internal static class StateBytes
{
    public const string Mode = "state-bytes";

    public static int Run(string[] args)
    {
        var options = new Dictionary<string, int> { ["keys"] = 15_000, ["events"] = 300_000, ["seed"] = 1 };
        if (!OfflineMode.TryParse(args, options)) return 2;
        int seed = options["seed"];
        var (scenario, _) = BenchScenario.Generate(options["keys"], options["events"], seed, m => Console.Error.WriteLine(m));
        var engine = OfflineMode.Engine(Mode);
        var policy = engine.Policy;
        var states = new Dictionary<string, KeyRiskState>(StringComparer.Ordinal);
        // The fleet stage as FleetTransformer runs it (entries swept every 10 min of stream time), its findings fed
        // straight back to their keys.
        var fleet = new Dictionary<string, FleetAggregate>(StringComparer.Ordinal);
        long fleetTime = long.MinValue;
        long nextSweep = long.MinValue;
        foreach (var r in scenario.Records)
        {
            if (!states.TryGetValue(r.Key, out var state)) states[r.Key] = state = engine.NewState(r.Key);
            var outcome = r.Topic switch
            {
                SimTopic.Access => engine.OnAccess(state, r.Access!),
                SimTopic.Orders => engine.OnOrder(state, r.Order!),
                SimTopic.Lifecycle => engine.OnLifecycle(state, r.Lifecycle!),
                _ => EngineOutcome.None,
            };
            if (r.Topic == SimTopic.Registry) engine.OnRegistry(state, r.Registry!);
            foreach (var o in outcome.Observations ?? [])
            {
                if (!fleet.TryGetValue(o.FleetKey, out var agg)) fleet[o.FleetKey] = agg = FleetAggregate.For(o, policy.CrossAccount, policy.MassCompromise);
                foreach (var f in agg.OnObservation(o, policy.CrossAccount, policy.MassCompromise).Findings)
                {
                    if (states.TryGetValue(f.ApiKeyId, out var target)) engine.OnFleetFinding(target, f.Finding, f.Ts);
                }
                fleetTime = Math.Max(fleetTime, o.Ts);
                if (nextSweep == long.MinValue) nextSweep = fleetTime + FleetSweepMs;
                if (fleetTime < nextSweep) continue;
                nextSweep = fleetTime + FleetSweepMs;
                foreach (var (k, a) in fleet.ToList())
                {
                    if (FleetAggregate.IsDormant(a.Encode(), fleetTime)) fleet.Remove(k);
                }
            }
        }

        Console.WriteLine($"{states.Count:N0} keys, {scenario.Records.Count:N0} records (seed {seed}); bytes of each key's final state");
        foreach (byte format in new byte[] { 7, 8, KeyRiskStateCodec.CurrentFormat })
        {
            var totals = new List<int>(states.Count);
            var parts = new Dictionary<string, long>(StringComparer.Ordinal);
            var order = new List<string>();
            foreach (var state in states.Values)
            {
                int total = 0;
                foreach (var (part, bytes) in KeyRiskStateCodec.MeasureParts(state, format))
                {
                    if (!parts.ContainsKey(part)) order.Add(part);
                    parts[part] = parts.GetValueOrDefault(part) + bytes;
                    total += bytes;
                }
                totals.Add(total);
            }
            totals.Sort();
            double mean = totals.Average();
            int P(double q) => totals[Math.Min(totals.Count - 1, (int)(q * totals.Count))];
            Console.WriteLine($"format {format}: mean {mean:F0} B, p50 {P(0.5)}, p90 {P(0.9)}, p99 {P(0.99)}, max {totals[^1]}; total {totals.Sum(x => (long)x) / 1048576.0:F1} MB");
            Console.WriteLine("  " + string.Join(", ", order.Select(p => $"{p} {parts[p] / (double)states.Count:F0}")));
        }
        // What a record pays for the codec: decode the stored bytes, encode them again (the transformer's round trip).
        var all = states.Values.ToList();
        var scratch = new MemoryStream(8192);
        foreach (var (name, encode) in Order(new (string, Func<KeyRiskState, byte[]>)[] { ("format 7", KeyRiskStateCodec.EncodeV7), ("format 8", KeyRiskStateCodec.EncodeV8), ($"format {KeyRiskStateCodec.CurrentFormat}", s => KeyRiskStateCodec.Encode(s, scratch)) }))
        {
            var encoded = all.Select(encode).ToList();
            // The fastest of 7 passes (the first warms up): this machine is shared, the minimum is the code's own cost.
            double best = double.MaxValue;
            long allocatedPerState = 0;
            int passes = int.TryParse(Environment.GetEnvironmentVariable("STATE_BYTES_PASSES"), out int p) ? p : 7;
            for (int pass = 0; pass < passes; pass++)
            {
                GC.Collect();
                long allocated = GC.GetAllocatedBytesForCurrentThread();
                var clock = System.Diagnostics.Stopwatch.StartNew();
                foreach (var b in encoded) encode(KeyRiskStateCodec.Decode(b, policy));
                if (pass > 0) best = Math.Min(best, clock.Elapsed.TotalMicroseconds / encoded.Count);
                allocatedPerState = (GC.GetAllocatedBytesForCurrentThread() - allocated) / encoded.Count;
            }
            double bestEncode = double.MaxValue;
            double bestDecode = double.MaxValue;
            for (int pass = 0; pass < 7; pass++)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                foreach (var st in all) encode(st);
                if (pass > 0) bestEncode = Math.Min(bestEncode, clock.Elapsed.TotalMicroseconds / all.Count);
                clock.Restart();
                foreach (var b in encoded) KeyRiskStateCodec.Decode(b, policy);
                if (pass > 0) bestDecode = Math.Min(bestDecode, clock.Elapsed.TotalMicroseconds / all.Count);
            }
            Console.WriteLine($"{name}: decode + encode {best:F1} µs per key state (fastest of 6 passes; encode {bestEncode:F1}, decode {bestDecode:F1}), {allocatedPerState:N0} B allocated");
        }
        long fleetV1 = 0;
        long fleetV2 = 0;
        foreach (var agg in fleet.Values)
        {
            using var ms = new MemoryStream();
            using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true)) agg.WriteTo(w);
            fleetV1 += ms.Length;
            fleetV2 += agg.Encode().Length;
        }
        Console.WriteLine($"fleet store: {fleet.Count:N0} entries ({fleet.Count / (double)states.Count:F2} per key); format 1 mean {fleetV1 / (double)Math.Max(1, fleet.Count):F0} B, format 2 mean {fleetV2 / (double)Math.Max(1, fleet.Count):F0} B; per key {fleetV1 / (double)states.Count:F0} B and {fleetV2 / (double)states.Count:F0} B");
        return 0;
    }

    private const long FleetSweepMs = 600_000;

    /// <summary>STATE_BYTES_ORDER=reverse times the current format first (to see whether the order matters).</summary>
    private static IEnumerable<T> Order<T>(T[] items) => Environment.GetEnvironmentVariable("STATE_BYTES_ORDER") == "reverse" ? items.Reverse() : items;
}
