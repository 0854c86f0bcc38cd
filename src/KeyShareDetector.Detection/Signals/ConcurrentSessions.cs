using System.Buffers;
using System.Globalization;
using KeyShareDetector.Detection.Sketches;

namespace KeyShareDetector.Detection.Signals;

/// <summary>Thresholds of the concurrent-sessions rule.</summary>
public sealed record ConcurrentSessionsRule
{
    public double Weight { get; init; } = 30;
    /// <summary>A session is active until this long after its last request (ms).</summary>
    public long InactivityGapMs { get; init; } = 300_000;
    /// <summary>Distinct networks (ASN, else /24 or /64) among simultaneously active sessions needed to fire.</summary>
    public int MinConcurrentNetworks { get; init; } = 3;
    /// <summary>Most sessions tracked per key; more is itself evidence.</summary>
    public int MaxTrackedSessions { get; init; } = 64;

    public IEnumerable<string> Validate()
    {
        if (InactivityGapMs <= 0) yield return "concurrentSessions.inactivityGapMs: must be > 0";
        if (MinConcurrentNetworks < 2) yield return "concurrentSessions.minConcurrentNetworks: must be >= 2";
        if (MaxTrackedSessions < MinConcurrentNetworks) yield return "concurrentSessions.maxTrackedSessions: must be >= minConcurrentNetworks";
    }
}

/// <summary>
/// Sessions of one key (by session id, else by IP and user agent) with their last request time and network.
/// Several owners' bots share egress networks; a key used by different people shows active sessions in
/// different networks at once. Traffic from registered or platform CIDRs is not counted.
/// </summary>
/// <remarks>
/// Allocation-free per event unless a finding fires (or the session table grows): a session is identified by a
/// 64-bit xxHash of its session id (else of its IP and user agent), sessions live in an array in arrival order
/// (at most <see cref="ConcurrentSessionsRule.MaxTrackedSessions"/>), and distinct networks among the active ones
/// are counted by their hashes on the stack.
/// </remarks>
public sealed class ConcurrentSessionsAggregate
{
    private const byte FormatV2 = 2;
    /// <summary>Hash seeds that keep "session id" and "IP + user agent" identities apart.</summary>
    private const ulong SessionIdSeed = 0x5E55_10D1;
    private const ulong AddressSeed = 0xADD4_E55A;
    /// <summary>Network hashes counted on the stack up to this many active sessions, in a pooled array beyond.</summary>
    private const int StackNetworks = 128;

    // A cleared aggregate keeps its array up to this size (twice the default cap of tracked sessions).
    private const int KeptSessions = 128;

    private Session[] _sessions = [];
    private int _count;
    private long _newest = long.MinValue;

    public bool Overflowed { get; private set; }

    public int Tracked => _count;

    public void OnAccess(AccessContext ctx, ConcurrentSessionsRule rule, List<SignalFinding> findings)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(findings);
        if (ctx.Registered || ctx.PlatformTraffic) return;
        var e = ctx.Event;
        ulong id = IdentityOf(e.SessionId, e.Ip, e.UserAgent);
        long ts = e.Ts;
        _newest = Math.Max(_newest, ts);

        int index = IndexOf(id);
        if (index >= 0)
        {
            ref var existing = ref _sessions[index];
            existing.LastSeen = Math.Max(existing.LastSeen, ts);
            existing.FirstSeen = Math.Min(existing.FirstSeen, ts);
        }
        else
        {
            if (_count >= rule.MaxTrackedSessions) EvictOldest(ts - rule.InactivityGapMs);
            if (_count >= rule.MaxTrackedSessions)
            {
                Overflowed = true;
                findings.Add(new SignalFinding("SESSION_CAP_EXCEEDED", 1.0, ts - rule.InactivityGapMs, ts,
                    Evidence.Of("SESSION_CAP_EXCEEDED",
                        string.Create(CultureInfo.InvariantCulture, $"more than {rule.MaxTrackedSessions} sessions active on one key"),
                        [("max_sessions", rule.MaxTrackedSessions)])));
                return;
            }
            Append(new Session(id, ts, ts, ctx.Network, e.Ip));
        }

        // Active at the key's newest time: seen within the gap before it. A late record still counts while its
        // session is within the gap of the newest time. Sessions quiet for two gaps are dropped.
        long at = _newest;
        long activeFrom = at - rule.InactivityGapMs;
        long deadBefore = at - (2 * rule.InactivityGapMs);
        ulong[]? rented = null;
        Span<ulong> networks = _count <= StackNetworks
            ? stackalloc ulong[_count]
            : (rented = ArrayPool<ulong>.Shared.Rent(_count));
        try
        {
            int active = 0;
            int distinct = 0;
            int kept = 0;
            var sessions = _sessions;
            for (int i = 0; i < _count; i++)
            {
                var session = sessions[i];
                if (session.LastSeen < deadBefore) continue;
                if (session.LastSeen >= activeFrom)
                {
                    active++;
                    if (networks[..distinct].IndexOf(session.NetworkHash) < 0) networks[distinct++] = session.NetworkHash;
                }
                if (kept != i) sessions[kept] = session;
                kept++;
            }
            if (kept < _count)
            {
                Array.Clear(sessions, kept, _count - kept);
                _count = kept;
            }
            if (distinct < rule.MinConcurrentNetworks) return;
            findings.Add(Finding(rule, at, active, distinct));
        }
        finally
        {
            if (rented is not null) ArrayPool<ulong>.Shared.Return(rented);
        }
    }

    /// <summary>The session identity: xxHash64 of the session id, else of the IP and the user agent (other seeds).</summary>
    private static ulong IdentityOf(string? sessionId, string ip, string userAgent) =>
        sessionId is { Length: > 0 }
            ? XxHash64.HashChars(sessionId, SessionIdSeed)
            : XxHash64.HashChars(userAgent, XxHash64.HashChars(ip, AddressSeed));

    private int IndexOf(ulong id)
    {
        var sessions = _sessions;
        for (int i = 0; i < _count; i++)
        {
            if (sessions[i].Id == id) return i;
        }
        return -1;
    }

    private void Append(Session session)
    {
        if (_count == _sessions.Length) Array.Resize(ref _sessions, Math.Max(4, _sessions.Length * 2));
        _sessions[_count++] = session;
    }

    /// <summary>The finding (rare: evidence may allocate): networks of the active sessions, sorted, named.</summary>
    private SignalFinding Finding(ConcurrentSessionsRule rule, long at, int active, int distinct)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < _count; i++)
        {
            if (_sessions[i].LastSeen >= at - rule.InactivityGapMs) names.Add(_sessions[i].Network);
        }
        return new SignalFinding("CONCURRENT_SESSIONS", (double)distinct / rule.MinConcurrentNetworks, at - rule.InactivityGapMs, at,
            Evidence.Of("CONCURRENT_SESSIONS",
                string.Create(CultureInfo.InvariantCulture, $"{active} sessions active at once from {distinct} different networks"),
                [("active_sessions", active), ("networks", distinct), ("min_networks", rule.MinConcurrentNetworks), ("window_start", at - rule.InactivityGapMs), ("window_end", at)],
                names));
    }

    private void EvictOldest(long activeFrom)
    {
        int oldest = -1;
        long oldestSeen = long.MaxValue;
        for (int i = 0; i < _count; i++)
        {
            long seen = _sessions[i].LastSeen;
            if (seen < activeFrom && seen < oldestSeen)
            {
                oldest = i;
                oldestSeen = seen;
            }
        }
        if (oldest < 0) return;
        Array.Copy(_sessions, oldest + 1, _sessions, oldest, _count - oldest - 1);
        _sessions[--_count] = default;
    }

    /// <remarks>Layout: format byte (2), Overflowed, newest time, count, (id hash, first seen, last seen, network, IP)*.</remarks>
    public void WriteTo(BinaryWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.Write(FormatV2);
        w.Write(Overflowed);
        w.Write(_newest);
        w.Write(_count);
        for (int i = 0; i < _count; i++)
        {
            var s = _sessions[i];
            w.Write(s.Id);
            w.Write(s.FirstSeen);
            w.Write(s.LastSeen);
            w.Write(s.Network);
            w.Write(s.Ip);
        }
    }

    /// <summary>
    /// Back to a new aggregate's state (the codec reads another key's state into it); the array is kept unless a state
    /// read under a larger cap grew it past <see cref="KeptSessions"/>.
    /// </summary>
    internal void Clear()
    {
        if (_sessions.Length > KeptSessions) _sessions = [];
        else Array.Clear(_sessions, 0, _count);
        _count = 0;
        _newest = long.MinValue;
        Overflowed = false;
    }

    public void ReadFrom(BinaryReader r)
    {
        ArgumentNullException.ThrowIfNull(r);
        byte format = r.ReadByte();
        if (format != FormatV2) throw new InvalidDataException($"unknown concurrent sessions format {format}");
        Overflowed = r.ReadBoolean();
        _newest = r.ReadInt64();
        int n = r.ReadInt32();
        if (n < 0) throw new InvalidDataException($"concurrent sessions count {n} is negative");
        // A cleared aggregate's array is reused when it is large enough (the count is capped by the rule).
        Array.Clear(_sessions, 0, _count);
        if (_sessions.Length < n || _sessions.Length < 4) _sessions = new Session[Math.Max(4, n)];
        _count = 0;
        for (int i = 0; i < n; i++)
        {
            ulong id = r.ReadUInt64();
            long first = r.ReadInt64();
            long last = r.ReadInt64();
            Append(new Session(id, first, last, r.ReadString(), r.ReadString()));
        }
    }

    /// <summary>One session: its identity hash, times, the network it started in (and that network's hash) and its IP.</summary>
    private struct Session(ulong id, long firstSeen, long lastSeen, string network, string ip)
    {
        public readonly ulong Id = id;
        public long FirstSeen = firstSeen;
        public long LastSeen = lastSeen;
        public readonly string Network = network;
        public readonly ulong NetworkHash = XxHash64.HashString(network);
        public readonly string Ip = ip;
    }
}
