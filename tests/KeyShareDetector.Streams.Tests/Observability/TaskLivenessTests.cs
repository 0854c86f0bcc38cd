using System.Text;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Streams.Observability;
using KeyShareDetector.Streams.Tests.Topology;
using Microsoft.Extensions.Time.Testing;
using Streamiz.Kafka.Net.SerDes;

namespace KeyShareDetector.Streams.Tests.Observability;

public sealed class TaskLivenessTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public void A_task_is_stalled_only_once_silent_for_longer_than_the_limit_and_the_longest_silent_is_named()
    {
        var clock = new FakeTimeProvider();
        var liveness = new TaskLiveness(clock);
        Assert.Null(liveness.Stalled(Limit));

        liveness.Beat("0_1");
        clock.Advance(TimeSpan.FromSeconds(20));
        liveness.Beat("1_0");
        clock.Advance(TimeSpan.FromSeconds(40));
        Assert.Null(liveness.Stalled(Limit)); // 0_1 silent exactly 60 s: not more than the limit

        clock.Advance(TimeSpan.FromSeconds(30));
        var stall = liveness.Stalled(Limit);
        Assert.NotNull(stall);
        Assert.Equal("0_1", stall.TaskId);
        Assert.Equal(TimeSpan.FromSeconds(90), stall.Silent);
        Assert.Equal("task 0_1 has not been run for 90 s", stall.ToString());

        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal("0_1", liveness.Stalled(Limit)!.TaskId); // both silent now; 0_1 the longer

        liveness.Beat("0_1");
        Assert.Equal("1_0", liveness.Stalled(Limit)!.TaskId);
    }

    [Fact]
    public void A_forgotten_task_no_longer_counts()
    {
        var clock = new FakeTimeProvider();
        var liveness = new TaskLiveness(clock);
        liveness.Beat("0_1");
        liveness.Beat("0_2");
        Assert.Equal(2, liveness.Tasks);
        liveness.Forget("0_1");
        liveness.Forget("0_9");
        Assert.Equal(1, liveness.Tasks);
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal("0_2", liveness.Stalled(Limit)!.TaskId);
        liveness.Forget("0_2");
        Assert.Null(liveness.Stalled(Limit));
    }

    [Fact]
    public void The_stateful_stages_beat_on_their_stream_thread_punctuation_and_a_task_left_unrun_is_reported()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_000));
        var metrics = new DetectorMetrics(clock);
        var (driver, options) = TestDrivers.DefaultPolicy(metrics, "liveness-test");
        using var _ = driver;
        var access = driver.CreateInputTopic<byte[], byte[]>(options.Topics.Access, new ByteArraySerDes(), new ByteArraySerDes());
        var e = new AccessEvent { EventId = "l-1", Ts = 1_767_225_600_000, ApiKeyId = "k1", AccountId = "a1", Ip = "81.2.69.10", UserAgent = "ua", Endpoint = "/v1/orders" };
        access.PipeInput(Encoding.UTF8.GetBytes("k1"), ContractCodecs.Access.SerializeJson(e), DateTime.UnixEpoch.AddMilliseconds(e.Ts));
        Assert.Equal(0, metrics.Liveness.Tasks); // nothing beats before its first punctuation

        // The stream thread comes round: the per-key, fleet and breaker tasks beat.
        driver.AdvanceWallClockTime(TaskLiveness.BeatInterval);
        Assert.True(metrics.Liveness.Tasks >= 3, $"{metrics.Liveness.Tasks} tasks beat");
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Null(metrics.Liveness.Stalled(Limit));

        // No punctuation for longer than the limit (a thread blocked in a call): reported.
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.NotNull(metrics.Liveness.Stalled(Limit));

        // It comes round again: no longer stalled.
        driver.AdvanceWallClockTime(TaskLiveness.BeatInterval);
        Assert.Null(metrics.Liveness.Stalled(Limit));
    }
}
