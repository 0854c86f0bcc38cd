using FsCheck;
using FsCheck.Fluent;

namespace KeyShareDetector.Detection.Tests.Sketches;

/// <summary><paramref name="Size"/> distinct hashes (stream <paramref name="Stream"/>) in a sketch of precision <paramref name="Precision"/>.</summary>
public sealed record DistinctSet(int Precision, int Size, ulong Stream)
{
    /// <summary>Distinct hashes: SplitMix64's finalizer is a bijection, so distinct inputs give distinct outputs.</summary>
    public IEnumerable<ulong> Hashes()
    {
        for (int i = 0; i < Size; i++) yield return TestHashes.Mix((Stream << 32) + (ulong)i);
    }
}

/// <summary>FsCheck generators for the sketch properties.</summary>
public static class SketchCases
{
    public static Arbitrary<DistinctSet> DistinctSets() => (
        from precision in Gen.Elements(10, 12, 14)
        from size in Gen.Choose(1_000, 200_000)
        from stream in Gen.Choose(0, int.MaxValue)
        select new DistinctSet(precision, size, (ulong)stream)).ToArbitrary();
}

internal static class TestHashes
{
    /// <summary>SplitMix64: spreads small generated numbers over all 64 bits, as a real hash would.</summary>
    public static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
