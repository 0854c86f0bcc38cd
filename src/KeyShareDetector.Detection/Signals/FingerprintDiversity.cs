using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using KeyShareDetector.Detection.Sketches;

namespace KeyShareDetector.Detection.Signals;

/// <summary>Thresholds of the client-fingerprint rule: interleaving matters more than count.</summary>
public sealed record FingerprintDiversityRule
{
    /// <summary>
    /// Zero (informational) by default: the clock-offset mode is floor((server - client) / bucket), which flips between
    /// -1 and 0 for every NTP-synced client (latency minus skew hovers around 0 ms), and owners use two devices at once;
    /// calibrated on the simulator, the rule added no recall and many false positives.
    /// </summary>
    public double Weight { get; init; }
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
/// <remarks>
/// Allocation-free per event unless a finding fires: a fingerprint is identified by a 64-bit xxHash of its parts
/// (user agent, TLS fingerprint, clock-offset mode); its readable id ("ua|tls|clockN") is only built for evidence.
/// </remarks>
public sealed class FingerprintDiversityAggregate
{
    private const byte FormatV2 = 2;

    /// <summary>Most switches back remembered: the finding's strength saturates long before (the policy caps it).</summary>
    public const int MaxInterleavings = 256;
    private const ulong FingerprintSeed = 0xF1A9_E7D1;

    private readonly List<Print> _prints = [];
    private readonly List<long> _returns = [];
    private int _current = -1;

    public bool Overflowed { get; private set; }

    /// <summary>Fingerprints held (at most <see cref="FingerprintDiversityRule.MaxTrackedFingerprints"/>).</summary>
    public int Tracked => _prints.Count;

    /// <summary>Switches back to an earlier fingerprint held within the lookback.</summary>
    public int Interleavings => _returns.Count;

    public void OnAccess(AccessContext ctx, FingerprintDiversityRule rule, List<SignalFinding> findings)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(findings);
        if (ctx.PlatformTraffic) return;
        var e = ctx.Event;
        long ts = e.Ts;
        // The clock-offset mode: floor((server ts - client ts) / bucket), or none without a client time.
        bool hasOffset = e.ClientTs is not null;
        double offsetMode = e.ClientTs is { } c ? Math.Floor((double)(ts - c) / rule.ClockOffsetBucketMs) : 0;
        string userAgent = e.UserAgent ?? "";
        string tls = e.TlsFingerprint ?? "";
        ulong id = IdentityOf(userAgent, tls, hasOffset, offsetMode);

        long horizon = ts - rule.LookbackMs;
        var prints = CollectionsMarshal.AsSpan(_prints);
        int index = -1;
        for (int i = 0; i < prints.Length; i++)
        {
            if (prints[i].Id == id) index = i;
        }
        if (index < 0)
        {
            if (_prints.Count >= rule.MaxTrackedFingerprints)
            {
                int stale = -1;
                for (int i = 0; i < prints.Length; i++) if (prints[i].LastSeen < horizon && i != _current) stale = i;
                if (stale < 0)
                {
                    Overflowed = true;
                    return;
                }
                _prints.RemoveAt(stale);
                if (_current > stale) _current--;
                else if (_current == stale) _current = -1;
            }
            _prints.Add(new Print(id, userAgent, tls, hasOffset, offsetMode, ts, ts, 0));
            index = _prints.Count - 1;
            prints = CollectionsMarshal.AsSpan(_prints);
        }
        ref var p = ref prints[index];
        p.LastSeen = Math.Max(p.LastSeen, ts);
        p.FirstSeen = Math.Min(p.FirstSeen, ts);
        p.Requests++;

        // A switch back to a fingerprint used before the current one is an interleaving.
        if (_current >= 0 && _current != index && p.Requests > 1 && prints[_current].Requests >= rule.MinRequestsPerFingerprint)
        {
            // Bounded: a key switching clients a thousand times a second would otherwise keep every switch of the lookback.
            if (_returns.Count >= MaxInterleavings) _returns.RemoveAt(0);
            _returns.Add(ts);
        }
        _current = index;
        DropReturnsBefore(horizon);

        int stable = 0;
        foreach (ref readonly var print in prints)
        {
            if (print.Requests >= rule.MinRequestsPerFingerprint && print.LastSeen >= horizon) stable++;
        }
        if (stable < 2 || _returns.Count < rule.MinInterleavings) return;
        findings.Add(Finding(rule, horizon, ts, stable));
    }

    /// <summary>xxHash64 over the user agent, then the TLS fingerprint, then the clock-offset mode (each seeding the next).</summary>
    private static ulong IdentityOf(string userAgent, string tls, bool hasOffset, double offsetMode)
    {
        ulong h = XxHash64.HashChars(userAgent, FingerprintSeed);
        h = XxHash64.HashChars(tls, h);
        Span<byte> mode = stackalloc byte[9];
        mode[0] = hasOffset ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt64LittleEndian(mode[1..], hasOffset ? BitConverter.DoubleToInt64Bits(offsetMode) : 0);
        return XxHash64.Hash(mode, h);
    }

    /// <summary>Forgets returns older than the lookback, keeping the others in order (what RemoveAll did, without a closure).</summary>
    private void DropReturnsBefore(long horizon)
    {
        var returns = CollectionsMarshal.AsSpan(_returns);
        int kept = 0;
        for (int i = 0; i < returns.Length; i++)
        {
            if (returns[i] < horizon) continue;
            returns[kept++] = returns[i];
        }
        if (kept < returns.Length) _returns.RemoveRange(kept, returns.Length - kept);
    }

    /// <summary>The finding (rare: evidence allocates), naming the stable fingerprints by their readable ids.</summary>
    private SignalFinding Finding(FingerprintDiversityRule rule, long horizon, long ts, int stable)
    {
        var subjects = new List<string>(stable);
        foreach (var print in _prints)
        {
            if (print.Requests >= rule.MinRequestsPerFingerprint && print.LastSeen >= horizon) subjects.Add(print.ReadableId);
        }
        subjects.Sort(StringComparer.Ordinal);
        return new SignalFinding("FINGERPRINT_INTERLEAVING", (double)_returns.Count / rule.MinInterleavings, horizon, ts,
            Evidence.Of("FINGERPRINT_INTERLEAVING",
                string.Create(CultureInfo.InvariantCulture, $"{stable} stable client fingerprints used alternately ({_returns.Count} switches back) within {rule.LookbackMs / 60_000} min"),
                [("stable_fingerprints", stable), ("interleavings", _returns.Count), ("min_interleavings", rule.MinInterleavings), ("window_start", horizon), ("window_end", ts)],
                subjects));
    }

    /// <remarks>
    /// Layout: format byte (2), Overflowed, current index, count, (user agent, TLS fingerprint, has offset, offset mode,
    /// first seen, last seen, requests)*, returns count, return times*. The identity hash is recomputed on read.
    /// </remarks>
    public void WriteTo(BinaryWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.Write(FormatV2);
        w.Write(Overflowed);
        w.Write(_current);
        w.Write(_prints.Count);
        foreach (var p in _prints)
        {
            w.Write(p.UserAgent);
            w.Write(p.Tls);
            w.Write(p.HasOffset);
            w.Write(p.OffsetMode);
            w.Write(p.FirstSeen);
            w.Write(p.LastSeen);
            w.Write(p.Requests);
        }
        w.Write(_returns.Count);
        foreach (var t in _returns) w.Write(t);
    }

    /// <summary>Back to a new aggregate's state (the codec reads another key's state into it).</summary>
    internal void Clear()
    {
        _prints.Clear();
        _returns.Clear();
        _current = -1;
        Overflowed = false;
    }

    public void ReadFrom(BinaryReader r)
    {
        ArgumentNullException.ThrowIfNull(r);
        byte format = r.ReadByte();
        if (format != FormatV2) throw new InvalidDataException($"unknown fingerprint diversity format {format}");
        _prints.Clear();
        _returns.Clear();
        Overflowed = r.ReadBoolean();
        _current = r.ReadInt32();
        int n = r.ReadInt32();
        for (int i = 0; i < n; i++)
        {
            string userAgent = r.ReadString();
            string tls = r.ReadString();
            bool hasOffset = r.ReadBoolean();
            double offsetMode = r.ReadDouble();
            _prints.Add(new Print(IdentityOf(userAgent, tls, hasOffset, offsetMode), userAgent, tls, hasOffset, offsetMode, r.ReadInt64(), r.ReadInt64(), r.ReadInt32()));
        }
        int m = r.ReadInt32();
        for (int i = 0; i < m; i++) _returns.Add(r.ReadInt64());
    }

    /// <summary>One fingerprint: identity hash, its parts (for evidence and state), times and request count.</summary>
    private struct Print(ulong id, string userAgent, string tls, bool hasOffset, double offsetMode, long firstSeen, long lastSeen, int requests)
    {
        public readonly ulong Id = id;
        public readonly string UserAgent = userAgent;
        public readonly string Tls = tls;
        public readonly bool HasOffset = hasOffset;
        /// <summary>floor((server ts - client ts) / bucket width), when <see cref="HasOffset"/>.</summary>
        public readonly double OffsetMode = offsetMode;
        public long FirstSeen = firstSeen;
        public long LastSeen = lastSeen;
        public int Requests = requests;

        /// <summary>"user agent|TLS fingerprint|clockN" (or "clock?" without a client time), as evidence names it.</summary>
        public readonly string ReadableId =>
            UserAgent + "|" + Tls + "|" + (HasOffset ? "clock" + OffsetMode.ToString(CultureInfo.InvariantCulture) : "clock?");
    }
}
