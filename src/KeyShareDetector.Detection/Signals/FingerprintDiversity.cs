using System.Globalization;

namespace KeyShareDetector.Detection.Signals;

/// <summary>Thresholds of the client-fingerprint rule: interleaving matters more than count.</summary>
public sealed record FingerprintDiversityRule
{
    public double Weight { get; init; } = 25;
    public long LookbackMs { get; init; } = 1_800_000;
    /// <summary>A fingerprint is stable once it has this many requests in the lookback.</summary>
    public int MinRequestsPerFingerprint { get; init; } = 3;
    /// <summary>Returns to an earlier fingerprint (A, B, A) needed to fire.</summary>
    public int MinInterleavings { get; init; } = 2;
    /// <summary>Width of a clock-offset mode (server ts minus client ts), ms.</summary>
    public long ClockOffsetBucketMs { get; init; } = 1000;
    public int MaxTrackedFingerprints { get; init; } = 16;

    public IEnumerable<string> Validate()
    {
        if (LookbackMs <= 0) yield return "fingerprintDiversity.lookbackMs: must be > 0";
        if (MinRequestsPerFingerprint < 1) yield return "fingerprintDiversity.minRequestsPerFingerprint: must be >= 1";
        if (MinInterleavings < 1) yield return "fingerprintDiversity.minInterleavings: must be >= 1";
        if (ClockOffsetBucketMs <= 0) yield return "fingerprintDiversity.clockOffsetBucketMs: must be > 0";
        if (MaxTrackedFingerprints < 2) yield return "fingerprintDiversity.maxTrackedFingerprints: must be >= 2";
    }
}

/// <summary>
/// Client fingerprints of one key: user agent + TLS fingerprint, and the clock-offset mode (each device's clock
/// is off by its own stable amount). An upgrade changes the fingerprint once; two people sharing a key switch
/// back and forth. Counts "returns" (A, B, A) among stable fingerprints within the lookback.
/// </summary>
public sealed class FingerprintDiversityAggregate
{
    private readonly List<Print> _prints = [];
    private readonly List<long> _returns = [];
    private int _current = -1;

    public bool Overflowed { get; private set; }

    public void OnAccess(AccessContext ctx, FingerprintDiversityRule rule, List<SignalFinding> findings)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(findings);
        if (ctx.PlatformTraffic) return;
        var e = ctx.Event;
        long ts = e.Ts;
        string offsetMode = e.ClientTs is { } c
            ? "clock" + Math.Floor((double)(ts - c) / rule.ClockOffsetBucketMs).ToString(CultureInfo.InvariantCulture)
            : "clock?";
        string id = e.UserAgent + "|" + (e.TlsFingerprint ?? "") + "|" + offsetMode;

        long horizon = ts - rule.LookbackMs;
        int index = -1;
        for (int i = 0; i < _prints.Count; i++)
        {
            if (string.Equals(_prints[i].Id, id, StringComparison.Ordinal)) index = i;
        }
        if (index < 0)
        {
            if (_prints.Count >= rule.MaxTrackedFingerprints)
            {
                int stale = -1;
                for (int i = 0; i < _prints.Count; i++) if (_prints[i].LastSeen < horizon && i != _current) stale = i;
                if (stale < 0)
                {
                    Overflowed = true;
                    return;
                }
                _prints.RemoveAt(stale);
                if (_current > stale) _current--;
                else if (_current == stale) _current = -1;
            }
            _prints.Add(new Print(id, ts, ts, 0));
            index = _prints.Count - 1;
        }
        var p = _prints[index];
        _prints[index] = p with { LastSeen = Math.Max(p.LastSeen, ts), FirstSeen = Math.Min(p.FirstSeen, ts), Requests = p.Requests + 1 };

        // A switch back to a fingerprint used before the current one is an interleaving.
        if (_current >= 0 && _current != index && _prints[index].Requests > 1 && _prints[_current].Requests >= rule.MinRequestsPerFingerprint)
        {
            _returns.Add(ts);
        }
        _current = index;
        _returns.RemoveAll(t => t < horizon);

        int stable = 0;
        var subjects = new List<string>();
        foreach (var print in _prints)
        {
            if (print.Requests >= rule.MinRequestsPerFingerprint && print.LastSeen >= horizon)
            {
                stable++;
                subjects.Add(print.Id);
            }
        }
        if (stable < 2 || _returns.Count < rule.MinInterleavings) return;
        subjects.Sort(StringComparer.Ordinal);
        findings.Add(new SignalFinding("FINGERPRINT_INTERLEAVING", (double)_returns.Count / rule.MinInterleavings, horizon, ts,
            Evidence.Of("FINGERPRINT_INTERLEAVING",
                string.Create(CultureInfo.InvariantCulture, $"{stable} stable client fingerprints used alternately ({_returns.Count} switches back) within {rule.LookbackMs / 60_000} min"),
                [("stable_fingerprints", stable), ("interleavings", _returns.Count), ("min_interleavings", rule.MinInterleavings), ("window_start", horizon), ("window_end", ts)],
                subjects)));
    }

    public void WriteTo(BinaryWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.Write(Overflowed);
        w.Write(_current);
        w.Write(_prints.Count);
        foreach (var p in _prints)
        {
            w.Write(p.Id);
            w.Write(p.FirstSeen);
            w.Write(p.LastSeen);
            w.Write(p.Requests);
        }
        w.Write(_returns.Count);
        foreach (var t in _returns) w.Write(t);
    }

    public void ReadFrom(BinaryReader r)
    {
        ArgumentNullException.ThrowIfNull(r);
        Overflowed = r.ReadBoolean();
        _current = r.ReadInt32();
        int n = r.ReadInt32();
        for (int i = 0; i < n; i++) _prints.Add(new Print(r.ReadString(), r.ReadInt64(), r.ReadInt64(), r.ReadInt32()));
        int m = r.ReadInt32();
        for (int i = 0; i < m; i++) _returns.Add(r.ReadInt64());
    }

    private readonly record struct Print(string Id, long FirstSeen, long LastSeen, int Requests);
}
