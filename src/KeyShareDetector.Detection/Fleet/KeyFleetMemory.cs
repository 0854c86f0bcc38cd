using KeyShareDetector.Detection.Sketches;

namespace KeyShareDetector.Detection.Fleet;

/// <summary>
/// What one key remembers for fleet-level signals: the networks it has used (bounded, least recently seen
/// forgotten first) and the observations it sent recently (so each IP/prefix/fingerprint goes out at most
/// once per hop). Bounded, deterministic.
/// </summary>
public sealed class KeyFleetMemory
{
    private const int RecentCap = 32;
    private readonly List<(ulong Network, long LastSeen)> _networks = [];
    private readonly List<(ulong Country, long LastSeen)> _countries = [];
    private readonly List<(ulong Client, long LastSeen)> _clients = [];
    private (ulong Network, long FirstSeen, double Strength) _fresh;
    /// <summary>Whether the fresh network came with a client the key had never used, and the trade requests from it since.</summary>
    private (bool Stranger, int Trades) _freshUse;
    private readonly ulong[] _recent = new ulong[RecentCap];
    private int _next;

    /// <summary>True (and remembered) when <paramref name="network"/> was not among the key's known networks.</summary>
    public bool IsNewNetwork(string network, long ts, int capacity)
    {
        ulong h = XxHash64.HashString(network);
        for (int i = 0; i < _networks.Count; i++)
        {
            if (_networks[i].Network == h)
            {
                _networks[i] = (h, Math.Max(_networks[i].LastSeen, ts));
                return false;
            }
        }
        if (_networks.Count >= capacity)
        {
            int oldest = 0;
            for (int i = 1; i < _networks.Count; i++) if (_networks[i].LastSeen < _networks[oldest].LastSeen) oldest = i;
            _networks.RemoveAt(oldest);
        }
        _networks.Add((h, ts));
        return true;
    }

    public int KnownNetworks => _networks.Count;

    public int KnownCountries => _countries.Count;

    public int KnownClients => _clients.Count;

    /// <summary>
    /// Remembers the network that just raised a new-network finding, with the finding's base strength, whether a client the
    /// key had never used came with it and whether that first request was a trade.
    /// </summary>
    public void MarkFresh(string network, long ts, double strength, bool stranger = false, bool trade = false)
    {
        _fresh = (XxHash64.HashString(network), ts, strength);
        _freshUse = (stranger, trade ? 1 : 0);
    }

    /// <summary>Whether the fresh network came with a client the key had never used.</summary>
    public bool FreshStranger => _freshUse.Stranger;

    /// <summary>Counts one more trade request from the fresh network; returns the count so far.</summary>
    public int CountFreshTrade() => _freshUse.Trades = Math.Min(_freshUse.Trades + 1, int.MaxValue - 1);

    /// <summary>
    /// The base strength of the new-network finding <paramref name="network"/> raised, when it is the key's latest such
    /// network and was first used at most <paramref name="freshMs"/> before <paramref name="ts"/>; else null.
    /// </summary>
    public (double Strength, long FirstSeen)? Fresh(string network, long ts, long freshMs) =>
        _fresh.Strength > 0 && ts - _fresh.FirstSeen <= freshMs && ts >= _fresh.FirstSeen && _fresh.Network == XxHash64.HashString(network)
            ? (_fresh.Strength, _fresh.FirstSeen)
            : null;

    /// <summary>True (and remembered) when the client (hash of user agent and TLS fingerprint) was not among the key's known clients.</summary>
    public bool IsNewClient(ulong client, long ts, int capacity) => Remember(_clients, client, ts, capacity);

    /// <summary>True (and remembered) when <paramref name="country"/> was not among the key's known countries.</summary>
    public bool IsNewCountry(string country, long ts, int capacity) => Remember(_countries, XxHash64.HashString(country), ts, capacity);

    private static bool Remember(List<(ulong, long)> known, ulong h, long ts, int capacity)
    {
        for (int i = 0; i < known.Count; i++)
        {
            if (known[i].Item1 == h)
            {
                known[i] = (h, Math.Max(known[i].Item2, ts));
                return false;
            }
        }
        if (known.Count >= capacity)
        {
            int oldest = 0;
            for (int i = 1; i < known.Count; i++) if (known[i].Item2 < known[oldest].Item2) oldest = i;
            known.RemoveAt(oldest);
        }
        known.Add((h, ts));
        return true;
    }

    /// <summary>True the first time this (dimension, value, bucket) is offered within the recent ring.</summary>
    public bool FirstInBucket(FleetDimension dimension, string value, long bucket)
    {
        ulong h = XxHash64.HashString(value) ^ ((ulong)dimension << 56) ^ (ulong)bucket * 0x9E3779B97F4A7C15UL;
        if (h == 0) h = 1;
        foreach (var r in _recent) if (r == h) return false;
        _recent[_next] = h;
        _next = (_next + 1) % RecentCap;
        return true;
    }

    public void WriteTo(BinaryWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.Write(_networks.Count);
        foreach (var (n, t) in _networks)
        {
            w.Write(n);
            w.Write(t);
        }
        w.Write(_next);
        foreach (var r in _recent) w.Write(r);
        w.Write(_countries.Count);
        foreach (var (c, t) in _countries)
        {
            w.Write(c);
            w.Write(t);
        }
        w.Write(_clients.Count);
        foreach (var (c, t) in _clients)
        {
            w.Write(c);
            w.Write(t);
        }
        w.Write(_fresh.Network);
        w.Write(_fresh.FirstSeen);
        w.Write(_fresh.Strength);
        w.Write(_freshUse.Stranger);
        w.Write(_freshUse.Trades);
    }

    /// <summary>Back to a new memory's state (the codec reads another key's state into it).</summary>
    internal void Clear()
    {
        _networks.Clear();
        _countries.Clear();
        _clients.Clear();
        _fresh = default;
        _freshUse = default;
        Array.Clear(_recent);
        _next = 0;
    }

    /// <summary>
    /// Reads what <see cref="WriteTo"/> wrote; state written before clients were remembered (format 5) has none, and state
    /// written before the fresh network's use was counted (format 6) has no stranger and no trades.
    /// </summary>
    public void ReadFrom(BinaryReader r, bool withClients = true, bool withFreshUse = true)
    {
        ArgumentNullException.ThrowIfNull(r);
        int n = r.ReadInt32();
        for (int i = 0; i < n; i++) _networks.Add((r.ReadUInt64(), r.ReadInt64()));
        _next = r.ReadInt32();
        for (int i = 0; i < RecentCap; i++) _recent[i] = r.ReadUInt64();
        int c = r.ReadInt32();
        for (int i = 0; i < c; i++) _countries.Add((r.ReadUInt64(), r.ReadInt64()));
        if (!withClients) return;
        int k = r.ReadInt32();
        for (int i = 0; i < k; i++) _clients.Add((r.ReadUInt64(), r.ReadInt64()));
        _fresh = (r.ReadUInt64(), r.ReadInt64(), r.ReadDouble());
        if (!withFreshUse) return;
        _freshUse = (r.ReadBoolean(), r.ReadInt32());
    }
}
