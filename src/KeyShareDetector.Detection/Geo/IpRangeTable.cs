using System.Net;
using System.Numerics;

namespace KeyShareDetector.Detection.Geo;

/// <summary>
/// Sorted, non-overlapping inclusive IP ranges, each mapped to an index into a caller-held value array.
/// IPv4 ranges are kept as <see cref="uint"/>, IPv6 as <see cref="UInt128"/>; IPv4-mapped IPv6 addresses are
/// looked up (and stored) as IPv4. Lookup is a binary search and allocates nothing.
/// </summary>
public sealed class IpRangeTable
{
    private readonly uint[] _v4First;
    private readonly uint[] _v4Last;
    private readonly int[] _v4Value;
    private readonly UInt128[] _v6First;
    private readonly UInt128[] _v6Last;
    private readonly int[] _v6Value;

    private IpRangeTable(uint[] v4First, uint[] v4Last, int[] v4Value, UInt128[] v6First, UInt128[] v6Last, int[] v6Value)
    {
        _v4First = v4First;
        _v4Last = v4Last;
        _v4Value = v4Value;
        _v6First = v6First;
        _v6Last = v6Last;
        _v6Value = v6Value;
    }

    public static IpRangeTable Empty { get; } = new([], [], [], [], [], []);

    /// <summary>Number of IPv4 ranges after adjacent ranges with the same value were merged.</summary>
    public int V4RangeCount => _v4First.Length;

    /// <summary>Number of IPv6 ranges after adjacent ranges with the same value were merged.</summary>
    public int V6RangeCount => _v6First.Length;

    /// <summary>The value index of the range holding <paramref name="address"/>, or -1 when no range does.</summary>
    public int Find(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return IpNumber.Read(address, out uint v4, out UInt128 v6) switch
        {
            4 => Search(_v4First, _v4Last, _v4Value, v4),
            6 => Search(_v6First, _v6Last, _v6Value, v6),
            _ => -1,
        };
    }

    private static int Search<T>(T[] first, T[] last, int[] values, T key)
        where T : struct, IComparisonOperators<T, T, bool>
    {
        // The last range starting at or before the key is the only one that can hold it.
        int lo = 0;
        int hi = first.Length - 1;
        int candidate = -1;
        while (lo <= hi)
        {
            int mid = lo + ((hi - lo) >> 1);
            if (first[mid] <= key)
            {
                candidate = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return candidate >= 0 && key <= last[candidate] ? values[candidate] : -1;
    }

    /// <summary>Collects ranges in any order; <see cref="Build"/> sorts them and rejects overlaps.</summary>
    public sealed class Builder
    {
        private readonly List<Entry<uint>> _v4 = [];
        private readonly List<Entry<UInt128>> _v6 = [];

        public int Count => _v4.Count + _v6.Count;

        /// <summary>Adds the inclusive range <paramref name="first"/>..<paramref name="last"/>.</summary>
        /// <param name="value">Index into the caller's value array (non-negative).</param>
        /// <param name="tag">Caller's label for the range (a line number, say), reported back on overlap.</param>
        public Builder Add(IPAddress first, IPAddress last, int value, long tag = 0)
        {
            ArgumentNullException.ThrowIfNull(first);
            ArgumentNullException.ThrowIfNull(last);
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            int firstFamily = IpNumber.Read(first, out uint a4, out UInt128 a6);
            int lastFamily = IpNumber.Read(last, out uint b4, out UInt128 b6);
            if (firstFamily != lastFamily)
            {
                throw new ArgumentException($"Range {first} - {last} mixes IPv4 and IPv6.", nameof(last));
            }
            if (firstFamily == 4) AddV4(a4, b4, value, tag, first, last);
            else AddV6(a6, b6, value, tag, first, last);
            return this;
        }

        /// <summary>Adds every address of a CIDR block.</summary>
        public Builder Add(IPNetwork network, int value, long tag = 0)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            int family = IpNumber.Bounds(network, out UInt128 first, out UInt128 last);
            if (family == 4) _v4.Add(new Entry<uint>((uint)first, (uint)last, value, tag));
            else _v6.Add(new Entry<UInt128>(first, last, value, tag));
            return this;
        }

        private void AddV4(uint first, uint last, int value, long tag, IPAddress a, IPAddress b)
        {
            if (first > last) throw new ArgumentException($"Range {a} - {b} ends before it starts.", nameof(b));
            _v4.Add(new Entry<uint>(first, last, value, tag));
        }

        private void AddV6(UInt128 first, UInt128 last, int value, long tag, IPAddress a, IPAddress b)
        {
            if (first > last) throw new ArgumentException($"Range {a} - {b} ends before it starts.", nameof(b));
            _v6.Add(new Entry<UInt128>(first, last, value, tag));
        }

        /// <exception cref="IpRangeOverlapException">Two ranges share an address.</exception>
        public IpRangeTable Build()
        {
            var (v4First, v4Last, v4Value) = Compact(_v4, IpNumber.FromV4);
            var (v6First, v6Last, v6Value) = Compact(_v6, IpNumber.FromV6);
            return new IpRangeTable(v4First, v4Last, v4Value, v6First, v6Last, v6Value);
        }

        private static (T[] First, T[] Last, int[] Value) Compact<T>(List<Entry<T>> entries, Func<T, IPAddress> show)
            where T : struct, IComparisonOperators<T, T, bool>, IAdditionOperators<T, T, T>, IComparable<T>, INumberBase<T>
        {
            entries.Sort(static (x, y) => x.First.CompareTo(y.First));
            var first = new List<T>(entries.Count);
            var last = new List<T>(entries.Count);
            var values = new List<int>(entries.Count);
            for (int i = 0; i < entries.Count; i++)
            {
                var e = entries[i];
                if (i > 0 && e.First <= entries[i - 1].Last)
                {
                    var p = entries[i - 1];
                    throw new IpRangeOverlapException(
                        $"IP ranges overlap: {show(p.First)} - {show(p.Last)} and {show(e.First)} - {show(e.Last)}.",
                        p.Tag,
                        e.Tag);
                }
                int n = values.Count;
                // Adjacent ranges with the same value become one: fewer entries, same answers.
                if (n > 0 && values[n - 1] == e.Value && last[n - 1] + T.One == e.First)
                {
                    last[n - 1] = e.Last;
                    continue;
                }
                first.Add(e.First);
                last.Add(e.Last);
                values.Add(e.Value);
            }
            return ([.. first], [.. last], [.. values]);
        }

        private readonly record struct Entry<T>(T First, T Last, int Value, long Tag);
    }
}
