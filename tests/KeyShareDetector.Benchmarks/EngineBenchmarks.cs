using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using KeyShareDetector.Contracts;
using KeyShareDetector.Detection;
using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.Signals;

namespace KeyShareDetector.Benchmarks;

/// <summary>
/// The whole <see cref="KeyRiskEngine.OnAccess"/> for a warm key (no allowlist, <see cref="OwnerTraffic"/>,
/// built-in geo table), plus the pieces of its enrichment that allocate, measured alone. Times are per event.
/// </summary>
[MemoryDiagnoser]
public class EngineBenchmarks
{
    private const int Ops = 256;
    private const int WarmUpEvents = 20 * 60 * 4;

    private KeyRiskEngine _engine = null!;
    private KeyShareDetector.Detection.State.KeyRiskState _state = null!;
    private AccessContext[] _ring = [];
    private long _ts;
    private int _next;
    private int _commands;

    [GlobalSetup]
    public void Setup()
    {
        _engine = new KeyRiskEngine(DetectionPolicy.Default, new CommandSigner("bench-key-1", Encoding.UTF8.GetBytes("benchmark-secret-0123456789abcdef")), BuiltInGeoTable.Default);
        _state = _engine.NewState("key-1");
        _engine.OnRegistry(_state, new KeyRegistryRecord { ApiKeyId = "key-1", AccountId = "acct-1", CreatedAt = OwnerTraffic.T0 - 86_400_000 });
        _ring = OwnerTraffic.Contexts(registered: false);
        _ts = OwnerTraffic.T0;
        for (int i = 0; i < WarmUpEvents; i++) Step();
        if (_state.Active.Count > 0 || _commands > 0) throw new InvalidOperationException("the owner's traffic raised findings while warming up");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_state.Active.Count > 0 || _commands > 0) throw new InvalidOperationException("the steady path raised findings: the benchmark measured the wrong path");
    }

    /// <summary>Enrichment (IP parse, geo, prefix, network name, context), five signals, spoofing time, decision; a feature snapshot once per hop.</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public void OnAccessWarmKey()
    {
        for (int i = 0; i < Ops; i++) Step();
    }

    /// <summary>Enrichment piece: <see cref="IPAddress.Parse(string)"/> of an IPv4 string.</summary>
    [Benchmark]
    public IPAddress ParseIp() => IPAddress.Parse(_ring[0].Event.Ip);

    /// <summary>Enrichment piece: the /24 of an IPv4 string.</summary>
    [Benchmark]
    public string? PrefixOfIp() => IpPrefix.NetworkOf(_ring[0].Event.Ip);

    private void Step()
    {
        var ctx = OwnerTraffic.Next(_ring, ref _ts, ref _next);
        if (_engine.OnAccess(_state, ctx.Event).Command is not null) _commands++;
    }
}
