using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using KeyShareDetector.Detection.Sketches;

namespace KeyShareDetector.Detection.Windows;

/// <summary>
/// Count of distinct members per hopping window, for one key: exact up to <see cref="MaxMembers"/> members, then
/// estimated with one HyperLogLog per hop bucket.
/// </summary>
/// <remarks>
/// <para>Exact mode: each member keeps a bitmask of the hop buckets (slots of a 64-slot ring) it was seen in, and a
/// window's count is the number of members whose mask meets the window's buckets.</para>
/// <para>Sketch mode: when a new member would exceed <see cref="MaxMembers"/>, the counter moves every member into
/// a HyperLogLog of each bucket it was seen in and from then on hashes members (<see cref="XxHash64"/>) into the
/// sketch of their bucket; a window's count is the estimate of the register-wise maximum of its buckets' sketches
/// (relative standard error 1.04 / sqrt(2^<see cref="SketchPrecision"/>): 3.3% at the default p = 10). The first
/// few members (the ordinally smallest at the switch, then arrivals while there is room, at most
/// <see cref="SampleSize"/> and never more than <see cref="MaxMembers"/>) stay exact, so
/// <see cref="MembersOfWindow"/> still names evidence.</para>
/// <para>Memory is bounded whatever a hostile key sends: exact mode holds at most <see cref="MaxMembers"/> members
/// (their strings, an 8-byte mask and ~24 bytes of dictionary entry each); sketch mode holds at most one sketch of
/// 2^p bytes per live bucket plus one scratch sketch, i.e. at most (64 + 1) * 2^p bytes (65 KB at p = 10), and
/// (size + grace) / hop + 3 sketches in practice (13 KB for a 10 min window, 1 min hop, 30 s grace at p = 10),
/// plus ~1.5 KB of window-count cache. Exceeding the cap sets <see cref="Overflowed"/>, which stays set: the
/// overflow is itself evidence of a hostile or abused key.</para>
/// </remarks>
public sealed class HoppingDistinctCounter
{
    /// <summary>Members kept by name in sketch mode, as evidence (never more than <see cref="MaxMembers"/>).</summary>
    public const int SampleSize = 16;

    /// <summary>Sketch precision unless the constructor says otherwise: 1 KB per live bucket, 3.3% standard error.</summary>
    public const int DefaultSketchPrecision = 10;

    private const int RingMask = HoppingWindowSpec.MaxBuckets - 1;

    // Serialization: the legacy layout (before sketches) was Overflowed, then a non-negative member count. A negative
    // int in that place is a format tag, so both layouts stay readable.
    private const int FormatV2Tag = -2;
    private const byte ModeExact = 0;
    private const byte ModeSketch = 1;

    private readonly HoppingWindowSpec _spec;
    private readonly int _initialPrecision;

    // A cleared counter whose member table grew beyond this (a hostile key's) gets a new one: clearing costs its capacity.
    private const int KeptTableCapacity = 256;

    // Exact mode: every member; sketch mode: the evidence sample. Value: bitmask of ring slots the member was seen in.
    private Dictionary<string, ulong> _members;

    // Sketch mode only (null in exact mode): one sketch per live ring slot, emptied sketches kept for reuse,
    // a scratch sketch for window merges, and the last count of each window start (valid while _version holds).
    private HyperLogLog?[]? _buckets;
    private Stack<HyperLogLog>? _spare;
    private HyperLogLog? _window;
    private WindowCount[]? _counts;
    private long _version = 1;

    /// <summary>A counter for windows of <paramref name="spec"/> that counts exactly up to <paramref name="maxMembers"/> members.</summary>
    /// <param name="spec">The hopping window; a window spans <see cref="HoppingWindowSpec.BucketsPerWindow"/> buckets.</param>
    /// <param name="maxMembers">Members counted exactly before the counter switches to sketches.</param>
    /// <param name="sketchPrecision">HyperLogLog precision p (4..16) of the bucket sketches: 2^p bytes per live bucket.</param>
    public HoppingDistinctCounter(HoppingWindowSpec spec, int maxMembers, int sketchPrecision = DefaultSketchPrecision)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxMembers);
        ArgumentOutOfRangeException.ThrowIfLessThan(sketchPrecision, HyperLogLog.MinPrecision);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sketchPrecision, HyperLogLog.MaxPrecision);
        _spec = spec;
        MaxMembers = maxMembers;
        SketchPrecision = sketchPrecision;
        _initialPrecision = sketchPrecision;
        _members = new Dictionary<string, ulong>(StringComparer.Ordinal);
    }

    public int MaxMembers { get; }

    /// <summary>Precision p of the bucket sketches (a restored counter keeps the precision it was written with).</summary>
    public int SketchPrecision { get; private set; }

    /// <summary>True once a member arrived beyond <see cref="MaxMembers"/>; stays true.</summary>
    public bool Overflowed { get; internal set; }

    /// <summary>True while counts are HyperLogLog estimates (after an overflow, until every sketched bucket expired).</summary>
    public bool IsEstimating => _buckets is not null;

    /// <summary>Members held by name: all of them in exact mode, the evidence sample in sketch mode.</summary>
    public int TrackedMembers => _members.Count;

    /// <summary>Sketches held (live buckets, emptied ones kept for reuse, the scratch one): 0 in exact mode.</summary>
    internal int AllocatedSketches
    {
        get
        {
            if (_buckets is null) return 0;
            int n = _spare!.Count + 1;
            foreach (var sketch in _buckets)
            {
                if (sketch is not null) n++;
            }
            return n;
        }
    }

    /// <summary>Register bytes held by sketches.</summary>
    internal long SketchBytes => (long)AllocatedSketches << SketchPrecision;

    private int SampleCapacity => Math.Min(SampleSize, MaxMembers);

    /// <summary>Records that <paramref name="member"/> was seen in <paramref name="bucket"/>.</summary>
    /// <remarks>Allocation-free for a member already tracked, and in sketch mode once its bucket has a sketch.</remarks>
    public void Add(string member, long bucket)
    {
        ArgumentNullException.ThrowIfNull(member);
        int slot = (int)(bucket & RingMask);
        ulong bit = 1UL << slot;
        ref ulong mask = ref CollectionsMarshal.GetValueRefOrNullRef(_members, member);
        bool known = !Unsafe.IsNullRef(ref mask);
        if (known) mask |= bit;

        if (_buckets is null)
        {
            if (known) return;
            if (_members.Count < MaxMembers)
            {
                _members.Add(member, bit);
                return;
            }
            SwitchToSketches();
        }

        var sketch = _buckets![slot] ??= RentSketch();
        if (sketch.Add(XxHash64.HashString(member))) _version++;
        if (!known && _members.Count < SampleCapacity) _members.Add(member, bit);
    }

    /// <summary>Distinct members seen in the window that starts at <paramref name="startBucket"/>: exact, or the rounded estimate in sketch mode.</summary>
    public int CountWindow(long startBucket)
    {
        ulong windowMask = MaskOf(startBucket, _spec.BucketsPerWindow);
        if (_buckets is null)
        {
            int n = 0;
            foreach (var mask in _members.Values)
            {
                if ((mask & windowMask) != 0) n++;
            }
            return n;
        }

        ref var cached = ref _counts![(int)(startBucket & RingMask)];
        if (cached.StartBucket == startBucket && cached.Version == _version) return cached.Count;
        var window = _window!;
        window.Clear();
        for (ulong rest = windowMask; rest != 0; rest &= rest - 1)
        {
            var sketch = _buckets[BitOperations.TrailingZeroCount(rest)];
            if (sketch is not null) window.Merge(sketch);
        }
        int count = (int)Math.Min(int.MaxValue, Math.Round(window.Estimate()));
        cached = new WindowCount(startBucket, _version, count);
        return count;
    }

    /// <summary>The members seen in the window, sorted ordinally, at most <paramref name="limit"/> (in sketch mode: from the sample).</summary>
    public IReadOnlyList<string> MembersOfWindow(long startBucket, int limit)
    {
        ulong windowMask = MaskOf(startBucket, _spec.BucketsPerWindow);
        var list = new List<string>();
        foreach (var (member, mask) in _members)
        {
            if ((mask & windowMask) != 0) list.Add(member);
        }
        list.Sort(StringComparer.Ordinal);
        if (list.Count > limit) list.RemoveRange(limit, list.Count - limit);
        return list;
    }

    /// <summary>
    /// Forgets buckets before <paramref name="oldestLiveBucket"/>: members seen only there are dropped and their
    /// sketches emptied. Once no sketched bucket is left, the counter counts exactly again (it stays <see cref="Overflowed"/>).
    /// </summary>
    public void Expire(long oldestLiveBucket, long newestBucket)
    {
        int live = (int)Math.Min(HoppingWindowSpec.MaxBuckets, Math.Max(0, newestBucket - oldestLiveBucket + 1));
        ulong keep = MaskOf(oldestLiveBucket, live);
        // Trimming every mask also clears stale bits before the ring reuses their slots.
        // Removing while enumerating is allowed for Dictionary since .NET Core 3.0.
        foreach (var member in _members.Keys)
        {
            ref ulong mask = ref CollectionsMarshal.GetValueRefOrNullRef(_members, member);
            mask &= keep;
            if (mask == 0) _members.Remove(member);
        }
        if (_buckets is null) return;

        bool anyLive = false;
        for (int slot = 0; slot < _buckets.Length; slot++)
        {
            var sketch = _buckets[slot];
            if (sketch is null) continue;
            if ((keep & (1UL << slot)) != 0)
            {
                anyLive = true;
                continue;
            }
            sketch.Clear();
            _spare!.Push(sketch);
            _buckets[slot] = null;
            _version++;
        }
        if (!anyLive) ReturnToExactMode();
    }

    /// <summary>Writes the counter for a state store (the caller writes the state's format version).</summary>
    /// <remarks>
    /// Layout: Overflowed, format tag (-2), mode byte; exact: count, (member, mask)*; sketch: precision, sample count,
    /// (member, mask)*, mask of sketched slots, one <see cref="HyperLogLog"/> per set bit (lowest slot first).
    /// </remarks>
    public void WriteTo(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Overflowed);
        writer.Write(FormatV2Tag);
        writer.Write(_buckets is null ? ModeExact : ModeSketch);
        if (_buckets is not null) writer.Write((byte)SketchPrecision);
        writer.Write(_members.Count);
        foreach (var (member, mask) in _members)
        {
            writer.Write(member);
            writer.Write(mask);
        }
        if (_buckets is null) return;

        ulong sketched = 0;
        for (int slot = 0; slot < _buckets.Length; slot++)
        {
            if (_buckets[slot] is not null) sketched |= 1UL << slot;
        }
        writer.Write(sketched);
        for (ulong rest = sketched; rest != 0; rest &= rest - 1)
        {
            _buckets[BitOperations.TrailingZeroCount(rest)]!.WriteTo(writer);
        }
    }

    /// <summary>Back to a new counter's state (the codec reads another key's state into it): no members, exact mode.</summary>
    internal void Clear()
    {
        if (_members.EnsureCapacity(0) > KeptTableCapacity) _members = new Dictionary<string, ulong>(StringComparer.Ordinal);
        else _members.Clear();
        if (_buckets is not null) ReturnToExactMode();
        Overflowed = false;
        SketchPrecision = _initialPrecision;
    }

    /// <summary>Reads what <see cref="WriteTo"/> wrote (this or the pre-sketch layout) into this (empty) counter.</summary>
    /// <exception cref="InvalidDataException">The data is not a counter this version can read.</exception>
    public void ReadFrom(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        Overflowed = reader.ReadBoolean();
        int countOrTag = reader.ReadInt32();
        if (countOrTag >= 0)
        {
            ReadMembers(reader, countOrTag);
            return;
        }
        if (countOrTag != FormatV2Tag) throw new InvalidDataException($"unknown distinct counter format tag {countOrTag}");

        byte mode = reader.ReadByte();
        if (mode == ModeExact)
        {
            ReadMembers(reader, reader.ReadInt32());
            return;
        }
        if (mode != ModeSketch) throw new InvalidDataException($"unknown distinct counter mode {mode}");

        int precision = reader.ReadByte();
        if (precision is < HyperLogLog.MinPrecision or > HyperLogLog.MaxPrecision)
        {
            throw new InvalidDataException($"distinct counter sketch precision {precision} is outside {HyperLogLog.MinPrecision}..{HyperLogLog.MaxPrecision}");
        }
        SketchPrecision = precision;
        EnterSketchMode();
        ReadMembers(reader, reader.ReadInt32());
        ulong sketched = reader.ReadUInt64();
        for (ulong rest = sketched; rest != 0; rest &= rest - 1)
        {
            var sketch = HyperLogLog.ReadFrom(reader);
            if (sketch.Precision != precision) throw new InvalidDataException($"bucket sketch precision {sketch.Precision} differs from the counter's {precision}");
            _buckets![BitOperations.TrailingZeroCount(rest)] = sketch;
        }
    }

    /// <summary>Mask of <paramref name="count"/> consecutive buckets starting at <paramref name="firstBucket"/> on the 64-bucket ring.</summary>
    internal static ulong MaskOf(long firstBucket, int count)
    {
        if (count >= HoppingWindowSpec.MaxBuckets) return ulong.MaxValue;
        ulong run = (1UL << count) - 1;
        int shift = (int)(firstBucket & RingMask);
        return (run << shift) | (shift == 0 ? 0 : run >> (HoppingWindowSpec.MaxBuckets - shift));
    }

    private void ReadMembers(BinaryReader reader, int n)
    {
        if (n < 0) throw new InvalidDataException($"distinct counter member count {n} is negative");
        for (int i = 0; i < n; i++)
        {
            _members[reader.ReadString()] = reader.ReadUInt64();
        }
    }

    /// <summary>The cap was hit: move every member into the sketches of its buckets and keep a sample by name.</summary>
    private void SwitchToSketches()
    {
        Overflowed = true;
        EnterSketchMode();
        var buckets = _buckets!;
        foreach (var (member, mask) in _members)
        {
            ulong hash = XxHash64.HashString(member);
            for (ulong rest = mask; rest != 0; rest &= rest - 1)
            {
                (buckets[BitOperations.TrailingZeroCount(rest)] ??= RentSketch()).Add(hash);
            }
        }
        // The sample is chosen by value, not by dictionary order, so a restored counter picks the same one.
        var names = new string[_members.Count];
        _members.Keys.CopyTo(names, 0);
        Array.Sort(names, StringComparer.Ordinal);
        int capacity = SampleCapacity;
        var sample = new Dictionary<string, ulong>(capacity, StringComparer.Ordinal);
        for (int i = 0; i < Math.Min(capacity, names.Length); i++)
        {
            sample.Add(names[i], _members[names[i]]);
        }
        _members = sample;
    }

    private void EnterSketchMode()
    {
        _buckets = new HyperLogLog?[HoppingWindowSpec.MaxBuckets];
        _spare = new Stack<HyperLogLog>();
        _window = new HyperLogLog(SketchPrecision);
        _counts = new WindowCount[HoppingWindowSpec.MaxBuckets];
        _version++;
    }

    private void ReturnToExactMode()
    {
        _buckets = null;
        _spare = null;
        _window = null;
        _counts = null;
        _version++;
    }

    private HyperLogLog RentSketch() => _spare!.Count > 0 ? _spare.Pop() : new HyperLogLog(SketchPrecision);

    private readonly record struct WindowCount(long StartBucket, long Version, int Count);
}
