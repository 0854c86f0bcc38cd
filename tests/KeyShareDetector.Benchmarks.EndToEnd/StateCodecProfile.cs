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
            }
            double Us(long ticks) => ticks * 1e6 / Stopwatch.Frequency / n;
            string what = pass == 0 ? "warm-up" : reuse ? "reused object" : "new objects";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"pass {pass} ({what}): {n:N0} records, stored state {storedBytes / (double)n:F0} B per record; decode {Us(decodeTicks):F2} µs {decodeBytes / n:N0} B; " +
                $"engine {Us(engineTicks):F2} µs {engineBytes / n:N0} B; encode and copy {Us(encodeTicks):F2} µs {encodeBytes / n:N0} B"));
        }
        return 0;
    }
}
