using System.Text;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.State;
using KeyShareDetector.Streams.Observability;
using KeyShareDetector.Streams.Policy;
using KeyShareDetector.Streams.Topology;
using Streamiz.Kafka.Net.SerDes;

namespace KeyShareDetector.Streams.Tests.Topology;

/// <summary>
/// DetectorOptions.KeyStateFormat: the per-key stage writes key states in the format set (8 while a deployment
/// upgrades from a release that does not read 9), reads both, and decides alike in either.
/// </summary>
public sealed class KeyStateFormatSettingTests
{
    private const long T0 = 1_767_225_600_000;
    private static readonly CommandSigner Signer = new("test-key", Encoding.UTF8.GetBytes("format-setting-test-secret-123"));

    [Theory]
    [InlineData((byte)8)]
    [InlineData((byte)9)]
    public void The_per_key_stage_writes_the_format_set_and_decides_alike(byte format)
    {
        var (commands, stored) = Run(format);

        Assert.Equal(format, stored[0]);
        // The same records, written in the other format, give the same commands byte for byte.
        var (other, otherStored) = Run(format == 8 ? (byte)9 : (byte)8);
        Assert.NotEqual(format, otherStored[0]);
        Assert.NotEmpty(commands);
        Assert.Equal(other, commands);
    }

    [Fact]
    public void Any_other_format_is_refused_by_the_options_naming_the_setting()
    {
        var options = new DetectorOptions { BootstrapServers = "unused:9092", KeyStateFormat = 7 };
        Assert.Contains($"KeyStateFormat must be 8 or {KeyRiskStateCodec.CurrentFormat} (was 7)", options.Validate());
        Assert.Empty(new DetectorOptions { BootstrapServers = "unused:9092", KeyStateFormat = 8 }.Validate());
    }

    /// <summary>Orders and API calls to one key (a spoofing history, then calls from many networks); its commands and stored state bytes.</summary>
    private static (List<string> Commands, byte[] StoredState) Run(byte format)
    {
        var options = new DetectorOptions { BootstrapServers = "unused:9092", ApplicationId = "format-" + format, SkipRedelivered = false, KeyStateFormat = format };
        var topology = DetectorTopology.Build(options, new LivePolicy(PolicyBook.Single(DetectionPolicy.Default, Signer)), new DetectorMetrics(), WireCodecs.Create());
        using var driver = TestDrivers.For(topology, options);
        var access = driver.CreateInputTopic<byte[], byte[]>(options.Topics.Access, new ByteArraySerDes(), new ByteArraySerDes());
        var orders = driver.CreateInputTopic<byte[], byte[]>(options.Topics.Orders, new ByteArraySerDes(), new ByteArraySerDes());
        var enforcement = driver.CreateOutputTopic<string, byte[]>(options.Topics.Enforcement, TimeSpan.FromSeconds(1), new StringSerDes(), new ByteArraySerDes());
        byte[] key = Encoding.UTF8.GetBytes("k1");
        for (int i = 0; i < 6; i++)
        {
            long ts = T0 + (i * 1_000);
            var order = new OrderEvent
            {
                EventId = $"o{i}", Ts = ts, ApiKeyId = "k1", AccountId = "a1", OrderId = $"order-{i}", Symbol = "BTC-KRW",
                Side = OrderSide.BUY, EventType = OrderEventType.PLACE, Price = 100 + i, Quantity = 1, FilledQuantity = 0,
            };
            orders.PipeInput(key, ContractCodecs.Order.SerializeJson(order), DateTime.UnixEpoch.AddMilliseconds(ts));
        }
        string[] ips = ["81.2.69.10", "203.0.113.7", "198.51.100.23", "192.0.2.55", "100.64.1.9"];
        for (int i = 0; i < ips.Length; i++)
        {
            long ts = T0 + 10_000 + (i * 10_000);
            var call = new AccessEvent { EventId = $"a{i}", Ts = ts, ApiKeyId = "k1", AccountId = "a1", Ip = ips[i], UserAgent = "ua", Endpoint = "/v1/orders" };
            access.PipeInput(key, ContractCodecs.Access.SerializeJson(call), DateTime.UnixEpoch.AddMilliseconds(ts));
        }
        var commands = enforcement.ReadKeyValueList().Select(r => Encoding.UTF8.GetString(r.Message.Value)).ToList();
        byte[] stored = driver.GetKeyValueStore<string, byte[]>(DetectorOptions.KeyStateStore).Get("k1");
        AppliedOffsets.Read(stored, out int start);
        return (commands, stored[start..]);
    }
}
