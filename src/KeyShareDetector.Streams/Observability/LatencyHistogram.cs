namespace KeyShareDetector.Streams.Observability;

/// <summary>
/// A fixed-bucket histogram of durations in seconds, safe for many writers; an observation is a bucket search
/// and two interlocked adds, no allocation. Read as a Prometheus histogram (cumulative buckets, sum, count).
/// </summary>
public sealed class LatencyHistogram
{
    private readonly double[] _bounds;
    private readonly long[] _counts;
    private long _sumNanos;

    /// <param name="bounds">Upper bounds in seconds, ascending; an implicit +Inf bucket follows.</param>
    public LatencyHistogram(params double[] bounds)
    {
        ArgumentNullException.ThrowIfNull(bounds);
        if (bounds.Length == 0 || bounds.Zip(bounds.Skip(1)).Any(p => p.First >= p.Second))
        {
            throw new ArgumentException("bucket bounds must be non-empty and strictly ascending", nameof(bounds));
        }
        _bounds = bounds;
        _counts = new long[bounds.Length + 1];
    }

    public IReadOnlyList<double> Bounds => _bounds;

    public void Observe(TimeSpan elapsed) => Observe(elapsed.TotalSeconds);

    public void Observe(double seconds)
    {
        if (seconds < 0 || double.IsNaN(seconds)) seconds = 0;
        int i = 0;
        while (i < _bounds.Length && seconds > _bounds[i]) i++;
        Interlocked.Increment(ref _counts[i]);
        Interlocked.Add(ref _sumNanos, (long)Math.Min(seconds * 1e9, long.MaxValue / 4));
    }

    /// <summary>Cumulative counts per bound (the last one is +Inf), the sum in seconds and the count.</summary>
    public HistogramSnapshot Snapshot()
    {
        var cumulative = new long[_counts.Length];
        long running = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            running += Interlocked.Read(ref _counts[i]);
            cumulative[i] = running;
        }
        return new HistogramSnapshot(_bounds, cumulative, Interlocked.Read(ref _sumNanos) / 1e9);
    }
}

/// <summary>A reading of a <see cref="LatencyHistogram"/>.</summary>
/// <param name="Cumulative">Observations at or below each bound; one more entry than <paramref name="Bounds"/> (+Inf).</param>
public sealed record HistogramSnapshot(IReadOnlyList<double> Bounds, IReadOnlyList<long> Cumulative, double SumSeconds)
{
    public long Count => Cumulative[^1];
}
