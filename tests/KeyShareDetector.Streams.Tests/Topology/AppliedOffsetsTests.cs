using Confluent.Kafka;
using KeyShareDetector.Streams.Topology;

namespace KeyShareDetector.Streams.Tests.Topology;

public sealed class AppliedOffsetsTests
{
    private static TopicPartitionOffset At(string topic, int partition, long offset) => new(topic, partition, offset);

    private static AppliedOffsets RoundTrip(AppliedOffsets applied, byte[] payload, out byte[] stored, out int start)
    {
        stored = applied.Prepend(payload);
        return AppliedOffsets.Read(stored, out start);
    }

    [Fact]
    public void A_record_at_or_below_the_applied_offset_of_its_partition_is_a_redelivery_and_a_later_one_is_not()
    {
        var applied = AppliedOffsets.None();
        applied.Advance(At("access", 1, 41));

        var restored = RoundTrip(applied, [6, 7, 8], out _, out _);

        Assert.True(restored.IsRedelivered(At("access", 1, 41)));
        Assert.True(restored.IsRedelivered(At("access", 1, 3)));
        Assert.False(restored.IsRedelivered(At("access", 1, 42)));
        Assert.False(restored.IsRedelivered(At("access", 0, 3)));
        Assert.False(restored.IsRedelivered(At("orders", 1, 3)));
    }

    [Fact]
    public void The_stage_state_follows_the_header_unchanged()
    {
        var applied = AppliedOffsets.None();
        applied.Advance(At("access", 0, 5));
        applied.Advance(At("keyshare-detector-key-feedback", 0, 9));
        byte[] payload = [6, 1, 2, 3, 255];

        RoundTrip(applied, payload, out var stored, out int start);

        Assert.Equal(AppliedOffsets.Marker, stored[0]);
        Assert.Equal(payload, stored[start..]);
        Assert.Equal(payload, AppliedOffsets.Payload(stored).ToArray());
    }

    [Fact]
    public void A_value_written_before_the_header_existed_reads_as_nothing_applied_and_whole()
    {
        byte[] legacy = [6, 10, 20, 30];

        var applied = AppliedOffsets.Read(legacy, out int start);

        Assert.Equal(0, start);
        Assert.Equal(0, applied.Count);
        Assert.False(applied.IsRedelivered(At("access", 0, 0)));
        Assert.Equal(legacy, AppliedOffsets.Payload(legacy).ToArray());
    }

    [Fact]
    public void A_record_without_an_offset_is_never_taken_for_a_redelivery_nor_remembered()
    {
        var applied = AppliedOffsets.None();
        applied.Advance(At("access", 0, Offset.Unset));
        applied.Advance(null);

        Assert.Equal(0, applied.Count);
        Assert.False(applied.IsRedelivered(At("access", 0, Offset.Unset)));
        Assert.False(applied.IsRedelivered(null));
    }

    [Fact]
    public void The_offset_never_moves_back()
    {
        var applied = AppliedOffsets.None();
        applied.Advance(At("access", 0, 10));
        applied.Advance(At("access", 0, 4));

        Assert.True(applied.IsRedelivered(At("access", 0, 10)));
    }

    [Fact]
    public void Past_the_cap_the_least_recently_advanced_partition_is_forgotten()
    {
        var applied = AppliedOffsets.None();
        for (int p = 0; p < AppliedOffsets.MaxPartitions; p++) applied.Advance(At("access", p, 100));
        applied.Advance(At("access", 0, 101)); // partition 0 is now the most recent
        applied.Advance(At("orders", 0, 7));   // one too many: partition 1 goes

        var restored = RoundTrip(applied, [], out _, out _);

        Assert.Equal(AppliedOffsets.MaxPartitions, restored.Count);
        Assert.True(restored.IsRedelivered(At("access", 0, 101)));
        Assert.False(restored.IsRedelivered(At("access", 1, 100)));
        Assert.True(restored.IsRedelivered(At("access", 2, 100)));
        Assert.True(restored.IsRedelivered(At("orders", 0, 7)));
    }

    [Fact]
    public void A_truncated_header_is_an_error_not_a_silent_reset()
    {
        var applied = AppliedOffsets.None();
        applied.Advance(At("access", 0, 5));
        var stored = applied.Prepend([]);

        Assert.Throws<InvalidDataException>(() => AppliedOffsets.Read(stored[..^1], out _));
    }
}

public sealed class RecentCommandIdsTests
{
    [Fact]
    public void An_id_is_remembered_once_and_survives_a_round_trip()
    {
        var ids = new RecentCommandIds();
        Assert.True(ids.Add("c1"));
        Assert.False(ids.Add("c1"));

        var restored = RoundTrip(ids);

        Assert.True(restored.Contains("c1"));
        Assert.False(restored.Contains("c2"));
        Assert.Equal(1, restored.Count);
    }

    [Fact]
    public void Past_its_capacity_the_oldest_id_is_forgotten()
    {
        var ids = new RecentCommandIds();
        for (int i = 0; i <= RecentCommandIds.Capacity; i++) ids.Add($"c{i}");

        var restored = RoundTrip(ids);

        Assert.Equal(RecentCommandIds.Capacity, restored.Count);
        Assert.False(restored.Contains("c0"));
        Assert.True(restored.Contains("c1"));
        Assert.True(restored.Contains($"c{RecentCommandIds.Capacity}"));
    }

    private static RecentCommandIds RoundTrip(RecentCommandIds ids)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) ids.WriteTo(w);
        ms.Position = 0;
        using var r = new BinaryReader(ms);
        return RecentCommandIds.ReadFrom(r);
    }
}
