using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.Signals;
using static KeyShareDetector.Detection.Tests.Signals.Ctx;

namespace KeyShareDetector.Detection.Tests.Signals;

/// <summary>
/// Guards beside the BenchmarkDotNet benchmarks: each access signal's OnAccess allocates nothing on its warm
/// steady path (a realistic key whose traffic fires nothing), with event time moving on, buckets rolling over
/// and a few records arriving out of order.
/// </summary>
public class AggregatorAllocationTests
{
    private const long StepMs = 250;
    private const int WarmUp = 2_400;
    private const int Measured = 1_600;

    private static readonly DetectionPolicy Policy = DetectionPolicy.Default;

    /// <summary>
    /// One owner's bot software (one user agent, TLS fingerprint and clock offset) in four sessions: two on a home
    /// line, two on a mobile line (one without a session id), both in Seoul. Every tenth record is 2 s late.
    /// </summary>
    private static AccessContext[] OwnerTraffic(bool registered = false)
    {
        var contexts = new AccessContext[WarmUp + Measured];
        for (int i = 0; i < contexts.Length; i++)
        {
            long ts = T0 + (i * StepMs) - (i % 10 == 9 ? 2_000 : 0);
            var (ip, geo, session) = (i % 4) switch
            {
                0 => ("81.2.69.10", Places.Seoul, "home-a"),
                1 => ("81.2.69.10", Places.Seoul, "home-b"),
                2 => ("211.234.1.1", Places.SeoulMobile, "phone"),
                _ => ("211.234.1.1", Places.SeoulMobile, (string?)null),
            };
            contexts[i] = Of(ip, ts, geo, session, ua: "ccxt/4.4.35 Python/3.12", tls: "t13d1516h2_8daaf6152771_e5627efa2ab1",
                clientTs: ts - 350, hasAllowlist: registered, registered: registered);
        }
        return contexts;
    }

    /// <summary>Runs the warm-up, then measures the rest; nothing may fire, and the measured part may not allocate.</summary>
    private static long AllocatedOnSteadyPath(AccessContext[] contexts, Action<AccessContext, List<SignalFinding>> onAccess)
    {
        var findings = new List<SignalFinding>(4);
        for (int i = 0; i < WarmUp; i++) onAccess(contexts[i], findings);
        Assert.Empty(findings);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = WarmUp; i < contexts.Length; i++) onAccess(contexts[i], findings);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Empty(findings);
        return allocated;
    }

    [Fact]
    public void Ip_diversity_allocates_nothing_once_warmed_up()
    {
        var agg = new IpDiversityAggregate(Policy.IpDiversity);
        long streamTime = long.MinValue;
        Assert.Equal(0, AllocatedOnSteadyPath(OwnerTraffic(), (c, f) =>
        {
            streamTime = Math.Max(streamTime, c.Event.Ts);
            agg.OnAccess(c, Policy.IpDiversity, streamTime, f);
        }));
    }

    [Fact]
    public void Unregistered_access_allocates_nothing_for_the_owners_registered_ips()
    {
        var agg = new UnregisteredAccessAggregate();
        Assert.Equal(0, AllocatedOnSteadyPath(OwnerTraffic(registered: true), (c, f) => agg.OnAccess(c, Policy.UnregisteredAccess, f)));
        Assert.Equal("KR", agg.RegisteredCountry);
    }

    [Fact]
    public void Impossible_travel_allocates_nothing_once_warmed_up_even_for_out_of_order_points()
    {
        var agg = new ImpossibleTravelAggregate();
        Assert.Equal(0, AllocatedOnSteadyPath(OwnerTraffic(), (c, f) => agg.OnAccess(c, Policy.ImpossibleTravel, f)));
        Assert.Equal(ImpossibleTravelAggregate.PointCap, agg.Points);
    }

    [Fact]
    public void Concurrent_sessions_allocate_nothing_once_warmed_up()
    {
        var agg = new ConcurrentSessionsAggregate();
        Assert.Equal(0, AllocatedOnSteadyPath(OwnerTraffic(), (c, f) => agg.OnAccess(c, Policy.ConcurrentSessions, f)));
        Assert.Equal(4, agg.Tracked);
    }

    [Fact]
    public void Fingerprint_diversity_allocates_nothing_once_warmed_up()
    {
        var agg = new FingerprintDiversityAggregate();
        Assert.Equal(0, AllocatedOnSteadyPath(OwnerTraffic(), (c, f) => agg.OnAccess(c, Policy.FingerprintDiversity, f)));
        Assert.False(agg.Overflowed);
    }
}
