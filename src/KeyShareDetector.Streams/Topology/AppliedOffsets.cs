using System.Buffers.Binary;
using Confluent.Kafka;
using KeyShareDetector.Detection.Sketches;

namespace KeyShareDetector.Streams.Topology;

/// <summary>
/// The highest source offset a stage has applied to one stored entry, per source topic-partition. A record at or
/// below it was applied before and is redelivered (a restart that re-reads its input, a retried transaction): the
/// stage skips it, so a re-read input decides nothing twice and re-emits nothing.
/// </summary>
/// <remarks>
/// Kept in a small versioned header in front of the stage's own state bytes, in the same store value, so the mark
/// and the state it describes reach the changelog in one record. Values without the header (written before it
/// existed) read as "nothing applied". Within one topic-partition a key's records arrive in offset order, so one
/// number per partition suffices. Bounded: at most <see cref="MaxPartitions"/> partitions, the least recently
/// advanced one dropped first (a key meets a handful: the four inputs, the re-key and feedback topics).
/// </remarks>
public sealed class AppliedOffsets
{
    /// <summary>First byte of a value with the header; no state format of ours starts with it.</summary>
    public const byte Marker = 0xA5;

    private const byte Format = 1;
    private const int EntrySize = 8 + 4 + 8;

    /// <summary>Most source partitions remembered per entry.</summary>
    public const int MaxPartitions = 16;

    // Oldest advance first.
    private readonly List<Entry> _entries;

    private readonly record struct Entry(ulong Topic, int Partition, long Offset);

    private AppliedOffsets(List<Entry> entries) => _entries = entries;

    /// <summary>Nothing applied yet.</summary>
    public static AppliedOffsets None() => new([]);

    /// <summary>Partitions remembered.</summary>
    public int Count => _entries.Count;

    /// <summary>Reads the header of a stored value; <paramref name="payloadStart"/> is where the stage's own bytes begin.</summary>
    public static AppliedOffsets Read(byte[]? stored, out int payloadStart)
    {
        payloadStart = 0;
        if (stored is null || stored.Length == 0 || stored[0] != Marker) return None();
        if (stored.Length < 3 || stored[1] != Format) throw new InvalidDataException($"unknown applied-offsets format {(stored.Length > 1 ? stored[1] : -1)}");
        int n = stored[2];
        payloadStart = 3 + (n * EntrySize);
        if (n > MaxPartitions || stored.Length < payloadStart) throw new InvalidDataException("truncated applied-offsets header");
        var entries = new List<Entry>(n + 1);
        var span = stored.AsSpan(3);
        for (int i = 0; i < n; i++, span = span[EntrySize..])
        {
            entries.Add(new Entry(BinaryPrimitives.ReadUInt64LittleEndian(span), BinaryPrimitives.ReadInt32LittleEndian(span[8..]),
                BinaryPrimitives.ReadInt64LittleEndian(span[12..])));
        }
        return new AppliedOffsets(entries);
    }

    /// <summary>The stage's own bytes of a stored value, without the header.</summary>
    public static ReadOnlySpan<byte> Payload(byte[] stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        Read(stored, out int start);
        return stored.AsSpan(start);
    }

    /// <summary>True when <paramref name="source"/> is at or below what was applied from its partition. A record
    /// without coordinates (offset unknown) is never taken for a redelivery.</summary>
    public bool IsRedelivered(TopicPartitionOffset? source)
    {
        if (source is null || source.Offset.Value < 0) return false;
        int i = IndexOf(XxHash64.HashString(source.Topic), source.Partition.Value);
        return i >= 0 && source.Offset.Value <= _entries[i].Offset;
    }

    /// <summary>Records that <paramref name="source"/> has been applied.</summary>
    public void Advance(TopicPartitionOffset? source)
    {
        if (source is null || source.Offset.Value < 0) return;
        ulong topic = XxHash64.HashString(source.Topic);
        int partition = source.Partition.Value;
        int i = IndexOf(topic, partition);
        if (i >= 0)
        {
            long offset = Math.Max(_entries[i].Offset, source.Offset.Value);
            _entries.RemoveAt(i);
            _entries.Add(new Entry(topic, partition, offset));
            return;
        }
        if (_entries.Count == MaxPartitions) _entries.RemoveAt(0);
        _entries.Add(new Entry(topic, partition, source.Offset.Value));
    }

    /// <summary>The value to store: this header, then <paramref name="payload"/>.</summary>
    public byte[] Prepend(ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[3 + (_entries.Count * EntrySize) + payload.Length];
        bytes[0] = Marker;
        bytes[1] = Format;
        bytes[2] = (byte)_entries.Count;
        var span = bytes.AsSpan(3);
        foreach (var e in _entries)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span, e.Topic);
            BinaryPrimitives.WriteInt32LittleEndian(span[8..], e.Partition);
            BinaryPrimitives.WriteInt64LittleEndian(span[12..], e.Offset);
            span = span[EntrySize..];
        }
        payload.CopyTo(span);
        return bytes;
    }

    private int IndexOf(ulong topic, int partition)
    {
        for (int i = 0; i < _entries.Count; i++)
        {
            if (_entries[i].Topic == topic && _entries[i].Partition == partition) return i;
        }
        return -1;
    }
}
