using BenchmarkDotNet.Attributes;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.Signals;

namespace KeyShareDetector.Benchmarks;

/// <summary>
/// Each access signal's OnAccess on its steady path: a warm key (20 minutes of <see cref="OwnerTraffic"/>) and
/// the next request of the same traffic, event time moving on 250 ms per request, so hop buckets roll over,
/// sessions and jumps age out as they do live. Nothing fires (checked at cleanup). Times are per event.
/// </summary>
[MemoryDiagnoser]
public class AccessAggregatorBenchmarks
{
    private const int Ops = 256;
    private const int WarmUpEvents = 20 * 60 * 4;

    private static readonly DetectionPolicy Policy = DetectionPolicy.Default;

    private readonly List<SignalFinding> _findings = new(4);
    private AccessContext[] _owner = [];
    private AccessContext[] _registered = [];
    private AccessContext[] _unregistered = [];
    private IpDiversityAggregate _ipDiversity = null!;
    private UnregisteredAccessAggregate _unregisteredAccess = null!;
    private UnregisteredAccessAggregate _unregisteredHits = null!;
    private ImpossibleTravelAggregate _travel = null!;
    private ConcurrentSessionsAggregate _sessions = null!;
    private FingerprintDiversityAggregate _fingerprints = null!;
    private long _ts;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _owner = OwnerTraffic.Contexts(registered: false);
        _registered = OwnerTraffic.Contexts(registered: true);
        _unregistered = OwnerTraffic.Contexts(registered: false, allowlisted: true);
        _ipDiversity = new IpDiversityAggregate(Policy.IpDiversity);
        _unregisteredAccess = new UnregisteredAccessAggregate();
        _unregisteredHits = new UnregisteredAccessAggregate();
        _travel = new ImpossibleTravelAggregate();
        _sessions = new ConcurrentSessionsAggregate();
        _fingerprints = new FingerprintDiversityAggregate();
        _ts = OwnerTraffic.T0;
        for (int i = 0; i < WarmUpEvents; i++) Step();
        if (_findings.Count > 0) throw new InvalidOperationException($"the owner's traffic fired {_findings[0].Code} while warming up");
        for (int i = 0; i < WarmUpEvents; i++) UnregisteredHitFires();
        _findings.Clear();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_findings.Count > 0) throw new InvalidOperationException($"the steady path fired {_findings[0].Code}: the benchmark measured the wrong path");
    }

    /// <summary>Four distinct counters (IP, prefix, network, country) and the open windows' counts.</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public void IpDiversity()
    {
        var agg = _ipDiversity;
        var rule = Policy.IpDiversity;
        for (int i = 0; i < Ops; i++)
        {
            var ctx = OwnerTraffic.Next(_owner, ref _ts, ref _next);
            agg.OnAccess(ctx, rule, _ts, _findings);
        }
    }

    /// <summary>The owner's request from a registered IP (an unregistered one always fires: any hit counts).</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public void UnregisteredAccess()
    {
        var agg = _unregisteredAccess;
        var rule = Policy.UnregisteredAccess;
        for (int i = 0; i < Ops; i++) agg.OnAccess(OwnerTraffic.Next(_registered, ref _ts, ref _next), rule, _findings);
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public void ImpossibleTravel()
    {
        var agg = _travel;
        var rule = Policy.ImpossibleTravel;
        for (int i = 0; i < Ops; i++) agg.OnAccess(OwnerTraffic.Next(_owner, ref _ts, ref _next), rule, _findings);
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public void ConcurrentSessions()
    {
        var agg = _sessions;
        var rule = Policy.ConcurrentSessions;
        for (int i = 0; i < Ops; i++) agg.OnAccess(OwnerTraffic.Next(_owner, ref _ts, ref _next), rule, _findings);
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public void FingerprintDiversity()
    {
        var agg = _fingerprints;
        var rule = Policy.FingerprintDiversity;
        for (int i = 0; i < Ops; i++) agg.OnAccess(OwnerTraffic.Next(_owner, ref _ts, ref _next), rule, _findings);
    }

    /// <summary>Not a steady path: a request from outside the allowlist fires on every hit, evidence included (for scale).</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public void UnregisteredHitFires()
    {
        var agg = _unregisteredHits;
        var rule = Policy.UnregisteredAccess;
        for (int i = 0; i < Ops; i++) agg.OnAccess(OwnerTraffic.Next(_unregistered, ref _ts, ref _next), rule, _findings);
        _findings.Clear();
    }

    private void Step()
    {
        var ctx = OwnerTraffic.Next(_owner, ref _ts, ref _next);
        _ipDiversity.OnAccess(ctx, Policy.IpDiversity, _ts, _findings);
        _travel.OnAccess(ctx, Policy.ImpossibleTravel, _findings);
        _sessions.OnAccess(ctx, Policy.ConcurrentSessions, _findings);
        _fingerprints.OnAccess(ctx, Policy.FingerprintDiversity, _findings);
        _unregisteredAccess.OnAccess(OwnerTraffic.Next(_registered, ref _ts, ref _next), Policy.UnregisteredAccess, _findings);
    }
}
