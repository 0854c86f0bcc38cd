namespace KeyShareDetector.Detection.Windows;

/// <summary>
/// Exact count of distinct members per hopping window, for one key.
/// Each member keeps a bitmask of the hop buckets it was seen in, so a window's count is the number of
/// members whose mask meets the window's buckets; counts of open windows are maintained incrementally.
/// </summary>
/// <remarks>
/// Memory is bounded by <see cref="MaxMembers"/>: members beyond it are not tracked, and
/// <see cref="Overflowed"/> says so (itself evidence: a hostile or abused key).
/// </remarks>
public sealed class HoppingDistinctCounter
{
    private readonly Dictionary<string, ulong> _members;
    private readonly HoppingWindowSpec _spec;

    public HoppingDistinctCounter(HoppingWindowSpec spec, int maxMembers)
    {
        _spec = spec;
        MaxMembers = maxMembers;
        _members = new Dictionary<string, ulong>(StringComparer.Ordinal);
    }

    public int MaxMembers { get; }

    /// <summary>True once a member could not be tracked because the cap was reached.</summary>
    public bool Overflowed { get; internal set; }

    public int TrackedMembers => _members.Count;

    /// <summary>Writes the counter for a state store (the caller writes the format version).</summary>
    public void WriteTo(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Overflowed);
        writer.Write(_members.Count);
        foreach (var (member, mask) in _members)
        {
            writer.Write(member);
            writer.Write(mask);
        }
    }

    /// <summary>Reads what <see cref="WriteTo"/> wrote into this (empty) counter.</summary>
    public void ReadFrom(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        Overflowed = reader.ReadBoolean();
        int n = reader.ReadInt32();
        for (int i = 0; i < n; i++)
        {
            _members[reader.ReadString()] = reader.ReadUInt64();
        }
    }

    /// <summary>Records that <paramref name="member"/> was seen in <paramref name="bucket"/>.</summary>
    public void Add(string member, long bucket)
    {
        ulong bit = 1UL << (int)(((bucket % HoppingWindowSpec.MaxBuckets) + HoppingWindowSpec.MaxBuckets) % HoppingWindowSpec.MaxBuckets);
        if (_members.TryGetValue(member, out var mask))
        {
            _members[member] = mask | bit;
            return;
        }
        if (_members.Count >= MaxMembers)
        {
            Overflowed = true;
            return;
        }
        _members[member] = bit;
    }

    /// <summary>Distinct members seen in the window that starts at <paramref name="startBucket"/>.</summary>
    public int CountWindow(long startBucket)
    {
        ulong windowMask = MaskOf(startBucket, _spec.BucketsPerWindow);
        int n = 0;
        foreach (var mask in _members.Values)
        {
            if ((mask & windowMask) != 0) n++;
        }
        return n;
    }

    /// <summary>The members seen in the window, sorted ordinally, at most <paramref name="limit"/>.</summary>
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

    /// <summary>Forgets buckets before <paramref name="oldestLiveBucket"/>; members seen only there are dropped.</summary>
    public void Expire(long oldestLiveBucket, long newestBucket)
    {
        int live = (int)Math.Min(HoppingWindowSpec.MaxBuckets, Math.Max(0, newestBucket - oldestLiveBucket + 1));
        ulong keep = MaskOf(oldestLiveBucket, live);
        List<string>? dead = null;
        foreach (var (member, mask) in _members)
        {
            ulong kept = mask & keep;
            if (kept == 0) (dead ??= []).Add(member);
        }
        if (dead is not null)
        {
            foreach (var m in dead) _members.Remove(m);
        }
        // Masks of survivors are trimmed lazily: stale bits belong to buckets no live window reads,
        // and they are cleared before the ring reuses them.
        if (_members.Count > 0 && live < HoppingWindowSpec.MaxBuckets)
        {
            foreach (var member in _members.Keys.ToArray())
            {
                _members[member] &= keep;
            }
        }
    }

    /// <summary>Mask of <paramref name="count"/> consecutive buckets starting at <paramref name="firstBucket"/> on the 64-bucket ring.</summary>
    internal static ulong MaskOf(long firstBucket, int count)
    {
        if (count >= HoppingWindowSpec.MaxBuckets) return ulong.MaxValue;
        ulong run = (1UL << count) - 1;
        int shift = (int)(((firstBucket % HoppingWindowSpec.MaxBuckets) + HoppingWindowSpec.MaxBuckets) % HoppingWindowSpec.MaxBuckets);
        return (run << shift) | (shift == 0 ? 0 : run >> (HoppingWindowSpec.MaxBuckets - shift));
    }
}
