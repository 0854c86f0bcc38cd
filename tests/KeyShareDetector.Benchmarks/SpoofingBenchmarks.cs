using System.Globalization;
using BenchmarkDotNet.Attributes;
using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Signals;
using KeyShareDetector.Detection.Signals.Spoofing;

namespace KeyShareDetector.Benchmarks;

/// <summary>
/// <see cref="SpoofingAggregate.OnOrder"/> on its steady path: a market maker quoting both sides of two symbols,
/// cancelling and re-quoting every 200 ms with an occasional fill (re-order buffer, open orders, size history,
/// day counters, cycle and layering checks; nothing fires). The events of a 4096-step ring are replayed with
/// event time moving on (the ring spans ~14 min, far more than the 30 s re-order grace). Times are per event.
/// </summary>
[MemoryDiagnoser]
public class SpoofingBenchmarks
{
    private const int Ops = 256;
    private const int Steps = 4096;
    private const long StepMs = 200;
    private const long T0 = 1_767_225_600_000;
    private const double Bid = 100.0;
    private const double Ask = 100.1;

    private readonly List<SignalFinding> _findings = new(4);
    private readonly SpoofingRule _rule = SpoofingRule.Default;
    private (OrderEvent Event, long Offset)[] _ring = [];
    private SpoofingAggregate _agg = null!;
    private long _lapStart;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var ring = new List<(OrderEvent, long)>();
        for (int i = 0; i < Steps; i++)
        {
            long t = i * StepMs;
            string symbol = i % 3 == 0 ? "ETH-KRW" : "BTC-KRW";
            string bid = "b" + i.ToString(CultureInfo.InvariantCulture);
            string ask = "a" + i.ToString(CultureInfo.InvariantCulture);
            ring.Add((Order(bid, OrderSide.BUY, OrderEventType.PLACE, Bid, 1 + (i % 3), 0, symbol), t));
            ring.Add((Order(ask, OrderSide.SELL, OrderEventType.PLACE, Ask, 1 + (i % 2), 0, symbol), t + 1));
            if (i % 10 == 0) ring.Add((Order(bid, OrderSide.BUY, OrderEventType.FILL, Bid, 1 + (i % 3), 1, symbol), t + 50));
            ring.Add((Order(bid, OrderSide.BUY, OrderEventType.CANCEL, Bid, 1 + (i % 3), 0, symbol), t + 150));
            ring.Add((Order(ask, OrderSide.SELL, OrderEventType.CANCEL, Ask, 1 + (i % 2), 0, symbol), t + 151));
        }
        _ring = [.. ring];
        _agg = new SpoofingAggregate();
        _lapStart = T0;
        for (int i = 0; i < 2 * _ring.Length; i++) Next();
        if (_findings.Count > 0) throw new InvalidOperationException($"the market maker fired {_findings[0].Code} while warming up");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_findings.Count > 0) throw new InvalidOperationException($"the steady path fired {_findings[0].Code}: the benchmark measured the wrong path");
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public void OnOrder()
    {
        for (int i = 0; i < Ops; i++) Next();
    }

    private void Next()
    {
        var (e, offset) = _ring[_next];
        EventClock.Set(e, _lapStart + offset);
        _agg.OnOrder(e, _rule, _findings);
        if (++_next == _ring.Length)
        {
            _next = 0;
            _lapStart += Steps * StepMs;
        }
    }

    private static OrderEvent Order(string id, OrderSide side, OrderEventType type, double price, double qty, double filled, string symbol) => new()
    {
        EventId = id + "-" + type,
        Ts = T0,
        ApiKeyId = "key-1",
        AccountId = "acct-1",
        OrderId = id,
        Symbol = symbol,
        Side = side,
        EventType = type,
        Price = price,
        Quantity = qty,
        FilledQuantity = filled,
        BestBid = Bid,
        BestAsk = Ask,
    };
}
