using Confluent.Kafka;
using Streamiz.Kafka.Net;

namespace KeyShareDetector.Streams;

/// <summary>
/// What the stream does with a record whose delivery failed. Streamiz asks once per failed delivery report (fatal and
/// fencing errors excepted, which it handles itself); its default answer, FAIL, ends the stream thread for good, and
/// Streamiz does not pass that failure to the inner exception handler, so it cannot be recovered from there.
/// </summary>
public static class ProductionErrors
{
    /// <summary>
    /// <list type="bullet">
    /// <item>Exactly-once, a record purged from the producer's queue (<c>Local_PurgeQueue</c>, <c>Local_PurgeInflight</c>):
    /// the thread aborted the transaction it belonged to (a commit failed, or it is closing its tasks to recover), so the
    /// input that produced it is read and processed again from the last committed offsets: drop it (CONTINUE).</item>
    /// <item>A retriable broker or network error (a leader moving, a broker down, a delivery timeout): send it again
    /// (RETRY). Under exactly-once a failed delivery also makes the open transaction abortable, so its commit fails,
    /// the thread aborts, restores its tasks and reprocesses (see <see cref="DetectorService.IsTransient"/>); the
    /// retried copy dies with that transaction.</item>
    /// <item>Anything else (record too large, authorisation, an unknown topic that stays unknown): FAIL, and the
    /// instance reports the failure (STREAM_THREAD_FAILED, /healthz).</item>
    /// </list>
    /// </summary>
    public static ProductionExceptionHandlerResponse Decide(ErrorCode code, bool exactlyOnce)
    {
        if (code is ErrorCode.Local_PurgeQueue or ErrorCode.Local_PurgeInflight)
            return exactlyOnce ? ProductionExceptionHandlerResponse.CONTINUE : ProductionExceptionHandlerResponse.RETRY;
        return IsRetriable(code) ? ProductionExceptionHandlerResponse.RETRY : ProductionExceptionHandlerResponse.FAIL;
    }

    /// <summary>
    /// Whether a transaction that must be aborted for <paramref name="code"/> is worth aborting and reprocessing: the
    /// retriable errors, a purge, and the idempotent producer's sequence errors, which librdkafka raises after a run of
    /// refused produce requests (seen: <c>OutOfOrderSequenceNumber</c> "skipped sequence numbers" after
    /// <c>NOT_LEADER_FOR_PARTITION</c>) and clears by bumping the producer epoch with the abort. Not a record the broker
    /// refuses for what it is (too large, invalid): reprocessing would meet it again, round after round, so the thread
    /// stops and says so.
    /// </summary>
    public static bool AbortIsRecoverable(ErrorCode code) => IsRetriable(code) || code is
        ErrorCode.Local_PurgeQueue or ErrorCode.Local_PurgeInflight
        or ErrorCode.OutOfOrderSequenceNumber or ErrorCode.UnknownProducerId or ErrorCode.InvalidProducerEpoch;

    /// <summary>Delivery errors that a later attempt can get past without anyone changing anything.</summary>
    public static bool IsRetriable(ErrorCode code) => code is
        ErrorCode.Local_MsgTimedOut or ErrorCode.Local_TimedOut or ErrorCode.Local_Transport or ErrorCode.Local_AllBrokersDown
        or ErrorCode.Local_TimedOutQueue or ErrorCode.Local_QueueFull
        or ErrorCode.NotLeaderForPartition or ErrorCode.LeaderNotAvailable or ErrorCode.RequestTimedOut or ErrorCode.NetworkException
        or ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend or ErrorCode.KafkaStorageError
        or ErrorCode.BrokerNotAvailable or ErrorCode.ReplicaNotAvailable or ErrorCode.UnknownLeaderEpoch or ErrorCode.FencedLeaderEpoch
        or ErrorCode.ConcurrentTransactions;
}
