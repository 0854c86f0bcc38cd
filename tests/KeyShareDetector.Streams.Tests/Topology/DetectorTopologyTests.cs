using System.Text;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Detection;
using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Streams.Observability;
using KeyShareDetector.Streams.Policy;
using KeyShareDetector.Streams.Topology;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Mock;
using Streamiz.Kafka.Net.SerDes;

namespace KeyShareDetector.Streams.Tests.Topology;

public sealed class DetectorTopologyTests : IDisposable
{
    private const long T0 = 1_767_225_600_000;
    private static readonly DateTime Epoch = DateTime.UnixEpoch;
    // The synchronous test driver gives every internal-topic record offset 0 (see DetectorOptions.SkipRedelivered).
    private readonly DetectorOptions _options = new() { BootstrapServers = "unused:9092", ApplicationId = "topology-test", SkipRedelivered = false, DeadLetterAlertPerMinute = 3 };
    private readonly CommandSigner _signer = new("test-key", Encoding.UTF8.GetBytes("topology-test-secret-123456"));
    private readonly DetectorMetrics _metrics = new();
    private readonly TopologyTestDriver _driver;
    private readonly TestInputTopic<byte[], byte[]> _access;
    private readonly TestOutputTopic<string, byte[]> _commands;
    private readonly TestOutputTopic<string, byte[]> _dlq;
    private readonly TestOutputTopic<string, byte[]> _features;
    private readonly TestInputTopic<byte[], byte[]> _registry;
    private readonly TestInputTopic<byte[], byte[]> _orders;

    public DetectorTopologyTests()
    {
        var topology = DetectorTopology.Build(_options, new LivePolicy(PolicyBook.Single(DetectionPolicy.Default, _signer)), _metrics, WireCodecs.Create());
        _driver = TestDrivers.For(topology, _options);
        _access = _driver.CreateInputTopic<byte[], byte[]>(_options.Topics.Access, new ByteArraySerDes(), new ByteArraySerDes());
        _commands = _driver.CreateOutputTopic<string, byte[]>(_options.Topics.Enforcement, TimeSpan.FromSeconds(1), new StringSerDes(), new ByteArraySerDes());
        _dlq = _driver.CreateOutputTopic<string, byte[]>(_options.Topics.DeadLetters, TimeSpan.FromSeconds(1), new StringSerDes(), new ByteArraySerDes());
        _features = _driver.CreateOutputTopic<string, byte[]>(_options.Topics.Features, TimeSpan.FromSeconds(1), new StringSerDes(), new ByteArraySerDes());
        _registry = _driver.CreateInputTopic<byte[], byte[]>(_options.Topics.Registry, new ByteArraySerDes(), new ByteArraySerDes());
        _orders = _driver.CreateInputTopic<byte[], byte[]>(_options.Topics.Orders, new ByteArraySerDes(), new ByteArraySerDes());
    }

    public void Dispose() => _driver.Dispose();

    private static AccessEvent Access(string key, string ip, long ts) => new()
    {
        EventId = $"{key}-{ts}", Ts = ts, ApiKeyId = key, AccountId = "acct-" + key, Ip = ip,
        UserAgent = "ua", Endpoint = "/v1/orders",
    };

    private void Pipe(AccessEvent e, WireFormatKind format = WireFormatKind.Json, string? key = null) =>
        Pipe(format == WireFormatKind.Json ? ContractCodecs.Access.SerializeJson(e) : ContractCodecs.Access.SerializeAvro(e), e.Ts, key ?? e.ApiKeyId);

    private void Pipe(byte[] value, long ts, string? key) =>
        _access.PipeInput(key is null ? null! : Encoding.UTF8.GetBytes(key), value, Epoch.AddMilliseconds(ts));

    private List<EnforcementCommand> Commands() =>
        _commands.ReadKeyValueList().Select(r => ContractCodecs.Command.Deserialize(r.Message.Value)).ToList();

    private List<DeadLetter> DeadLetters() =>
        _dlq.ReadKeyValueList().Select(r => ContractCodecs.DeadLetter.Deserialize(r.Message.Value)).ToList();

    [Fact]
    public void A_key_used_from_three_networks_gets_one_signed_WARN_with_its_evidence()
    {
        Pipe(Access("k1", "81.2.69.10", T0));
        Pipe(Access("k1", "203.0.113.7", T0 + 10_000));
        Pipe(Access("k1", "198.51.100.23", T0 + 20_000));
        Pipe(Access("k1", "192.0.2.55", T0 + 30_000));

        var c = Assert.Single(Commands());
        Assert.Equal(EnforcementAction.WARN, c.Action);
        Assert.Equal("k1", c.ApiKeyId);
        Assert.Equal("IP_DIVERSITY", c.Reasons[0].Code);
        Assert.Contains("198.51.100.0/24", c.Reasons[0].Subjects);
        Assert.True(_signer.Verify(c));
    }

    [Fact]
    public void A_key_churning_inside_one_network_gets_no_command()
    {
        for (int i = 1; i <= 30; i++) Pipe(Access("k2", $"100.64.1.{i}", T0 + (i * 1000)));
        Assert.Empty(Commands());
    }

    [Fact]
    public void Avro_single_object_input_is_processed_like_JSON()
    {
        Pipe(Access("k3", "81.2.69.10", T0), WireFormatKind.Avro);
        Pipe(Access("k3", "203.0.113.7", T0 + 1), WireFormatKind.Avro);
        Pipe(Access("k3", "198.51.100.23", T0 + 2), WireFormatKind.Avro);
        Assert.Single(Commands());
    }

    [Fact]
    public void A_malformed_record_goes_to_the_DLQ_with_its_reason_and_coordinates_and_later_records_are_processed()
    {
        Pipe(Access("k4", "81.2.69.10", T0));
        Pipe(Encoding.UTF8.GetBytes("{\"event_id\": \"broken\", "), T0 + 1, "k4");
        Pipe(Access("k4", "203.0.113.7", T0 + 2));
        Pipe(Access("k4", "198.51.100.23", T0 + 3));

        var dead = Assert.Single(DeadLetters());
        Assert.Equal(_options.Topics.Access, dead.SourceTopic);
        Assert.Equal(1, dead.SourceOffset);
        Assert.Equal("PARSE_ERROR", dead.ErrorCode);
        Assert.False(string.IsNullOrWhiteSpace(dead.Reason));
        Assert.Equal("{\"event_id\": \"broken\", ", Encoding.UTF8.GetString(dead.OriginalValue!));
        Assert.Single(Commands());
    }

    [Theory]
    [InlineData("not-an-ip", "INVALID_IP")]
    [InlineData("300.1.1.1", "INVALID_IP")]
    public void An_event_with_an_invalid_ip_is_dead_lettered(string ip, string code)
    {
        Pipe(Access("k5", ip, T0));
        Assert.Equal(code, Assert.Single(DeadLetters()).ErrorCode);
        Assert.Equal(1, _metrics.DeadLetters);
    }

    [Fact]
    public void A_record_keyed_differently_from_its_payload_is_dead_lettered()
    {
        Pipe(Access("k6", "81.2.69.10", T0), key: "someone-else");
        Assert.Equal("KEY_MISMATCH", Assert.Single(DeadLetters()).ErrorCode);
    }

    [Fact]
    public void A_record_without_a_key_takes_the_payload_key()
    {
        Pipe(ContractCodecs.Access.SerializeJson(Access("k7", "81.2.69.10", T0)), T0, null);
        Pipe(ContractCodecs.Access.SerializeJson(Access("k7", "203.0.113.7", T0 + 1)), T0 + 1, null);
        Pipe(ContractCodecs.Access.SerializeJson(Access("k7", "198.51.100.23", T0 + 2)), T0 + 2, null);
        Assert.Equal("k7", Assert.Single(Commands()).ApiKeyId);
        Assert.Empty(DeadLetters());
    }

    [Fact]
    public void The_topology_needs_exactly_the_internal_topics_that_are_provisioned()
    {
        var description = DetectorTopology.Build(_options, new LivePolicy(PolicyBook.Single(DetectionPolicy.Default, _signer)), new DetectorMetrics(), WireCodecs.Create()).Describe().ToString();
        var provisioned = DetectorTopology.RequiredTopics(_options).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        Assert.Contains(DetectorTopology.RekeyTopicName + "-repartition", description, StringComparison.Ordinal);
        Assert.Contains($"{_options.ApplicationId}-{DetectorTopology.RekeyTopicName}-repartition", provisioned);
        Assert.Contains(_options.KeyStateChangelog, provisioned);
    }

    private void Register(string key, params string[] cidrs) =>
        _registry.PipeInput(Encoding.UTF8.GetBytes(key), ContractCodecs.Registry.SerializeJson(new KeyRegistryRecord
        {
            ApiKeyId = key, AccountId = "acct-" + key, AllowedCidrs = cidrs, Permissions = [Permission.READ, Permission.TRADE], CreatedAt = T0 - 1000,
        }), Epoch.AddMilliseconds(T0 - 1000));

    [Fact]
    public void A_bot_on_its_registered_cidrs_in_three_networks_gets_no_command()
    {
        Register("bot", "81.2.69.0/24", "203.0.113.0/24", "198.51.100.0/24");
        Pipe(Access("bot", "81.2.69.10", T0));
        Pipe(Access("bot", "203.0.113.7", T0 + 1));
        Pipe(Access("bot", "198.51.100.23", T0 + 2));
        Assert.Empty(Commands());
    }

    [Fact]
    public void Use_from_outside_the_registered_cidrs_is_evidence_in_the_feature_snapshot()
    {
        Register("k10", "81.2.69.0/24");
        Pipe(Access("k10", "81.2.69.10", T0));
        Pipe(Access("k10", "203.0.113.7", T0 + 1) with { Endpoint = "/v1/orders" });
        var snapshots = _features.ReadKeyValueList().Select(r => ContractCodecs.Features.Deserialize(r.Message.Value)).ToList();
        Assert.Contains(snapshots, s => s.Findings.Any(f => f.Code == "UNREGISTERED_IP" && f.Subjects.Contains("203.0.113.7")));
        Assert.All(snapshots, s => Assert.Equal("k10", s.ApiKeyId));
    }

    [Fact]
    public void A_registry_tombstone_removes_the_allowlist()
    {
        Register("k11", "81.2.69.0/24");
        _registry.PipeInput(Encoding.UTF8.GetBytes("k11"), null!, Epoch.AddMilliseconds(T0));
        Pipe(Access("k11", "203.0.113.7", T0 + 1));
        var last = ContractCodecs.Features.Deserialize(_features.ReadKeyValueList().Last().Message.Value);
        Assert.DoesNotContain(last.Findings, f => f.Code == "UNREGISTERED_IP");
        Assert.Empty(DeadLetters());
    }

    [Fact]
    public void A_registry_record_with_an_invalid_cidr_is_dead_lettered()
    {
        Register("k12", "81.2.69.0/33");
        Assert.Equal("INVALID_CIDR", Assert.Single(DeadLetters()).ErrorCode);
    }

    [Fact]
    public void A_burst_of_dead_letters_raises_one_warning_per_topic_and_minute()
    {
        var alerts = _driver.CreateOutputTopic<string, byte[]>(_options.Topics.Alerts, TimeSpan.FromSeconds(1), new StringSerDes(), new ByteArraySerDes());
        for (int i = 0; i < 7; i++) Pipe(Encoding.UTF8.GetBytes("garbage " + i), T0 + i, "k");
        var raised = alerts.ReadKeyValueList().Select(r => ContractCodecs.Alert.Deserialize(r.Message.Value)).ToList();
        var alert = Assert.Single(raised);
        Assert.Equal("DLQ_RATE", alert.Kind);
        Assert.Equal(AlertSeverity.WARNING, alert.Severity);
        Assert.Equal(7, DeadLetters().Count);
    }

    [Fact]
    public void Records_too_late_for_every_window_are_counted_not_used()
    {
        Pipe(Access("k8", "81.2.69.10", T0 + 3_600_000));
        Pipe(Access("k8", "203.0.113.7", T0));
        Assert.Equal(1, _metrics.LateRecords);
    }

    private void PipeOrder(OrderEvent e) =>
        _orders.PipeInput(Encoding.UTF8.GetBytes(e.ApiKeyId), ContractCodecs.Order.SerializeAvro(e), Epoch.AddMilliseconds(e.Ts));

    private static OrderEvent Order(string key, string id, long ts, double price, double quantity) => new()
    {
        EventId = $"{key}-{id}-{ts}", Ts = ts, ApiKeyId = key, AccountId = "acct-" + key, OrderId = id, Symbol = "KRW-BTC",
        Side = OrderSide.BUY, EventType = OrderEventType.PLACE, Price = price, Quantity = quantity,
    };

    /// <summary>Regression (hostile-input fuzzing): price x quantity overflowed, the snapshot could not be written and the stream thread stopped.</summary>
    [Fact]
    public void An_order_whose_notional_would_overflow_is_dead_lettered_and_the_key_keeps_being_processed()
    {
        for (int i = 0; i < 12; i++) PipeOrder(Order("k13", "o" + i, T0 + (i * 1000), 100, 1));
        PipeOrder(Order("k13", "huge", T0 + 20_000, 1e300, 1e300));
        PipeOrder(Order("k13", "next", T0 + 21_000, 100, 1));

        var dead = Assert.Single(DeadLetters());
        Assert.Equal("INVALID_NUMBER", dead.ErrorCode);
        Assert.Contains("price", dead.Reason, StringComparison.Ordinal);
        Assert.Equal(13, _metrics.InputsApplied);
        Assert.NotEmpty(_features.ReadKeyValueList());
    }

    [Fact]
    public void Every_input_record_is_either_applied_to_its_key_or_dead_lettered()
    {
        Register("k14", "81.2.69.0/24");
        Pipe(Access("k14", "81.2.69.10", T0));
        Pipe(Encoding.UTF8.GetBytes("not json"), T0 + 1, "k14");
        PipeOrder(Order("k14", "o1", T0 + 2, 100, 1));
        PipeOrder(Order("k14", "o2", T0 + 3, double.NaN, 1));

        Assert.Equal(2, _metrics.DeadLetters);
        Assert.Equal(3, _metrics.InputsApplied);
        Assert.Equal(_metrics.RecordsIn, _metrics.DeadLetters + _metrics.InputsApplied);
    }

    /// <summary>
    /// The defined outcome of a far-future ts that agrees with its record timestamp (the detector reads no clock, so it
    /// cannot call it wrong): accepted, and the key's genuine events after it are counted late and reported, not used silently.
    /// </summary>
    [Fact]
    public void A_far_future_ts_matching_its_record_time_is_accepted_and_the_keys_later_events_are_reported_late()
    {
        long future = T0 + (365L * 86_400_000);
        Pipe(Access("k15", "81.2.69.10", future));
        Pipe(Access("k15", "203.0.113.7", T0));
        Pipe(Access("k15", "198.51.100.23", T0 + 1));

        Assert.Empty(DeadLetters());
        Assert.Equal(2, _metrics.LateRecords);
        var last = ContractCodecs.Features.Deserialize(_features.ReadKeyValueList().Last().Message.Value);
        Assert.Equal(2, last.LateRecords);
    }

    [Fact]
    public void A_far_future_ts_on_a_record_stamped_now_is_dead_lettered_as_skew()
    {
        Pipe(ContractCodecs.Access.SerializeJson(Access("k16", "81.2.69.10", T0 + (365L * 86_400_000))), T0, "k16");
        Pipe(ContractCodecs.Access.SerializeJson(Access("k16", "81.2.69.10", 4_200_000_000_000)), 4_200_000_000_000, "k16");
        Assert.Equal(["TS_SKEW", "TS_OUT_OF_RANGE"], DeadLetters().Select(d => d.ErrorCode));
    }
}
