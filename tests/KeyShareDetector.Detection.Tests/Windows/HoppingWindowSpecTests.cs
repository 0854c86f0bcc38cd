using KeyShareDetector.Detection.Windows;

namespace KeyShareDetector.Detection.Tests.Windows;

public class HoppingWindowSpecTests
{
    [Fact]
    public void Negative_times_fall_in_the_bucket_below()
    {
        var spec = new HoppingWindowSpec(600_000, 60_000, 0);
        Assert.Equal(-1, spec.BucketOf(-1));
        Assert.Equal(0, spec.BucketOf(59_999));
    }

    [Fact]
    public void A_window_closes_at_end_plus_grace()
    {
        var spec = new HoppingWindowSpec(600_000, 60_000, 30_000);
        Assert.False(spec.IsClosed(0, 629_999));
        Assert.True(spec.IsClosed(0, 630_000));
    }

    [Theory]
    [InlineData(600_000, 0, 0, "hop")]
    [InlineData(600_000, 70_000, 0, "multiple")]
    [InlineData(600_000, 60_000, -1, "grace")]
    [InlineData(600_000, 5_000, 0, "buckets")]
    public void Unusable_specs_are_named(long size, long hop, long grace, string expected)
    {
        Assert.Contains(expected, new HoppingWindowSpec(size, hop, grace).Validate(), StringComparison.Ordinal);
    }
}
