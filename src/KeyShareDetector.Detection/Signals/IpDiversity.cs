using System.Globalization;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.Windows;

namespace KeyShareDetector.Detection.Signals;

/// <summary>Distinct IPs, prefixes (/24, /64), networks (ASN else prefix) and countries of one key, per hopping window.</summary>
public sealed class IpDiversityAggregate
{
    private long _expiredThrough = long.MinValue;

    public IpDiversityAggregate(IpDiversityRule rule)
        : this(rule?.Window ?? throw new ArgumentNullException(nameof(rule)), rule.MaxTrackedIps)
    {
    }

    private IpDiversityAggregate(HoppingWindowSpec window, int cap)
    {
        Window = window;
        Cap = cap;
        Ips = new HoppingDistinctCounter(window, cap);
        Prefixes = new HoppingDistinctCounter(window, cap);
        Networks = new HoppingDistinctCounter(window, cap);
        Countries = new HoppingDistinctCounter(window, cap);
    }

    public HoppingWindowSpec Window { get; }

    /// <summary>Per-counter cap on exactly tracked members.</summary>
    public int Cap { get; }

    /// <summary>True when this aggregate was built for the rule's window and cap (a policy change may alter them).</summary>
    public bool Fits(IpDiversityRule rule) => rule is not null && rule.Window == Window && rule.MaxTrackedIps == Cap;
    public HoppingDistinctCounter Ips { get; }
    public HoppingDistinctCounter Prefixes { get; }
    public HoppingDistinctCounter Networks { get; }
    public HoppingDistinctCounter Countries { get; }

    /// <summary>True when any counter hit its cap (evidence of a hostile or abused key).</summary>
    public bool Overflowed => Ips.Overflowed || Prefixes.Overflowed || Networks.Overflowed || Countries.Overflowed;

    /// <summary>Adds an access (not late: the caller checked) and appends a finding when a window crosses the thresholds.</summary>
    public void OnAccess(AccessContext ctx, IpDiversityRule rule, long streamTime, List<SignalFinding> findings)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(findings);
        long newest = Window.BucketOf(streamTime);
        if (newest != _expiredThrough)
        {
            long oldestLive = FloorDiv(streamTime - Window.SizeMs - Window.GraceMs, Window.HopMs) + 1;
            Ips.Expire(oldestLive, newest);
            Prefixes.Expire(oldestLive, newest);
            Networks.Expire(oldestLive, newest);
            Countries.Expire(oldestLive, newest);
            _expiredThrough = newest;
        }
        // Traffic from the key's registered CIDRs or its platform's is expected to be diverse (multi-server bots).
        if (ctx.Registered || ctx.PlatformTraffic) return;

        long bucket = Window.BucketOf(ctx.Event.Ts);
        Ips.Add(ctx.Event.Ip, bucket);
        Prefixes.Add(ctx.Prefix, bucket);
        // A VPN or rented server says little about where a person is; it counts as a network only when the rule says so.
        if (rule.CountHosting || !ctx.Geo.IsHosting)
        {
            Networks.Add(ctx.Network, bucket);
            if (ctx.Geo.Country is { } country) Countries.Add(country, bucket);
        }

        if (Evaluate(rule, bucket, streamTime) is { } f) findings.Add(ToFinding(rule, f));
    }

    private Finding? Evaluate(IpDiversityRule rule, long bucket, long streamTime)
    {
        int n = Window.BucketsPerWindow;
        for (long start = bucket - n + 1; start <= bucket; start++)
        {
            if (Window.IsClosed(start, streamTime)) continue;
            int networks = Networks.CountWindow(start);
            if (networks < 2) continue;
            int countries = Countries.CountWindow(start);
            if (networks < rule.MinDistinctNetworks && countries < rule.MinDistinctCountries) continue;
            int ips = Ips.CountWindow(start);
            if (ips < rule.MinDistinctIps) continue;
            return new Finding(start, ips, Prefixes.CountWindow(start), networks, countries);
        }
        return null;
    }

    private SignalFinding ToFinding(IpDiversityRule rule, Finding f)
    {
        long start = Window.WindowStart(f.StartBucket);
        long end = Window.WindowEnd(f.StartBucket);
        var subjects = new List<string>(Evidence.SubjectCap);
        subjects.AddRange(Networks.MembersOfWindow(f.StartBucket, 6));
        subjects.AddRange(Countries.MembersOfWindow(f.StartBucket, 4));
        subjects.AddRange(Ips.MembersOfWindow(f.StartBucket, 6));
        double strength = Math.Max((double)f.Networks / rule.MinDistinctNetworks, (double)f.Countries / rule.MinDistinctCountries);
        return new SignalFinding(IpDiversitySignal.Code, strength, start, end,
            Evidence.Of(IpDiversitySignal.Code,
                string.Create(CultureInfo.InvariantCulture,
                    $"{f.Ips} distinct IPs in {f.Networks} distinct networks and {f.Countries} countries within {(end - start) / 60_000} min"),
                [
                    ("distinct_ips", f.Ips), ("distinct_prefixes", f.Prefixes), ("distinct_networks", f.Networks), ("distinct_countries", f.Countries),
                    ("min_distinct_ips", rule.MinDistinctIps), ("min_distinct_networks", rule.MinDistinctNetworks),
                    ("window_start", start), ("window_end", end), ("ips_capped", Ips.Overflowed ? 1 : 0),
                ],
                subjects));
    }

    public void WriteTo(BinaryWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.Write(Window.SizeMs);
        w.Write(Window.HopMs);
        w.Write(Window.GraceMs);
        w.Write(Cap);
        w.Write(_expiredThrough);
        Ips.WriteTo(w);
        Prefixes.WriteTo(w);
        Networks.WriteTo(w);
        Countries.WriteTo(w);
    }

    /// <summary>Reads what <see cref="WriteTo"/> wrote, with the window and cap it was built for.</summary>
    public static IpDiversityAggregate Read(BinaryReader r) => Read(r, reuse: null);

    /// <summary>
    /// <see cref="Read(BinaryReader)"/>, into <paramref name="reuse"/> (cleared first) when it was built for the same
    /// window and cap: the codec reads key after key into one state, and the counters' tables are kept.
    /// </summary>
    internal static IpDiversityAggregate Read(BinaryReader r, IpDiversityAggregate? reuse)
    {
        ArgumentNullException.ThrowIfNull(r);
        var window = new HoppingWindowSpec(r.ReadInt64(), r.ReadInt64(), r.ReadInt64());
        int cap = r.ReadInt32();
        IpDiversityAggregate agg;
        if (reuse is not null && reuse.Window == window && reuse.Cap == cap)
        {
            agg = reuse;
            agg.Ips.Clear();
            agg.Prefixes.Clear();
            agg.Networks.Clear();
            agg.Countries.Clear();
        }
        else
        {
            agg = new IpDiversityAggregate(window, cap);
        }
        agg._expiredThrough = r.ReadInt64();
        agg.Ips.ReadFrom(r);
        agg.Prefixes.ReadFrom(r);
        agg.Networks.ReadFrom(r);
        agg.Countries.ReadFrom(r);
        return agg;
    }

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : ((a + 1) / b) - 1;

    private readonly record struct Finding(long StartBucket, int Ips, int Prefixes, int Networks, int Countries);
}

/// <summary>Fires when a key is used from too many networks or countries within one window.</summary>
public static class IpDiversitySignal
{
    public const string Code = "IP_DIVERSITY";
}
