using System.Globalization;

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
public sealed class ConcurrentSessionsAggregate
{
    private readonly Dictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private long _newest = long.MinValue;

    public bool Overflowed { get; private set; }

    public int Tracked => _sessions.Count;

    public void OnAccess(AccessContext ctx, ConcurrentSessionsRule rule, List<SignalFinding> findings)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(findings);
        if (ctx.Registered || ctx.PlatformTraffic) return;
        var e = ctx.Event;
        string id = e.SessionId is { Length: > 0 } s ? "s:" + s : "a:" + e.Ip + "|" + e.UserAgent;
        long ts = e.Ts;
        _newest = Math.Max(_newest, ts);

        if (_sessions.TryGetValue(id, out var existing))
        {
            _sessions[id] = existing with { LastSeen = Math.Max(existing.LastSeen, ts), FirstSeen = Math.Min(existing.FirstSeen, ts) };
        }
        else
        {
            if (_sessions.Count >= rule.MaxTrackedSessions) EvictOldest(ts - rule.InactivityGapMs);
            if (_sessions.Count >= rule.MaxTrackedSessions)
            {
                Overflowed = true;
                findings.Add(new SignalFinding("SESSION_CAP_EXCEEDED", 1.0, ts - rule.InactivityGapMs, ts,
                    Evidence.Of("SESSION_CAP_EXCEEDED",
                        string.Create(CultureInfo.InvariantCulture, $"more than {rule.MaxTrackedSessions} sessions active on one key"),
                        [("max_sessions", rule.MaxTrackedSessions)])));
                return;
            }
            _sessions[id] = new Session(ts, ts, ctx.Network, e.Ip);
        }

        // Active at the key's newest time: seen within the gap before it. A late record still counts while its
        // session is within the gap of the newest time.
        long at = _newest;
        var networks = new SortedSet<string>(StringComparer.Ordinal);
        int active = 0;
        List<string>? dead = null;
        foreach (var (key, session) in _sessions)
        {
            if (session.LastSeen < at - (2 * rule.InactivityGapMs)) (dead ??= []).Add(key);
            if (session.LastSeen >= at - rule.InactivityGapMs)
            {
                active++;
                networks.Add(session.Network);
            }
        }
        if (dead is not null) foreach (var k in dead) _sessions.Remove(k);
        if (networks.Count < rule.MinConcurrentNetworks) return;

        findings.Add(new SignalFinding("CONCURRENT_SESSIONS", (double)networks.Count / rule.MinConcurrentNetworks, at - rule.InactivityGapMs, at,
            Evidence.Of("CONCURRENT_SESSIONS",
                string.Create(CultureInfo.InvariantCulture, $"{active} sessions active at once from {networks.Count} different networks"),
                [("active_sessions", active), ("networks", networks.Count), ("min_networks", rule.MinConcurrentNetworks), ("window_start", at - rule.InactivityGapMs), ("window_end", at)],
                networks)));
    }

    private void EvictOldest(long activeFrom)
    {
        string? oldest = null;
        long oldestSeen = long.MaxValue;
        foreach (var (key, session) in _sessions)
        {
            if (session.LastSeen < activeFrom && session.LastSeen < oldestSeen)
            {
                oldest = key;
                oldestSeen = session.LastSeen;
            }
        }
        if (oldest is not null) _sessions.Remove(oldest);
    }

    public void WriteTo(BinaryWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.Write(Overflowed);
        w.Write(_newest);
        w.Write(_sessions.Count);
        foreach (var (key, s) in _sessions)
        {
            w.Write(key);
            w.Write(s.FirstSeen);
            w.Write(s.LastSeen);
            w.Write(s.Network);
            w.Write(s.Ip);
        }
    }

    public void ReadFrom(BinaryReader r)
    {
        ArgumentNullException.ThrowIfNull(r);
        Overflowed = r.ReadBoolean();
        _newest = r.ReadInt64();
        int n = r.ReadInt32();
        for (int i = 0; i < n; i++) _sessions[r.ReadString()] = new Session(r.ReadInt64(), r.ReadInt64(), r.ReadString(), r.ReadString());
    }

    private readonly record struct Session(long FirstSeen, long LastSeen, string Network, string Ip);
}
