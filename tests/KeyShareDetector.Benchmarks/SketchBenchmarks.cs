using BenchmarkDotNet.Attributes;
using KeyShareDetector.Detection.Sketches;

namespace KeyShareDetector.Benchmarks;

/// <summary><see cref="HyperLogLog"/> and <see cref="XxHash64"/>, the building blocks of sketch mode.</summary>
[MemoryDiagnoser]
public class SketchBenchmarks
{
    private const int Ops = 1024;
    private const int BucketsPerWindow = 10;

    private readonly ulong[] _hashes = Members.Hashes(Ops);
    private readonly HyperLogLog[] _buckets = new HyperLogLog[BucketsPerWindow];
    private HyperLogLog _sketch = null!;
    private HyperLogLog _window = null!;

    [Params(10, 12)]
    public int Precision { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _sketch = new HyperLogLog(Precision);
        _window = new HyperLogLog(Precision);
        foreach (ulong h in Members.Hashes(50_000, stream: 1)) _sketch.Add(h);
        for (int b = 0; b < BucketsPerWindow; b++)
        {
            _buckets[b] = new HyperLogLog(Precision);
            foreach (ulong h in Members.Hashes(5_000, stream: 10 + (ulong)b)) _buckets[b].Add(h);
        }
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public void Add()
    {
        var sketch = _sketch;
        var hashes = _hashes;
        for (int i = 0; i < hashes.Length; i++) sketch.Add(hashes[i]);
    }

    [Benchmark]
    public double Estimate() => _sketch.Estimate();

    /// <summary>What a sketch-mode CountWindow costs when a bucket changed: merge the window's ten bucket sketches, then estimate.</summary>
    [Benchmark]
    public double MergeWindowAndEstimate()
    {
        _window.Clear();
        foreach (var bucket in _buckets) _window.Merge(bucket);
        return _window.Estimate();
    }
}

/// <summary>The member hash, over the strings the IP-diversity counters see.</summary>
[MemoryDiagnoser]
public class MemberHashBenchmarks
{
    [Params("203.0.113.195", "2001:db8:85a3::8a2e:370:7334")]
    public string Member { get; set; } = "";

    [Benchmark]
    public ulong HashString() => XxHash64.HashString(Member);
}
