using Confluent.Kafka;
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

    [Fact]
    public void Fatal_and_data_errors_are_not_transient()
    {
        Assert.False(DetectorService.IsTransient(new StreamsException("wrapped", new KafkaException(new Error(ErrorCode.ProducerFenced, "fenced", isFatal: true)))));
        Assert.False(DetectorService.IsTransient(new KafkaTxnRequiresAbortException(new Error(ErrorCode.InvalidTxnState))));
        Assert.False(DetectorService.IsTransient(new InvalidOperationException("a bug")));
        Assert.False(DetectorService.IsTransient(new StreamsException("corrupt record")));
    }
}
