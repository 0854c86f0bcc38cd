using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace KeyShareDetector.Streams.Policy;

/// <summary>
/// Follows the compacted policy topic from its beginning and adds each valid version to the live policy book,
/// so a new version applies to events after its effectiveFrom without restarting the topology. An invalid
/// document is logged and counted, never applied; a tombstone removes its version.
/// </summary>
public sealed partial class PolicyTopicWatcher : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly ILogger _log;
    private long _applied;
    private long _rejected;

    public PolicyTopicWatcher(string bootstrapServers, string topic, LivePolicy live, IReadOnlyDictionary<string, string> settings, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(live);
        _log = log;
        var config = new ConsumerConfig(settings.ToDictionary())
        {
            BootstrapServers = bootstrapServers,
            GroupId = "keyshare-policy-watcher-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            IsolationLevel = IsolationLevel.ReadCommitted,
        };
        _loop = Task.Factory.StartNew(() => Run(config, topic, live, _stop.Token), _stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Versions applied so far.</summary>
    public long Applied => Interlocked.Read(ref _applied);

    /// <summary>Documents refused so far.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    private void Run(ConsumerConfig config, string topic, LivePolicy live, CancellationToken stop)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        while (!stop.IsCancellationRequested)
        {
            ConsumeResult<byte[], byte[]>? record;
            try
            {
                record = consumer.Consume(TimeSpan.FromMilliseconds(200));
            }
            catch (ConsumeException e)
            {
                LogConsumeError(_log, e.Error.Reason);
                continue;
            }
            if (record is null || record.IsPartitionEOF) continue;
            string key = record.Message.Key is null ? "" : Encoding.UTF8.GetString(record.Message.Key);
            if (record.Message.Value is null || record.Message.Value.Length == 0)
            {
                live.Update(book => book.Without(key));
                continue;
            }
            try
            {
                var policy = PolicyDocuments.Parse(Encoding.UTF8.GetString(record.Message.Value), $"{topic}/{record.Partition.Value}/{record.Offset.Value}");
                live.Update(book => book.With(policy));
                Interlocked.Increment(ref _applied);
                LogApplied(_log, policy.Version, policy.EffectiveFrom);
            }
            catch (PolicyDocumentException e)
            {
                Interlocked.Increment(ref _rejected);
                LogRejected(_log, e.Message);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "policy version {Version} applied (effective from {EffectiveFrom})")]
    private static partial void LogApplied(ILogger log, string version, long effectiveFrom);

    [LoggerMessage(Level = LogLevel.Error, Message = "policy document refused: {Problem}")]
    private static partial void LogRejected(ILogger log, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "policy topic read failed: {Reason}")]
    private static partial void LogConsumeError(ILogger log, string reason);
}
