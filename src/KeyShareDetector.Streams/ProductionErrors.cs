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
    /// <item>Exactly-once, a record purged from the producer's queue (<c>Local_PurgeQueue</c>, <c>Local_PurgeInflight</c>)
    /// or refused for a retriable reason (a leader moving, a broker down, a delivery timeout): CONTINUE. A record that
    /// failed delivery makes the open transaction abortable (librdkafka: its commit then fails and it must be aborted),
    /// and a purged one belonged to a transaction being aborted; either way the thread aborts, restores its tasks and
    /// reads the input again from the last committed offsets (see <see cref="DetectorService.IsTransient"/>), which
    /// produces the record again. Sending it again into the doomed transaction would only be aborted with it (and
    /// needs the record's bytes in the delivery report, which exactly-once runs do not ask librdkafka for).</item>
    /// <item>At-least-once, the same errors: RETRY (Streamiz sends it again at its next send or flush); nothing else
    /// would produce it again.</item>
    /// <item>Anything else (record too large, authorisation, an unknown topic that stays unknown): FAIL, and the
    /// instance reports the failure (STREAM_THREAD_FAILED, /healthz).</item>
    /// </list>
    /// </summary>
    public static ProductionExceptionHandlerResponse Decide(ErrorCode code, bool exactlyOnce)
    {
        bool passing = code is ErrorCode.Local_PurgeQueue or ErrorCode.Local_PurgeInflight || IsRetriable(code);
        if (!passing) return ProductionExceptionHandlerResponse.FAIL;
        return exactlyOnce ? ProductionExceptionHandlerResponse.CONTINUE : ProductionExceptionHandlerResponse.RETRY;
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
