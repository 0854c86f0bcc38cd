using Confluent.Kafka;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Errors;

namespace KeyShareDetector.Streams.Tests;

public sealed class DetectorServiceTests
{
    /// <summary>Regression (fault run): the transaction coordinator briefly down made Streamiz's commit throw and the stream thread die.</summary>
    [Fact]
    public void A_broker_unreachable_during_a_commit_is_transient_however_Streamiz_wraps_it()
    {
        var retriable = new KafkaRetriableException(new Error(ErrorCode.Local_Transport, "Failed to add offsets to transaction on broker TxnCoordinator/3: Local: Broker transport failure"));
        Assert.True(DetectorService.IsTransient(new StreamsException("Error encountered trying to commit a transaction", retriable)));
        Assert.True(DetectorService.IsTransient(new KafkaException(new Error(ErrorCode.Local_AllBrokersDown))));
    }

    /// <summary>
    /// A delivery that failed for a retriable reason leaves the transaction abortable: its commit throws, and the thread
    /// must abort, restore and reprocess rather than die (found with ProduceErrorTests).
    /// </summary>
    [Fact]
    public void A_transaction_made_abortable_by_a_retriable_delivery_failure_is_transient()
    {
        var abort = new KafkaTxnRequiresAbortException(new Error(ErrorCode.NotLeaderForPartition, "1 message(s) failed delivery"));
        Assert.True(DetectorService.IsTransient(new StreamsException("Error encountered trying to commit a transaction", abort)));
        Assert.True(DetectorService.IsTransient(new KafkaTxnRequiresAbortException(new Error(ErrorCode.Local_MsgTimedOut))));
        // Seen in ProduceErrorTests: librdkafka's answer to the commit after a run of NOT_LEADER_FOR_PARTITION.
        Assert.True(DetectorService.IsTransient(new StreamsException("Error encountered trying to commit a transaction",
            new KafkaTxnRequiresAbortException(new Error(ErrorCode.OutOfOrderSequenceNumber, "skipped sequence numbers")))));
        Assert.False(DetectorService.IsTransient(new KafkaTxnRequiresAbortException(new Error(ErrorCode.MsgSizeTooLarge))));
    }

    [Fact]
    public void Fatal_and_data_errors_are_not_transient()
    {
        Assert.False(DetectorService.IsTransient(new StreamsException("wrapped", new KafkaException(new Error(ErrorCode.ProducerFenced, "fenced", isFatal: true)))));
        Assert.False(DetectorService.IsTransient(new KafkaTxnRequiresAbortException(new Error(ErrorCode.InvalidTxnState))));
        Assert.False(DetectorService.IsTransient(new InvalidOperationException("a bug")));
        Assert.False(DetectorService.IsTransient(new StreamsException("corrupt record")));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void A_close_timeout_that_is_not_positive_is_refused_by_name(int seconds)
    {
        var errors = new DetectorOptions { BootstrapServers = "localhost:9092", CloseTimeout = TimeSpan.FromSeconds(seconds) }.Validate();
        Assert.Contains("CloseTimeout must be > 0", errors);
        Assert.DoesNotContain("CloseTimeout must be > 0", new DetectorOptions { BootstrapServers = "localhost:9092" }.Validate());
    }

    /// <summary>Under exactly-once a producer batch waits up to a commit interval (nothing is readable before the commit).</summary>
    [Fact]
    public void Under_exactly_once_the_stream_producers_linger_for_one_commit_interval()
    {
        var config = new StreamConfig();
        DetectorService.ApplyProducerDefaults(config, new DetectorOptions { BootstrapServers = "localhost:9092", CommitIntervalMs = 250 });
        Assert.Equal(250, config.LingerMs);
        Assert.Equal("status", config.DeliveryReportFields);
        Assert.Equal(Partitioner.Murmur2Random, config.Partitioner);
    }

    /// <summary>Under at-least-once a record sent is readable at once: no added wait, full delivery reports (for RETRY).</summary>
    [Fact]
    public void Under_at_least_once_the_stream_producers_keep_librdkafkas_linger()
    {
        var config = new StreamConfig();
        DetectorService.ApplyProducerDefaults(config, new DetectorOptions { BootstrapServers = "localhost:9092", CommitIntervalMs = 250, ExactlyOnce = false });
        Assert.Null(config.LingerMs);
        Assert.NotEqual("status", config.DeliveryReportFields);
        Assert.Equal(Partitioner.Murmur2Random, config.Partitioner);
    }

    /// <summary>
    /// The configuration the detector starts with (and the bench's Streamiz floor runs with) carries every option that
    /// shapes a stream thread's loop, the producer defaults, and the operator's settings last.
    /// </summary>
    [Fact]
    public void The_stream_configuration_carries_the_options_and_the_operators_settings_win()
    {
        var options = new DetectorOptions
        {
            BootstrapServers = "localhost:9092", ApplicationId = "config-check", StreamThreads = 3, CommitIntervalMs = 250, PollMs = 7,
            MaxPollRecords = 1234, MaxTaskIdleMs = 20, FetchWaitMaxMs = 11, SessionTimeoutMs = 6000,
            KafkaSettings = new Dictionary<string, string> { ["linger.ms"] = "40" },
        };
        var config = DetectorService.StreamConfigFor(options);
        Assert.Equal("config-check", config.ApplicationId);
        Assert.Equal(ProcessingGuarantee.EXACTLY_ONCE, config.Guarantee);
        Assert.Equal(3, config.NumStreamThreads);
        Assert.Equal(250, config.CommitIntervalMs);
        Assert.Equal(7, config.PollMs);
        Assert.Equal(1234, config.MaxPollRecords);
        Assert.Equal(20, config.MaxTaskIdleMs);
        Assert.Equal(11, config.FetchWaitMaxMs);
        Assert.Equal(6000, config.SessionTimeoutMs);
        Assert.Equal(600, config.HeartbeatIntervalMs);
        Assert.Equal("status", config.DeliveryReportFields);
        Assert.Equal(40, config.LingerMs);

        // The stream-only settings come after the Kafka ones.
        var streamWins = DetectorService.StreamConfigFor(options with { StreamSettings = new Dictionary<string, string> { ["linger.ms"] = "60" } });
        Assert.Equal(60, streamWins.LingerMs);

        var leastOnce = DetectorService.StreamConfigFor(options with { ExactlyOnce = false, KafkaSettings = new Dictionary<string, string>() });
        Assert.Equal(ProcessingGuarantee.AT_LEAST_ONCE, leastOnce.Guarantee);
        Assert.Null(leastOnce.LingerMs);
    }
}
