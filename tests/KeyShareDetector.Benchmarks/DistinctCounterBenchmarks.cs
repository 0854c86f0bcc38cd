using BenchmarkDotNet.Attributes;
using KeyShareDetector.Detection.Windows;

namespace KeyShareDetector.Benchmarks;

/// <summary>
/// <see cref="HoppingDistinctCounter"/>, the IP-diversity aggregate's per-event work: one Add per counter per access,
/// one CountWindow per open window. Times are per operation (OperationsPerInvoke).
/// </summary>
[MemoryDiagnoser]
public class DistinctCounterBenchmarks
{
    private const int Ops = 256;
    private const int Cap = 256;
    private static readonly HoppingWindowSpec Spec = new(SizeMs: 600_000, HopMs: 60_000, GraceMs: 30_000);

    private readonly string[] _members = Members.Ips(Cap);
    private readonly string[] _hostile = Members.Ips(20_000, offset: 1_000_000);
    private HoppingDistinctCounter _exact = null!;
    private HoppingDistinctCounter _sketched = null!;
    private HoppingDistinctCounter _filling = null!;

    [GlobalSetup]
    public void Setup()
    {
        _exact = new HoppingDistinctCounter(Spec, Cap);
        _filling = new HoppingDistinctCounter(Spec, Cap);
        _sketched = new HoppingDistinctCounter(Spec, Cap);
        for (int i = 0; i < _members.Length; i++) _exact.Add(_members[i], 100 + (i % 10));
        // A hostile key: 20k distinct IPs over the window's ten buckets, so the counter is in sketch mode.
        for (int i = 0; i < _hostile.Length; i++) _sketched.Add(_hostile[i], 100 + (i % 10));
        if (!_sketched.IsEstimating) throw new InvalidOperationException("the hostile counter should be estimating");
    }

    /// <summary>The steady path: a key's known IP seen again.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    public void AddExistingMember()
    {
        var counter = _exact;
        var members = _members;
        for (int i = 0; i < Ops; i++) counter.Add(members[i], 109);
    }

    /// <summary>Past the cap: hash, bucket sketch and evidence-sample lookup.</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public void AddMemberInSketchMode()
    {
        var counter = _sketched;
        var members = _hostile;
        for (int i = 0; i < Ops; i++) counter.Add(members[i], 109);
    }

    /// <summary>New members up to the cap, then one Expire that drops them all (its cost is spread over the adds).</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public void AddNewMemberUpToCap()
    {
        var counter = _filling;
        var members = _members;
        for (int i = 0; i < Ops; i++) counter.Add(members[i], 100);
        counter.Expire(oldestLiveBucket: 200, newestBucket: 209);
    }

    /// <summary>Exact count of a window over 256 members.</summary>
    [Benchmark]
    public int CountWindowExact() => _exact.CountWindow(100);

    /// <summary>Sketch-mode count when nothing changed since the last count (the cached path a steady key takes).</summary>
    [Benchmark]
    public int CountWindowSketchUnchanged() => _sketched.CountWindow(100);
}
