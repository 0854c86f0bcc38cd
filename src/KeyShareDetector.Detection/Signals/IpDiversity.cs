using System.Globalization;
using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.Windows;

namespace KeyShareDetector.Detection.Signals;

/// <summary>Distinct IPs and network prefixes (/24, /64) one key used, per hopping window.</summary>
public sealed class IpDiversityAggregate
{
    public IpDiversityAggregate(IpDiversityRule rule)
    {
        Window = rule.Window;
        Ips = new HoppingDistinctCounter(rule.Window, rule.MaxTrackedIps);
        Prefixes = new HoppingDistinctCounter(rule.Window, rule.MaxTrackedIps);
    }

    public HoppingWindowSpec Window { get; }
    public HoppingDistinctCounter Ips { get; }
    public HoppingDistinctCounter Prefixes { get; }

    public void Add(string ip, string prefix, long bucket)
    {
        Ips.Add(ip, bucket);
        Prefixes.Add(prefix, bucket);
    }

    public void Expire(long oldestLiveBucket, long newestBucket)
    {
        Ips.Expire(oldestLiveBucket, newestBucket);
        Prefixes.Expire(oldestLiveBucket, newestBucket);
    }
}

/// <summary>What the IP diversity rule saw in the window that fired.</summary>
public readonly record struct IpDiversityFinding(long WindowStart, long WindowEnd, int DistinctIps, int DistinctPrefixes);

/// <summary>Fires when a key is used from too many networks within one window.</summary>
public static class IpDiversitySignal
{
    public const string Code = "IP_DIVERSITY";
    private const int SubjectCap = 16;

    /// <summary>The earliest open window containing <paramref name="bucket"/> that crosses both thresholds, if any.</summary>
    public static IpDiversityFinding? Evaluate(IpDiversityAggregate agg, IpDiversityRule rule, long bucket, long streamTime)
    {
        var spec = agg.Window;
        int n = spec.BucketsPerWindow;
        for (long start = bucket - n + 1; start <= bucket; start++)
        {
            if (spec.IsClosed(start, streamTime)) continue;
            int prefixes = agg.Prefixes.CountWindow(start);
            if (prefixes < rule.MinDistinctPrefixes) continue;
            int ips = agg.Ips.CountWindow(start);
            if (ips < rule.MinDistinctIps) continue;
            return new IpDiversityFinding(spec.WindowStart(start), spec.WindowEnd(start), ips, prefixes);
        }
        return null;
    }

    /// <summary>The evidence for a finding: the numbers and the networks involved.</summary>
    public static Reason ToReason(IpDiversityAggregate agg, IpDiversityRule rule, IpDiversityFinding f)
    {
        long startBucket = agg.Window.BucketOf(f.WindowStart);
        var subjects = new List<string>(agg.Prefixes.MembersOfWindow(startBucket, SubjectCap / 2));
        subjects.AddRange(agg.Ips.MembersOfWindow(startBucket, SubjectCap / 2));
        long minutes = (f.WindowEnd - f.WindowStart) / 60_000;
        return new Reason
        {
            Code = Code,
            Summary = string.Create(CultureInfo.InvariantCulture,
                $"{f.DistinctIps} distinct IPs in {f.DistinctPrefixes} distinct networks (/24 or /64) within {minutes} min"),
            Metrics =
            [
                new Metric { Name = "distinct_ips", Value = f.DistinctIps },
                new Metric { Name = "distinct_prefixes", Value = f.DistinctPrefixes },
                new Metric { Name = "min_distinct_ips", Value = rule.MinDistinctIps },
                new Metric { Name = "min_distinct_prefixes", Value = rule.MinDistinctPrefixes },
                new Metric { Name = "window_start", Value = f.WindowStart },
                new Metric { Name = "window_end", Value = f.WindowEnd },
                new Metric { Name = "ips_capped", Value = agg.Ips.Overflowed ? 1 : 0 },
            ],
            Subjects = subjects,
        };
    }

    /// <summary>Risk contribution in [0, weight]: how far past the prefix threshold the window went.</summary>
    public static double Score(IpDiversityRule rule, IpDiversityFinding f)
    {
        double strength = Math.Min(1.0, (double)f.DistinctPrefixes / (2.0 * rule.MinDistinctPrefixes));
        return Math.Round(rule.Weight * (0.5 + (0.5 * strength)), 4);
    }
}
