using System.Text;
using KeyShareDetector.Detection.Fleet;
using KeyShareDetector.Streams.Observability;
using KeyShareDetector.Streams.Policy;
using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.State;
using Streamiz.Kafka.Net.Stream;

namespace KeyShareDetector.Streams.Topology;

/// <summary>
/// Fleet stage, keyed by IP, prefix, fingerprint or network: counts distinct accounts (or keys on a new network)
/// per window and sends findings back to each key involved; raises the mass-compromise alert.
/// </summary>
/// <remarks>
/// Each entry is bounded, but every IP, prefix, fingerprint and network ever seen gets one: a key spraying thousands
/// of IPs a second would grow the store (and its changelog) without end. Every <see cref="SweepIntervalMs"/> of stream
/// time the entries that have been dormant for two windows are deleted; a later observation starts a fresh one.
/// </remarks>
public sealed class FleetTransformer : ITransformer<string, FleetObservation, string, FleetOutcome>
{
    /// <summary>Stream time between sweeps of dormant entries (housekeeping, no decision depends on it).</summary>
    public const long SweepIntervalMs = 600_000;

    private readonly LivePolicy _policy;
    private readonly DetectorMetrics _metrics;
    private string? _task;
    private readonly bool _skipRedelivered;
    private IKeyValueStore<string, byte[]>? _store;

    /// <summary>
    /// Streamiz's builder needs a parameterless constructor and makes one unused instance with it; every
    /// instance that processes records is built with the arguments below.
    /// </summary>
    public FleetTransformer()
    {
        _policy = null!;
        _metrics = null!;
    }

    public FleetTransformer(LivePolicy policy, DetectorMetrics metrics, bool skipRedelivered = true)
    {
        _policy = policy;
        _metrics = metrics;
        _skipRedelivered = skipRedelivered;
    }

    public void Init(ProcessorContext<string, FleetOutcome> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _store = (IKeyValueStore<string, byte[]>)context.GetStateStore(DetectorOptions.FleetStore);
        _task = _metrics.Liveness.Watch(context);
        context.Schedule(TimeSpan.FromMilliseconds(SweepIntervalMs), PunctuationType.STREAM_TIME, Sweep);
    }

    /// <summary>Deletes the entries dormant at <paramref name="streamTime"/> (see <see cref="FleetAggregate.IsDormant"/>).</summary>
    private void Sweep(long streamTime)
    {
        var store = _store!;
        List<string>? dormant = null;
        using (var all = store.All().GetEnumerator())
        {
            while (all.MoveNext())
            {
                var (key, value) = (all.Current.Key, all.Current.Value);
                if (value is not null && FleetAggregate.IsDormant(AppliedOffsets.Payload(value), streamTime)) (dormant ??= []).Add(key);
            }
        }
        if (dormant is null) return;
        foreach (string key in dormant) store.Delete(key);
    }

    public Record<string, FleetOutcome> Process(Record<string, FleetObservation> record)
    {
        ArgumentNullException.ThrowIfNull(record);
        long started = _metrics.StageStarted();
        try
        {
            return Apply(record);
        }
        finally
        {
            _metrics.StageDone(Stage.Fleet, started);
        }
    }

    private Record<string, FleetOutcome> Apply(Record<string, FleetObservation> record)
    {
        var o = record.Value;
        var policy = _policy.For(o.Ts).Policy;
        FleetAggregate agg;
        var bytes = _store!.Get(record.Key);
        // Observed before (the fleet topic re-read after a restart): count nothing twice, tell no key twice.
        var applied = AppliedOffsets.Read(bytes, out int stateStart);
        if (_skipRedelivered && applied.IsRedelivered(record.TopicPartitionOffset))
        {
            _metrics.RedeliveredSkip(Stage.Fleet);
            _metrics.ObservationHandled();
            return null!;
        }
        if (bytes is not null)
        {
            agg = FleetAggregate.Decode(bytes.AsSpan(stateStart));
        }
        else
        {
            agg = FleetAggregate.For(o, policy.CrossAccount, policy.MassCompromise);
        }
        var outcome = agg.OnObservation(o, policy.CrossAccount, policy.MassCompromise);
        applied.Advance(record.TopicPartitionOffset);
        _store.Put(record.Key, applied.Prepend(agg.Encode()));
        _metrics.FeedbackSent(outcome.Findings.Count);
        if (outcome.Alert is not null) _metrics.AlertsRaised(1);
        // Last, after what it sends on is counted: see PipelineCounts.
        _metrics.ObservationHandled();
        return outcome.Findings.Count == 0 && outcome.Alert is null ? null! : Record<string, FleetOutcome>.Create(record.Key, outcome);
    }

    public void Close()
    {
        if (_task is not null) _metrics.Liveness.Forget(_task);
    }

    /// <summary>Binary form of an observation on the fleet repartition topic.</summary>
    public static byte[] Encode(FleetObservation o)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write((byte)o.Dimension);
            w.Write(o.Value);
            w.Write(o.ApiKeyId);
            w.Write(o.AccountId);
            w.Write(o.Ts);
        }
        return ms.ToArray();
    }

    public static FleetObservation Decode(byte[] bytes)
    {
        using var r = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
        return new FleetObservation((FleetDimension)r.ReadByte(), r.ReadString(), r.ReadString(), r.ReadString(), r.ReadInt64());
    }
}
