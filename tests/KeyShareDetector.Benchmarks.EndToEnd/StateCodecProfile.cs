using System.Diagnostics;
using System.Globalization;
using KeyShareDetector.Detection;
using KeyShareDetector.Detection.State;
using KeyShareDetector.Simulator;

namespace KeyShareDetector.Benchmarks.EndToEnd;

/// <summary>
/// `state-codec` mode: what the per-key stream stage spends per record on the key's state, without Kafka. Every record
/// of the end-to-end run's mix, in order, goes through what <c>KeyRiskTransformer</c> does with it: decode the stored
/// state, apply the record (<see cref="KeyRiskEngine"/>), encode the state and keep a copy as the store would. Reports
/// time and bytes allocated per record for each of the three, weighted by records as the stream sees them (busy keys
/// have large states), with states decoded into new objects and into one reused object (as the stage does), in
/// alternating passes after a warm-up pass. One thread; times are this machine's, allocation is the code's.
/// </summary>
internal static class StateCodecProfile
{
    public const string Mode = "state-codec";

    public static int Run(string[] args)
    {
        var options = new Dictionary<string, int> { ["keys"] = 50_000, ["events"] = 1_000_000, ["passes"] = 4 };
        if (!OfflineMode.TryParse(args, options)) return 2;
        int passes = options["passes"];
        var (scenario, _) = BenchScenario.Generate(options["keys"], options["events"], 1, m => Console.Error.WriteLine(m));
        var engine = OfflineMode.Engine(Mode);
        var policy = engine.Policy;
        // Pass 0 warms up (tiered compilation); then new objects and the reused one alternate.
        for (int pass = 0; pass <= passes; pass++)
        {
            bool reuse = pass % 2 == 0;
            var store = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            var scratch = new MemoryStream(8192);
            KeyRiskState? reused = null;
            long n = 0, storedBytes = 0, decodeTicks = 0, decodeBytes = 0, engineTicks = 0, engineBytes = 0, encodeTicks = 0, encodeBytes = 0;
            // The same by input topic: records, state bytes read, and decode / engine / encode ticks.
            var kinds = new long[Enum.GetValues<SimTopic>().Length, 5];
            foreach (var r in scenario.Records)
            {
                n++;
                long a0 = GC.GetAllocatedBytesForCurrentThread(), t0 = Stopwatch.GetTimestamp();
                KeyRiskState state;
                if (store.TryGetValue(r.Key, out var stored))
                {
                    storedBytes += stored.Length;
                    state = reuse
                        ? reused = KeyRiskStateCodec.Decode(new ArraySegment<byte>(stored), policy, reused)
                        : KeyRiskStateCodec.Decode(new ArraySegment<byte>(stored), policy);
                }
                else
                {
                    state = engine.NewState(r.Key);
                }
                long a1 = GC.GetAllocatedBytesForCurrentThread(), t1 = Stopwatch.GetTimestamp();
                switch (r.Topic)
                {
                    case SimTopic.Access: engine.OnAccess(state, r.Access!); break;
                    case SimTopic.Orders: engine.OnOrder(state, r.Order!); break;
                    case SimTopic.Lifecycle: engine.OnLifecycle(state, r.Lifecycle!); break;
                    case SimTopic.Registry: engine.OnRegistry(state, r.Registry!); break;
                }
                long a2 = GC.GetAllocatedBytesForCurrentThread(), t2 = Stopwatch.GetTimestamp();
                store[r.Key] = KeyRiskStateCodec.EncodeInPlace(state, scratch).ToArray();
                long a3 = GC.GetAllocatedBytesForCurrentThread(), t3 = Stopwatch.GetTimestamp();
                decodeTicks += t1 - t0;
                decodeBytes += a1 - a0;
                engineTicks += t2 - t1;
                engineBytes += a2 - a1;
                encodeTicks += t3 - t2;
                encodeBytes += a3 - a2;
                int k = (int)r.Topic;
                kinds[k, 0]++;
                kinds[k, 1] += stored?.Length ?? 0;
                kinds[k, 2] += t1 - t0;
                kinds[k, 3] += t2 - t1;
                kinds[k, 4] += t3 - t2;
            }
            double Us(long ticks) => ticks * 1e6 / Stopwatch.Frequency / n;
            string what = pass == 0 ? "warm-up" : reuse ? "reused object" : "new objects";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"pass {pass} ({what}): {n:N0} records, stored state {storedBytes / (double)n:F0} B per record; decode {Us(decodeTicks):F2} µs {decodeBytes / n:N0} B; " +
                $"engine {Us(engineTicks):F2} µs {engineBytes / n:N0} B; encode and copy {Us(encodeTicks):F2} µs {encodeBytes / n:N0} B"));
            if (pass == passes)
            {
                // Where the time goes by input: share of all records, then per record of that input.
                foreach (SimTopic t in Enum.GetValues<SimTopic>())
                {
                    long c = kinds[(int)t, 0];
                    if (c == 0) continue;
                    double Per(int i) => kinds[(int)t, i] * 1e6 / Stopwatch.Frequency / c;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {t}: {c * 100.0 / n:F1} % of records, stored state {kinds[(int)t, 1] / (double)c:F0} B; decode {Per(2):F2} µs, engine {Per(3):F2} µs, encode and copy {Per(4):F2} µs; " +
                        $"{(kinds[(int)t, 2] + kinds[(int)t, 3] + kinds[(int)t, 4]) * 100.0 / (decodeTicks + engineTicks + encodeTicks):F1} % of the time"));
                }
            }
        }
        return 0;
    }
}
