namespace KeyShareDetector.Detection.Windows;

/// <summary>A hopping event-time window: size, hop (advance) and grace, all in milliseconds.</summary>
/// <remarks>Windows start on multiples of <see cref="HopMs"/> (epoch aligned), like Kafka Streams' hopping windows.</remarks>
public readonly record struct HoppingWindowSpec(long SizeMs, long HopMs, long GraceMs)
{
    /// <summary>The most buckets a counter keeps: one bit each in a 64-bit mask.</summary>
    public const int MaxBuckets = 64;

    /// <summary>Buckets (hops) per window (derived, not a setting).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int BucketsPerWindow => (int)(SizeMs / HopMs);

    /// <summary>Returns a message naming what is wrong, or null when the spec is usable.</summary>
    public string? Validate()
    {
        if (HopMs <= 0) return "window hop must be > 0 ms";
        if (SizeMs < HopMs) return "window size must be >= hop";
        if (SizeMs % HopMs != 0) return "window size must be a multiple of the hop";
        if (GraceMs < 0) return "window grace must be >= 0 ms";
        // Buckets alive at once: a full window plus the grace period plus the bucket being filled.
        long live = (SizeMs + GraceMs) / HopMs + 2;
        if (live > MaxBuckets) return $"(size + grace) / hop must be at most {MaxBuckets - 2} buckets";
        return null;
    }

    public long BucketOf(long ts) => FloorDiv(ts, HopMs);

    public long WindowStart(long startBucket) => startBucket * HopMs;

    public long WindowEnd(long startBucket) => startBucket * HopMs + SizeMs;

    /// <summary>A window starting at bucket <paramref name="startBucket"/> accepts no more records once stream time reaches end + grace.</summary>
    public bool IsClosed(long startBucket, long streamTime) => WindowEnd(startBucket) + GraceMs <= streamTime;

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : ((a + 1) / b) - 1;
}
