using Confluent.Kafka;
using Streamiz.Kafka.Net;

namespace KeyShareDetector.Streams.Tests;

public sealed class ProductionErrorsTests
{
    /// <summary>
    /// Regression (fault run, ProduceErrorTests): aborting a transaction purges its queued records, and Streamiz's
    /// default answer to their delivery reports (FAIL) ended the stream thread while it was recovering.
    /// </summary>
    [Theory]
    [InlineData(ErrorCode.Local_PurgeQueue)]
    [InlineData(ErrorCode.Local_PurgeInflight)]
    public void Exactly_once_drops_a_record_purged_with_its_aborted_transaction(ErrorCode code)
    {
        Assert.Equal(ProductionExceptionHandlerResponse.CONTINUE, ProductionErrors.Decide(code, exactlyOnce: true));
        // Without transactions nothing aborts, so a purge is not a reason to lose the record.
        Assert.Equal(ProductionExceptionHandlerResponse.RETRY, ProductionErrors.Decide(code, exactlyOnce: false));
    }

    [Theory]
    [InlineData(ErrorCode.NotLeaderForPartition)]
    [InlineData(ErrorCode.Local_MsgTimedOut)]
    [InlineData(ErrorCode.Local_AllBrokersDown)]
    [InlineData(ErrorCode.NotEnoughReplicas)]
    [InlineData(ErrorCode.RequestTimedOut)]
    public void A_retriable_delivery_error_is_left_to_the_abort_under_exactly_once_and_sent_again_under_at_least_once(ErrorCode code)
    {
        // The failed delivery dooms the transaction: the abort and the reprocessing produce the record again.
        Assert.Equal(ProductionExceptionHandlerResponse.CONTINUE, ProductionErrors.Decide(code, exactlyOnce: true));
        Assert.Equal(ProductionExceptionHandlerResponse.RETRY, ProductionErrors.Decide(code, exactlyOnce: false));
    }

    [Theory]
    [InlineData(ErrorCode.MsgSizeTooLarge)]
    [InlineData(ErrorCode.TopicAuthorizationFailed)]
    [InlineData(ErrorCode.InvalidRecord)]
    public void Any_other_delivery_error_stops_the_thread(ErrorCode code)
    {
        Assert.Equal(ProductionExceptionHandlerResponse.FAIL, ProductionErrors.Decide(code, exactlyOnce: true));
        Assert.Equal(ProductionExceptionHandlerResponse.FAIL, ProductionErrors.Decide(code, exactlyOnce: false));
    }
}
