using System.Text;
using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Streams.Observability;
using KeyShareDetector.Streams.Policy;
using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.State;
using Streamiz.Kafka.Net.Stream;

namespace KeyShareDetector.Streams.Topology;

/// <summary>
/// Single-partition stage every command passes through: the fleet-wide revoke breaker (state in a changelogged
/// store) and the revoke alerts. Re-keys its output by api key id.
/// </summary>
public sealed class BreakerTransformer : ITransformer<string, EnforcementCommand, string, BreakerOutput>
{
    /// <summary>The one key all commands are routed under, so one task sees them all in order.</summary>
    public const string FleetKey = "fleet";

    private readonly LivePolicy _policy;
    private readonly DetectorMetrics _metrics;
    private string? _task;
    private readonly bool _skipRedelivered;
    private IKeyValueStore<string, byte[]>? _store;

    /// <summary>
    /// Streamiz's builder needs a parameterless constructor and makes one unused instance with it; every
    /// instance that processes records is built with the arguments below.
    /// </summary>
    public BreakerTransformer()
    {
        _policy = null!;
        _metrics = null!;
    }

    public BreakerTransformer(LivePolicy policy, DetectorMetrics metrics, bool skipRedelivered = true)
    {
        _policy = policy;
        _metrics = metrics;
        _skipRedelivered = skipRedelivered;
    }

    public void Init(ProcessorContext<string, BreakerOutput> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _store = (IKeyValueStore<string, byte[]>)context.GetStateStore(DetectorOptions.BreakerStore);
        _task = _metrics.Liveness.Watch(context);
    }

    public Record<string, BreakerOutput> Process(Record<string, EnforcementCommand> record)
    {
        ArgumentNullException.ThrowIfNull(record);
        long started = _metrics.StageStarted();
        try
        {
            return Apply(record);
        }
        finally
        {
            _metrics.StageDone(Stage.Breaker, started);
        }
    }

    private Record<string, BreakerOutput> Apply(Record<string, EnforcementCommand> record)
    {
        var breaker = new RevokeBreaker();
        var bytes = _store!.Get(FleetKey);
        // Stored value: applied offsets, then (with them) the position of the ring of recently passed command ids (each id
        // is an entry of its own, see RecentCommandIds), then the breaker's state.
        var applied = AppliedOffsets.Read(bytes, out int stateStart);
        var passed = new RecentCommandIds(Get, Put, Delete, 0);
        if (bytes is not null)
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, stateStart, bytes.Length - stateStart), Encoding.UTF8);
            if (stateStart > 0) passed = RecentCommandIds.ReadPosition(reader, Get, Put, Delete);
            breaker.ReadFrom(reader);
        }
        // A command read again (the breaker topic re-read after a restart) or decided again (the per-key stage
        // re-decided an input whose state write was lost with a crashed transaction) is published once.
        bool reread = _skipRedelivered && applied.IsRedelivered(record.TopicPartitionOffset);
        if (reread || passed.Contains(record.Value.CommandId))
        {
            _metrics.RedeliveredSkip(Stage.Breaker);
            if (!reread) Store(applied, passed, breaker, record);
            // Handled but not published: a reader waiting for every command must not wait for this one.
            _metrics.CommandWithheld();
            _metrics.CommandPassed();
            return null!;
        }
        var engine = _policy.For(record.Value.IssuedAt);
        var decision = breaker.Apply(record.Value, engine.Policy, engine.Signer);
        passed.Add(record.Value.CommandId);
        Store(applied, passed, breaker, record);
        _metrics.AlertsRaised(decision.Alerts.Count);
        if (decision.Downgraded) _metrics.FeedbackSent(1);
        // Last, after what it sends on is counted: see PipelineCounts.
        _metrics.CommandPassed();
        return Record<string, BreakerOutput>.Create(decision.Command.ApiKeyId, new BreakerOutput(decision.Command, decision.Alerts, decision.Downgraded));
    }

    private void Store(AppliedOffsets applied, RecentCommandIds passed, RevokeBreaker breaker, Record<string, EnforcementCommand> record)
    {
        using var ms = new MemoryStream();
        using (var writer = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            passed.WritePosition(writer);
            breaker.WriteTo(writer);
        }
        applied.Advance(record.TopicPartitionOffset);
        _store!.Put(FleetKey, applied.Prepend(ms.GetBuffer().AsSpan(0, (int)ms.Length)));
    }

    private byte[]? Get(string key) => _store!.Get(key);

    private void Put(string key, byte[] value) => _store!.Put(key, value);

    private void Delete(string key) => _store!.Delete(key);

    public void Close()
    {
        if (_task is not null) _metrics.Liveness.Forget(_task);
    }
}
