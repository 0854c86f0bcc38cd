using System.Text;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Streams.Observability;
using KeyShareDetector.Streams.Policy;
using KeyShareDetector.Streams.Tests.Topology;
using KeyShareDetector.Streams.Topology;
using Microsoft.Extensions.Time.Testing;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Mock;
using Streamiz.Kafka.Net.SerDes;

namespace KeyShareDetector.Streams.Tests.Observability;

public sealed class DetectorMetricsTests
{
    private const long T0 = 1_767_225_600_000;

    [Fact]
    public void A_value_on_a_bound_counts_in_that_bucket_and_buckets_are_cumulative()
    {
        var h = new LatencyHistogram(0.1, 1, 10);
        h.Observe(0.1);
        h.Observe(0.5);
        h.Observe(1);
        h.Observe(60);
        h.Observe(-3);
        var s = h.Snapshot();
        Assert.Equal(new long[] { 2, 4, 4, 5 }, s.Cumulative);
        Assert.Equal(5, s.Count);
        Assert.Equal(61.6, s.SumSeconds, precision: 6);
    }

    [Fact]
    public void Bucket_bounds_must_ascend()
    {
        Assert.Throws<ArgumentException>(() => new LatencyHistogram(1, 1));
        Assert.Throws<ArgumentException>(() => new LatencyHistogram());
    }

    [Fact]
    public void Stages_time_every_record_and_event_age_is_the_clock_minus_the_record_timestamp()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(T0 + 60_000));
        var metrics = new DetectorMetrics(clock);
        var (driver, options) = TestDrivers.DefaultPolicy(metrics, "metrics-test");
        using var _ = driver;
        var access = driver.CreateInputTopic<byte[], byte[]>(options.Topics.Access, new ByteArraySerDes(), new ByteArraySerDes());
        var commands = driver.CreateOutputTopic<string, byte[]>(options.Topics.Enforcement, TimeSpan.FromSeconds(1), new StringSerDes(), new ByteArraySerDes());
        string[] ips = ["81.2.69.10", "203.0.113.7", "198.51.100.23"];
        for (int i = 0; i < ips.Length; i++)
        {
            long ts = T0 + i * 10_000;
            var e = new AccessEvent { EventId = $"m-{i}", Ts = ts, ApiKeyId = "k1", AccountId = "a1", Ip = ips[i], UserAgent = "ua", Endpoint = "/v1/orders" };
            access.PipeInput(Encoding.UTF8.GetBytes("k1"), ContractCodecs.Access.SerializeJson(e), DateTime.UnixEpoch.AddMilliseconds(ts));
        }
        Assert.Single(commands.ReadKeyValueList());

        Assert.Equal(3, metrics.StageTime(Stage.Parse).Count);
        Assert.True(metrics.StageTime(Stage.KeyRisk).Count >= 3, "every input (and any fleet finding fed back) passes the per-key stage");
        Assert.Equal(1, metrics.StageTime(Stage.Breaker).Count);

        // Ages 60 s, 50 s and 40 s: all above the 30 s bound, all within 60 s.
        var parse = metrics.Age(AgePoint.Parse);
        int at30 = Array.IndexOf(DetectorMetrics.AgeBounds, 30.0), at60 = Array.IndexOf(DetectorMetrics.AgeBounds, 60.0);
        Assert.Equal(0, parse.Cumulative[at30]);
        Assert.Equal(3, parse.Cumulative[at60]);
        Assert.Equal(150, parse.SumSeconds, precision: 6);
        // The WARN was triggered by the third event (T0 + 20 s): 40 s old when published.
        var enforcement = metrics.Age(AgePoint.Enforcement);
        Assert.Equal(1, enforcement.Count);
        Assert.Equal(40, enforcement.SumSeconds, precision: 6);
    }
}
