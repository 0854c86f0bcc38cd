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
    private readonly Dictionary<string, byte[]> _store = new(StringComparer.Ordinal);

    private RecentCommandIds Ids(long passed = 0) => new(Get, (k, v) => _store[k] = v, k => _store.Remove(k), passed);

    private byte[]? Get(string key) => _store.GetValueOrDefault(key);

    [Fact]
    public void An_id_is_remembered_once_and_survives_a_round_trip()
    {
        var ids = Ids();
        Assert.True(ids.Add("c1"));
        Assert.False(ids.Add("c1"));

        var restored = RoundTrip(ids);

        Assert.True(restored.Contains("c1"));
        Assert.False(restored.Contains("c2"));
        Assert.Equal(1, restored.Passed);
    }

    [Fact]
    public void Past_its_capacity_the_oldest_id_is_forgotten_and_the_store_stays_bounded()
    {
        var ids = Ids();
        for (int i = 0; i <= RecentCommandIds.Capacity; i++) ids.Add($"c{i}");

        var restored = RoundTrip(ids);
        restored.Add("d");

        Assert.False(restored.Contains("c0"));
        Assert.False(restored.Contains("c1"));
        Assert.True(restored.Contains("c2"));
        Assert.True(restored.Contains($"c{RecentCommandIds.Capacity}"));
        Assert.True(restored.Contains("d"));
        // One entry per remembered id and one per slot, however many have passed.
        Assert.Equal(2 * RecentCommandIds.Capacity, _store.Count);
    }

    /// <summary>A breaker state written before the ids became entries carries them inline: they are moved into entries.</summary>
    [Fact]
    public void Ids_in_the_inline_format_are_read_into_entries()
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(RecentCommandIds.InlineFormat);
            w.Write(2);
            w.Write("old1");
            w.Write("old2");
            w.Write("breaker state follows");
        }
        ms.Position = 0;
        using var r = new BinaryReader(ms);

        var ids = RecentCommandIds.ReadPosition(r, Get, (k, v) => _store[k] = v, k => _store.Remove(k));

        Assert.True(ids.Contains("old1"));
        Assert.True(ids.Contains("old2"));
        Assert.Equal(2, ids.Passed);
        Assert.Equal("breaker state follows", r.ReadString());
    }

    [Fact]
    public void An_unknown_format_is_an_error()
    {
        using var r = new BinaryReader(new MemoryStream([7, 0, 0, 0, 0]));
        Assert.Throws<InvalidDataException>(() => RecentCommandIds.ReadPosition(r, Get, (k, v) => _store[k] = v, k => _store.Remove(k)));
    }

    private RecentCommandIds RoundTrip(RecentCommandIds ids)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) ids.WritePosition(w);
        ms.Position = 0;
        using var r = new BinaryReader(ms);
        return RecentCommandIds.ReadPosition(r, Get, (k, v) => _store[k] = v, k => _store.Remove(k));
    }
}
