using BenchmarkDotNet.Attributes;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Json;
using KeyShareDetector.Contracts.Wire;

namespace KeyShareDetector.Benchmarks;

/// <summary>
/// A feature snapshot as the engine writes one (11 metrics, two findings) to JSON: the generic wire format against the
/// field-by-field writer the detector uses (same bytes, FeatureSnapshotJsonTests).
/// </summary>
[MemoryDiagnoser]
public class SnapshotJsonBenchmarks
{
    private static readonly string[] MetricNames =
    [
        "distinct_ips", "distinct_prefixes", "distinct_networks", "distinct_countries", "tracked_sessions", "unregistered_ips",
        "events", "orders_placed_today", "orders_cancelled_today", "order_to_trade_ratio", "spoof_cycles_in_window",
    ];

    private readonly FeatureSnapshot _snapshot = new()
    {
        ApiKeyId = "key-000123", AccountId = "acct-000045", Ts = 1_767_225_612_345, WindowStart = 1_767_225_000_000, WindowEnd = 1_767_225_900_000,
        PolicyVersion = "default-v3", State = KeyState.WARNED, RiskScore = 0.7312,
        Metrics = [.. MetricNames.Select((n, i) => new Metric { Name = n, Value = i * 3.25 })],
        Findings =
        [
            new Reason { Code = "IP_DIVERSITY", Summary = "7 networks in 15 min (limit 4)", Metrics = [new Metric { Name = "networks", Value = 7 }, new Metric { Name = "limit", Value = 4 }], Subjects = ["AS13335", "AS16509", "AS8075"] },
            new Reason { Code = "IMPOSSIBLE_TRAVEL", Summary = "Frankfurt to Singapore at 9,800 km/h", Metrics = [new Metric { Name = "kmh", Value = 9_812.4 }], Subjects = ["DE", "SG"] },
        ],
        LateRecords = 3,
        CapsExceeded = [],
    };

    [Benchmark(Baseline = true)]
    public byte[] GenericJsonFormat() => JsonWireFormat<FeatureSnapshot>.Instance.Serialize(_snapshot);

    [Benchmark]
    public byte[] FieldByField() => FeatureSnapshotJson.Serialize(_snapshot);
}
