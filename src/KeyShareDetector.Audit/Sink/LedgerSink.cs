using Confluent.Kafka;
using KeyShareDetector.Audit.Ledger;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using Microsoft.Extensions.Logging;
using Polly;

namespace KeyShareDetector.Audit.Sink;

/// <summary>
/// Writes every record of the enforcement and alert topics to the ledger exactly once: it reads in a consumer group
/// (read_committed, no auto-commit), stores a batch in one database transaction with ON CONFLICT DO NOTHING, and
/// commits the Kafka offsets only after that transaction commits. A crash between the two replays the batch, which
/// the conflict clause absorbs; a database outage stalls the batch in the retry pipeline, so nothing is committed
/// past what is stored.
/// </summary>
public sealed partial class LedgerSink
{
    private readonly LedgerSinkOptions _options;
    private readonly AuditLedger _ledger;
    private readonly ResiliencePipeline _pipeline;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private long _stored;
    private long _consumed;
    private long _undecodable;
    private long _batches;

    public LedgerSink(LedgerSinkOptions options, AuditLedger ledger, TimeProvider time, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate().ToList();
        if (problems.Count > 0) throw new ArgumentException("invalid ledger sink options: " + string.Join("; ", problems), nameof(options));
        _options = options;
        _ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _log = log ?? throw new ArgumentNullException(nameof(log));
        _pipeline = LedgerResilience.Create(options.Resilience, time, message => LogRetry(_log, message));
    }

    /// <summary>Rows that were new in the ledger.</summary>
    public long Stored => Interlocked.Read(ref _stored);

    /// <summary>Records read from Kafka (including redeliveries).</summary>
    public long Consumed => Interlocked.Read(ref _consumed);

    /// <summary>Records that were neither a command nor an alert in any wire format (skipped, logged).</summary>
    public long Undecodable => Interlocked.Read(ref _undecodable);

    /// <summary>Batches stored and committed.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Called after a batch's database transaction commits and before its offsets are committed (tests use it to crash in that window).</summary>
    internal Action<long>? AfterBatchStored { get; set; }

    /// <summary>
    /// Runs until <paramref name="stop"/> is cancelled. Cancellation is abrupt: the batch in hand is dropped with its
    /// offsets uncommitted, and the next instance of the group reads it again.
    /// </summary>
    public Task RunAsync(CancellationToken stop) =>
        Task.Factory.StartNew(() => RunLoopAsync(stop), stop, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    private async Task RunLoopAsync(CancellationToken stop)
    {
        var config = new ConsumerConfig(_options.KafkaSettings.ToDictionary())
        {
            BootstrapServers = _options.BootstrapServers,
            GroupId = _options.GroupId,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            IsolationLevel = IsolationLevel.ReadCommitted,
            EnablePartitionEof = false,
        };
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config)
            .SetErrorHandler((_, e) => LogKafkaError(_log, e.Reason))
            .Build();
        consumer.Subscribe([_options.CommandTopic, _options.AlertTopic]);
        var commands = new List<IncomingCommand>(_options.MaxBatchSize);
        var alerts = new List<IncomingAlert>();
        var offsets = new Dictionary<TopicPartition, long>();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                commands.Clear();
                alerts.Clear();
                offsets.Clear();
                int taken = Fill(consumer, commands, alerts, offsets, stop);
                if (taken == 0) continue;

                int inserted = await _pipeline.ExecuteAsync(
                    async ct => await _ledger.StoreAsync(commands, alerts, ct).ConfigureAwait(false), stop).ConfigureAwait(false);
                long batch = Interlocked.Increment(ref _batches);
                Interlocked.Add(ref _stored, inserted);
                AfterBatchStored?.Invoke(batch);
                stop.ThrowIfCancellationRequested();
                Commit(consumer, offsets);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Abrupt stop: whatever is in hand stays uncommitted and is read again by the group.
        }
        finally
        {
            try
            {
                consumer.Close();
            }
            catch (KafkaException e)
            {
                LogKafkaError(_log, e.Error.Reason);
            }
        }
    }

    /// <summary>Reads up to a batch, or what arrives before the batch's deadline; returns the number of records read.</summary>
    private int Fill(IConsumer<byte[], byte[]> consumer, List<IncomingCommand> commands, List<IncomingAlert> alerts, Dictionary<TopicPartition, long> offsets, CancellationToken stop)
    {
        long deadline = _time.GetTimestamp() + (long)(_options.MaxBatchWait.TotalSeconds * _time.TimestampFrequency);
        int taken = 0;
        while (taken < _options.MaxBatchSize && !stop.IsCancellationRequested)
        {
            long remainingTicks = deadline - _time.GetTimestamp();
            if (remainingTicks <= 0) break;
            ConsumeResult<byte[], byte[]>? record;
            try
            {
                record = consumer.Consume(TimeSpan.FromSeconds(Math.Min(remainingTicks / (double)_time.TimestampFrequency, 0.1)));
            }
            catch (ConsumeException e)
            {
                LogKafkaError(_log, e.Error.Reason);
                continue;
            }
            if (record?.Message is null) continue;
            taken++;
            Interlocked.Increment(ref _consumed);
            offsets[record.TopicPartition] = record.Offset.Value + 1;
            var source = new SourceOffset(record.Topic, record.Partition.Value, record.Offset.Value);
            try
            {
                if (record.Topic == _options.CommandTopic)
                {
                    commands.Add(new IncomingCommand(ContractCodecs.Command.Deserialize(record.Message.Value), source));
                }
                else
                {
                    alerts.Add(new IncomingAlert(ContractCodecs.Alert.Deserialize(record.Message.Value), source));
                }
            }
            catch (ContractException e)
            {
                // Not ours to repair: the producer's DLQ is the place for bad data. Skipped, counted, logged.
                Interlocked.Increment(ref _undecodable);
                LogUndecodable(_log, record.Topic, record.Partition.Value, record.Offset.Value, e.Message);
            }
        }
        return taken;
    }

    private void Commit(IConsumer<byte[], byte[]> consumer, Dictionary<TopicPartition, long> offsets)
    {
        // Only partitions still ours: after a rebalance the new owner re-reads from the last commit (idempotent).
        var assigned = consumer.Assignment.ToHashSet();
        var mine = offsets.Where(o => assigned.Contains(o.Key)).Select(o => new TopicPartitionOffset(o.Key, o.Value)).ToList();
        if (mine.Count == 0) return;
        try
        {
            consumer.Commit(mine);
        }
        catch (KafkaException e)
        {
            // Rows are stored; an uncommitted offset only means a harmless replay.
            LogCommitFailed(_log, e.Error.Reason);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Message}")]
    private static partial void LogRetry(ILogger log, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka: {Reason}")]
    private static partial void LogKafkaError(ILogger log, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "offset commit failed, the batch will be replayed (idempotently): {Reason}")]
    private static partial void LogCommitFailed(ILogger log, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "undecodable record at {Topic}/{Partition}/{Offset} skipped: {Reason}")]
    private static partial void LogUndecodable(ILogger log, string topic, int partition, long offset, string reason);
}
