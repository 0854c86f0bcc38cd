using KeyShareDetector.Detection.Windows;

namespace KeyShareDetector.Detection.Tests.Windows;

public class HoppingDistinctCounterTests
{
    private static readonly HoppingWindowSpec Spec = new(SizeMs: 600_000, HopMs: 60_000, GraceMs: 30_000);

    [Fact]
    public void A_member_seen_twice_counts_once_in_a_window()
    {
        var c = new HoppingDistinctCounter(Spec, 16);
        c.Add("1.1.1.1", 100);
        c.Add("1.1.1.1", 101);
        c.Add("2.2.2.2", 101);
        Assert.Equal(2, c.CountWindow(92));
        Assert.Equal(2, c.CountWindow(100));
    }

    [Fact]
    public void A_window_counts_only_members_seen_in_its_buckets()
    {
        var c = new HoppingDistinctCounter(Spec, 16);
        c.Add("a", 100);
        c.Add("b", 109);
        c.Add("c", 110);
        // Window [100, 110) covers buckets 100..109: a and b, not c.
        Assert.Equal(2, c.CountWindow(100));
        // Window [101, 111) covers b and c.
        Assert.Equal(2, c.CountWindow(101));
        // Window [91, 101) covers a only.
        Assert.Equal(1, c.CountWindow(91));
    }

    [Fact]
    public void Expiry_drops_members_seen_only_in_dead_buckets()
    {
        var c = new HoppingDistinctCounter(Spec, 16);
        c.Add("old", 100);
        c.Add("new", 120);
        c.Expire(oldestLiveBucket: 111, newestBucket: 120);
        Assert.Equal(1, c.TrackedMembers);
        Assert.Equal(1, c.CountWindow(111));
    }

    [Fact]
    public void Stale_bits_do_not_leak_into_a_bucket_reused_by_the_ring()
    {
        var c = new HoppingDistinctCounter(Spec, 16);
        c.Add("x", 100);
        c.Add("x", 130);
        c.Expire(oldestLiveBucket: 121, newestBucket: 130);
        // Bucket 164 shares ring slot 100 % 64 with bucket 100; x was seen there long ago, not now.
        c.Expire(oldestLiveBucket: 155, newestBucket: 164);
        Assert.Equal(0, c.TrackedMembers);
        c.Add("y", 164);
        Assert.Equal(1, c.CountWindow(155));
    }

    [Fact]
    public void Members_beyond_the_cap_are_not_tracked_and_the_overflow_is_reported()
    {
        var c = new HoppingDistinctCounter(Spec, 3);
        for (int i = 0; i < 10; i++) c.Add("ip" + i, 100);
        Assert.Equal(3, c.TrackedMembers);
        Assert.True(c.Overflowed);
    }

    [Fact]
    public void Members_of_a_window_are_sorted_and_capped()
    {
        var c = new HoppingDistinctCounter(Spec, 16);
        foreach (var m in new[] { "c", "a", "d", "b" }) c.Add(m, 100);
        Assert.Equal(["a", "b", "c"], c.MembersOfWindow(100, 3));
    }

    [Theory]
    [InlineData(0, 10, 0x3FFUL)]
    [InlineData(60, 10, 0xF00000000000003FUL)]
    [InlineData(-1, 2, 0x8000000000000001UL)]
    public void Ring_masks_wrap_around(long first, int count, ulong expected)
    {
        Assert.Equal(expected, HoppingDistinctCounter.MaskOf(first, count));
    }
}
