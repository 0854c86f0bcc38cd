using System.Globalization;

namespace KeyShareDetector.Detection.Signals;

/// <summary>Thresholds of the impossible-travel rule (defaults from DETECTION.md; Okta uses 805 km/h, Curity 250 km/h).</summary>
public sealed record ImpossibleTravelRule
{
    public double Weight { get; init; } = 35;
    /// <summary>Jumps shorter than this are GeoIP noise.</summary>
    public double MinDistanceKm { get; init; } = 100;
    public double MaxSpeedKmh { get; init; } = 1000;
    /// <summary>A jump through a hosting/VPN network counts this much (0 = ignored, 1 = fully).</summary>
    public double HostingDiscount { get; init; } = 0;
    /// <summary>
    /// A jump inside one country with a mobile-carrier end counts this much: carriers geolocate subscribers to a
    /// hub city, so a phone in Busan shows up in Seoul. Jumps across borders count fully.
    /// </summary>
    public double MobileDomesticDiscount { get; init; } = 0;
    /// <summary>Impossible jumps needed within <see cref="LookbackMs"/> before the rule fires.</summary>
    public int MinRepetitions { get; init; } = 2;
    public long LookbackMs { get; init; } = 1_800_000;

    public IEnumerable<string> Validate()
    {
        if (MinDistanceKm < 0) yield return "impossibleTravel.minDistanceKm: must be >= 0";
        if (MaxSpeedKmh <= 0) yield return "impossibleTravel.maxSpeedKmh: must be > 0";
        if (HostingDiscount is < 0 or > 1) yield return "impossibleTravel.hostingDiscount: must be within [0, 1]";
        if (MobileDomesticDiscount is < 0 or > 1) yield return "impossibleTravel.mobileDomesticDiscount: must be within [0, 1]";
        if (MinRepetitions < 1) yield return "impossibleTravel.minRepetitions: must be >= 1";
        if (LookbackMs <= 0) yield return "impossibleTravel.lookbackMs: must be > 0";
    }
}

/// <summary>
/// Recent geolocated accesses of one key, kept sorted by event time (bounded), so a point arriving out of order
/// is compared with its true neighbours. Each pair of consecutive points faster than the speed limit is a jump.
/// </summary>
public sealed class ImpossibleTravelAggregate
{
    /// <summary>Most points remembered; older ones fall out.</summary>
    public const int PointCap = 16;
    public const int JumpCap = 32;

    private readonly List<Point> _points = [];
    private readonly List<Jump> _jumps = [];

    public int Points => _points.Count;

    public void OnAccess(AccessContext ctx, ImpossibleTravelRule rule, List<SignalFinding> findings)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(findings);
        if (!ctx.Geo.HasLocation || ctx.PlatformTraffic) return;
        var p = new Point(ctx.Event.Ts, ctx.Geo.Latitude!.Value, ctx.Geo.Longitude!.Value, ctx.Geo.IsHosting ? NetKind.Hosting : ctx.Geo.IsMobile ? NetKind.Mobile : NetKind.Fixed, ctx.Geo.Country ?? "", ctx.Event.Ip);

        int at = _points.Count;
        while (at > 0 && _points[at - 1].Ts > p.Ts) at--;
        if (at > 0 && at < _points.Count)
        {
            // The new point splits the pair (before, after): that pair is no longer consecutive.
            RemoveJumps(_points[at - 1], _points[at]);
        }
        _points.Insert(at, p);
        if (at > 0) Consider(_points[at - 1], p, rule);
        if (at + 1 < _points.Count) Consider(p, _points[at + 1], rule);
        if (_points.Count > PointCap) _points.RemoveAt(0);

        long newest = _points[^1].Ts;
        long horizon = newest - rule.LookbackMs;
        for (int i = _jumps.Count - 1; i >= 0; i--)
        {
            if (_jumps[i].To.Ts < horizon) _jumps.RemoveAt(i);
        }
        double weighted = 0;
        foreach (var j in _jumps) weighted += j.Factor;
        if (weighted < rule.MinRepetitions || _jumps.Count == 0) return;

        var fastest = _jumps[0];
        foreach (var j in _jumps) if (j.SpeedKmh > fastest.SpeedKmh) fastest = j;
        var subjects = new List<string>(4)
        {
            $"{fastest.From.Ip} ({fastest.From.Country})",
            $"{fastest.To.Ip} ({fastest.To.Country})",
        };
        findings.Add(new SignalFinding("IMPOSSIBLE_TRAVEL", weighted / rule.MinRepetitions, horizon, newest,
            Evidence.Of("IMPOSSIBLE_TRAVEL",
                string.Create(CultureInfo.InvariantCulture,
                    $"{_jumps.Count} impossible jump(s) within {rule.LookbackMs / 60_000} min; fastest {fastest.DistanceKm:F0} km in {fastest.Seconds:F0} s ({fastest.SpeedKmh:F0} km/h) from {fastest.From.Country} to {fastest.To.Country}"),
                [("jumps", _jumps.Count), ("weighted_jumps", weighted), ("fastest_km", Math.Round(fastest.DistanceKm, 1)),
                 ("fastest_kmh", Math.Round(fastest.SpeedKmh, 1)), ("max_kmh", rule.MaxSpeedKmh), ("window_start", horizon), ("window_end", newest)],
                subjects)));
    }

    /// <summary>Forgets the jumps from <paramref name="from"/> to <paramref name="to"/> (a loop, not RemoveAll with a closure: nothing allocated).</summary>
    private void RemoveJumps(in Point from, in Point to)
    {
        for (int i = _jumps.Count - 1; i >= 0; i--)
        {
            var j = _jumps[i];
            if (j.From == from && j.To == to) _jumps.RemoveAt(i);
        }
    }

    private void Consider(Point a, Point b, ImpossibleTravelRule rule)
    {
        double km = HaversineKm(a.Lat, a.Lon, b.Lat, b.Lon);
        if (km < rule.MinDistanceKm) return;
        double seconds = Math.Max(1, (b.Ts - a.Ts) / 1000.0);
        double kmh = km / (seconds / 3600.0);
        if (kmh <= rule.MaxSpeedKmh) return;
        double factor = a.Kind == NetKind.Hosting || b.Kind == NetKind.Hosting ? rule.HostingDiscount
            : (a.Kind == NetKind.Mobile || b.Kind == NetKind.Mobile) && string.Equals(a.Country, b.Country, StringComparison.Ordinal) ? rule.MobileDomesticDiscount
            : 1.0;
        if (factor <= 0) return;
        if (_jumps.Count >= JumpCap) _jumps.RemoveAt(0);
        _jumps.Add(new Jump(a, b, km, seconds, kmh, factor));
    }

    /// <summary>Great-circle distance in km on a sphere of radius 6371 km.</summary>
    public static double HaversineKm(double lat1, double lon1, double lat2, double lon2)
    {
        const double R = 6371.0;
        double dLat = Radians(lat2 - lat1);
        double dLon = Radians(lon2 - lon1);
        double h = (Math.Sin(dLat / 2) * Math.Sin(dLat / 2)) +
                   (Math.Cos(Radians(lat1)) * Math.Cos(Radians(lat2)) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2));
        return 2 * R * Math.Asin(Math.Min(1, Math.Sqrt(h)));
    }

    private static double Radians(double degrees) => degrees * Math.PI / 180.0;

    public void WriteTo(BinaryWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.Write(_points.Count);
        foreach (var p in _points) WritePoint(w, p);
        w.Write(_jumps.Count);
        foreach (var j in _jumps)
        {
            WritePoint(w, j.From);
            WritePoint(w, j.To);
            w.Write(j.DistanceKm);
            w.Write(j.Seconds);
            w.Write(j.SpeedKmh);
            w.Write(j.Factor);
        }
    }

    /// <summary>Back to a new aggregate's state (the codec reads another key's state into it).</summary>
    internal void Clear()
    {
        _points.Clear();
        _jumps.Clear();
    }

    public void ReadFrom(BinaryReader r)
    {
        ArgumentNullException.ThrowIfNull(r);
        int n = r.ReadInt32();
        // Sized once for what was stored plus the point the next access inserts: grown from empty, the list was
        // reallocated four times per decode (4, 8, 16, then 32 for the 17th point before the cap trims it).
        _points.EnsureCapacity(Math.Clamp(n, 0, PointCap) + 1);
        for (int i = 0; i < n; i++) _points.Add(ReadPoint(r));
        int m = r.ReadInt32();
        _jumps.EnsureCapacity(Math.Clamp(m, 0, JumpCap));
        for (int i = 0; i < m; i++) _jumps.Add(new Jump(ReadPoint(r), ReadPoint(r), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble()));
    }

    private static void WritePoint(BinaryWriter w, Point p)
    {
        w.Write(p.Ts);
        w.Write(p.Lat);
        w.Write(p.Lon);
        w.Write((byte)p.Kind);
        w.Write(p.Country);
        w.Write(p.Ip);
    }

    private static Point ReadPoint(BinaryReader r) => new(r.ReadInt64(), r.ReadDouble(), r.ReadDouble(), (NetKind)r.ReadByte(), r.ReadString(), r.ReadString());

    /// <summary>What kind of network a point came from (one byte on disk; 0/1 match the earlier hosting flag).</summary>
    private enum NetKind : byte { Fixed = 0, Hosting = 1, Mobile = 2 }

    private readonly record struct Point(long Ts, double Lat, double Lon, NetKind Kind, string Country, string Ip);

    private readonly record struct Jump(Point From, Point To, double DistanceKm, double Seconds, double SpeedKmh, double Factor);
}
