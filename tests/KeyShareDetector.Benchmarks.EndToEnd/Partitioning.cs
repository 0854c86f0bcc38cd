using System.Text;
using KeyShareDetector.Simulator;

namespace KeyShareDetector.Benchmarks.EndToEnd;

/// <summary>
/// Where the producers put each record (murmur2 of the key, Java's default partitioner and librdkafka's
/// murmur2_random), so that the partition count can be chosen before loading: the embedded broker keeps only the
/// newest 5 MB (or 100,000 message sets) of each partition and silently drops older data.
/// </summary>
internal static class Partitioning
{
    /// <summary>The mock partition's byte cap (librdkafka rd_kafka_mock_partition, not configurable).</summary>
    public const long MockPartitionBytes = 5L << 20;

    /// <summary>Bytes a record takes in a batch besides key and value (varint lengths, deltas, attributes), rounded up.</summary>
    private const int RecordOverhead = 24;

    public static int Murmur2Partition(string key, int partitions)
    {
        byte[] data = Encoding.UTF8.GetBytes(key);
        return (int)((Murmur2(data) & 0x7fffffff) % (uint)partitions);
    }

    /// <summary>Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2).</summary>
    public static uint Murmur2(ReadOnlySpan<byte> data)
    {
        const uint m = 0x5bd1e995;
        const int r = 24;
        int length = data.Length;
        uint h = 0x9747b28c ^ (uint)length;
        int length4 = length / 4;
        for (int i = 0; i < length4; i++)
        {
            int i4 = i * 4;
            uint k = data[i4] | ((uint)data[i4 + 1] << 8) | ((uint)data[i4 + 2] << 16) | ((uint)data[i4 + 3] << 24);
            k *= m;
            k ^= k >> r;
            k *= m;
            h *= m;
            h ^= k;
        }
        int tail = length & ~3;
        switch (length % 4)
        {
            case 3:
                h ^= (uint)data[tail + 2] << 16;
                goto case 2;
            case 2:
                h ^= (uint)data[tail + 1] << 8;
                goto case 1;
            case 1:
                h ^= data[tail];
                h *= m;
                break;
            default:
                break;
        }
        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return h;
    }

    /// <summary>Records and bytes per (topic, partition) with <paramref name="partitions"/> partitions.</summary>
    public static (long[,] Records, long[,] Bytes) Spread(RecordLog log, int partitions)
    {
        int topics = Enum.GetValues<SimTopic>().Length;
        var records = new long[topics, partitions];
        var bytes = new long[topics, partitions];
        var cache = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < log.Count; i++)
        {
            string key = log.Key(i);
            if (!cache.TryGetValue(key, out int p)) cache[key] = p = Murmur2Partition(key, partitions);
            int t = (int)log.Topic(i);
            records[t, p]++;
            bytes[t, p] += log.Value(i).Length + Encoding.UTF8.GetByteCount(key) + RecordOverhead;
        }
        return (records, bytes);
    }

    /// <summary>
    /// The fewest partitions (a multiple of 8, at least 8) such that no input partition holds more than half the
    /// broker's cap: the other half is headroom for batch headers and for whatever the estimate misses.
    /// </summary>
    public static int Choose(RecordLog log)
    {
        for (int p = 8; p <= 512; p += 8)
        {
            if (Largest(log, p) <= MockPartitionBytes / 2) return p;
        }
        return 512;
    }

    public static long Largest(RecordLog log, int partitions)
    {
        var (_, bytes) = Spread(log, partitions);
        long max = 0;
        foreach (long b in bytes) max = Math.Max(max, b);
        return max;
    }
}
