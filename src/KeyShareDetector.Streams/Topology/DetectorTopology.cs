using KeyShareDetector.Contracts;
using KeyShareDetector.Streams.Policy;
using KeyShareDetector.Detection.Fleet;
using KeyShareDetector.Streams.Observability;
using KeyShareDetector.Streams.Provisioning;
using KeyShareDetector.Streams.Serdes;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Processors;
using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.State;
using Streamiz.Kafka.Net.Stream;

namespace KeyShareDetector.Streams.Topology;

/// <summary>
/// The detector's Streamiz topology:
/// access, orders, registry, lifecycle bytes -> parse/validate (bad -> DLQ) -> [keyless -> re-key] ->
/// per-key state (signals, ladder) -> signed commands and feature snapshots.
/// </summary>
public static class DetectorTopology
{
    /// <summary>Name given to the repartition step of keyless records; Streamiz's topic is "{applicationId}-{name}-repartition".</summary>
    public const string RekeyTopicName = "rekeyed-input";

    /// <summary>Name of the repartition step in front of the fleet stage.</summary>
    public const string FleetTopicName = "fleet";

    /// <summary>Name of the single-partition repartition step in front of the breaker.</summary>
    public const string BreakerTopicName = "breaker";

    public static Streamiz.Kafka.Net.Stream.Topology Build(DetectorOptions options, LivePolicy policy, DetectorMetrics metrics, WireCodecs codecs)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(codecs);
        var topics = options.Topics;
        var builder = new StreamBuilder();

        IKStream<string, InboundRecord> Parse(string topic, InputKind kind, string name) => builder
            .Stream<byte[], byte[]>(topic, new ByteArraySerDes(), new ByteArraySerDes())
            .Transform(TransformerBuilder.New<byte[], byte[], string, InboundRecord>()
                .Transformer<InputRecordParser>(kind, policy.Current.Versions[^1].Limits, metrics)
                .Build(), name);

        // Breaker downgrades and fleet findings come back to the per-key stage through this topic (a loop across sub-topologies).
        var feedback = builder.Stream<string, KeyInput>(options.KeyFeedbackTopic, new StringSerDes(), new ContractSerDes<KeyInput>(KeyInput.Encode, KeyInput.Decode));

        var parsed = Parse(topics.Access, InputKind.Access, "parse-access")
            .Merge(Parse(topics.Orders, InputKind.Order, "parse-orders"), "merge-orders")
            .Merge(Parse(topics.Registry, InputKind.Registry, "parse-registry"), "merge-registry")
            .Merge(Parse(topics.Lifecycle, InputKind.Lifecycle, "parse-lifecycle"), "merge-lifecycle");

        var branches = parsed.Branch("route",
            (_, v, _) => v.DeadLetter is not null,
            (_, v, _) => v.NeedsRekey,
            (_, _, _) => true);

        var deadLetters = branches[0].MapValues((v, _) => v.DeadLetter!, "dead-letter");
        // The dead-letter sink keeps Streamiz's own (see SinkTo): with the faster sink, a CI run of HostileInputTests read
        // back only 85,262 of 100,000 dead letters (suspected: the embedded broker's 5 MB per partition overrun before
        // the reader caught up; not established), where every earlier run had read them all.
        deadLetters.To(topics.DeadLetters, new StringSerDes(), new ContractSerDes<DeadLetter>(codecs.Write, _ => throw new NotSupportedException()));
        deadLetters
            .Transform(TransformerBuilder.New<string, DeadLetter, string, Alert>()
                .Transformer<DeadLetterRateTransformer>(options.DeadLetterAlertPerMinute, metrics)
                .Build(), "dlq-rate")
            .MapValues((a, _) =>
            {
                metrics.Alert(a.Severity.ToString());
                return a;
            }, "dlq-alert")
            .SinkTo(topics.Alerts, new ContractSerDes<Alert>(codecs.Write, _ => throw new NotSupportedException()), "alerts-sink-1");

        // Keyless records may sit on any partition: send them through a topic keyed by api key id so that all
        // of a key's records meet in one task. Keyed records (the contract) skip this hop.
        var rekeyed = branches[1]
            .MapValues((v, _) => v.Input!, "rekey-input")
            .Repartition(Repartitioned<string, KeyInput>.As(RekeyTopicName)
                .WithKeySerdes(new StringSerDes())
                .WithValueSerdes(new ContractSerDes<KeyInput>(KeyInput.Encode, KeyInput.Decode)));

        var store = Stores.KeyValueStoreBuilder(Stores.InMemoryKeyValueStore(DetectorOptions.KeyStateStore), new StringSerDes(), new ByteArraySerDes())
            .WithLoggingEnabled(new Dictionary<string, string>());

        var outputs = branches[2]
            .MapValues((v, _) => v.Input!, "keyed-input")
            .Merge(rekeyed, "keyed-and-rekeyed")
            .Merge(feedback, "all-input")
            .Transform(TransformerBuilder.New<string, KeyInput, string, DetectorOutput>()
                .Transformer<KeyRiskTransformer>(policy, metrics, options.SkipRedelivered, options.KeyStateFormat)
                .StateStore(store)
                .Build(), "key-risk");

        // Every command passes the fleet-wide breaker in one partition, in order.
        var breakerStore = Stores.KeyValueStoreBuilder(Stores.InMemoryKeyValueStore(DetectorOptions.BreakerStore), new StringSerDes(), new ByteArraySerDes())
            .WithLoggingEnabled(new Dictionary<string, string>());
        var commandSerDes = new ContractSerDes<EnforcementCommand>(codecs.Write, b => codecs.Command.Deserialize(b));
        var decided = outputs
            .Filter((_, v, _) => v.Command is not null, "has-command")
            .Map((_, v, _) => KeyValuePair.Create(BreakerTransformer.FleetKey, v.Command!), "to-fleet")
            .Repartition(Repartitioned<string, EnforcementCommand>.As(BreakerTopicName).WithKeySerdes(new StringSerDes()).WithValueSerdes(commandSerDes).WithNumberOfPartitions(1))
            .Transform(TransformerBuilder.New<string, EnforcementCommand, string, BreakerOutput>()
                .Transformer<BreakerTransformer>(policy, metrics, options.SkipRedelivered)
                .StateStore(breakerStore)
                .Build(), "breaker");

        var routed = decided.MapValues((v, context) =>
        {
            metrics.EventAge(AgePoint.Enforcement, context.Timestamp);
            metrics.Command(v.Command.Action.ToString());
            return v.Command;
        }, "final-command").Branch("live-or-shadow", (_, c, _) => c.Shadow, (_, _, _) => true);
        routed[0].SinkTo(topics.EnforcementShadow, commandSerDes, "shadow-commands-sink");
        routed[1].SinkTo(topics.Enforcement, commandSerDes, "commands-sink");

        decided
            .FlatMap((_, v, _) => v.Alerts.Select(a =>
            {
                metrics.Alert(a.Severity.ToString());
                return KeyValuePair.Create(a.DedupKey, a);
            }), "alerts")
            .SinkTo(topics.Alerts, new ContractSerDes<Alert>(codecs.Write, _ => throw new NotSupportedException()), "alerts-sink-2");

        decided
            .Filter((_, v, _) => v.Downgraded, "downgraded")
            .MapValues((v, _) => new KeyInput(InputKind.Downgrade, Applied: v.Command.NewState), "downgrade")
            .To(options.KeyFeedbackTopic, new StringSerDes(), new ContractSerDes<KeyInput>(KeyInput.Encode, KeyInput.Decode));

        // Fleet stage: facts about IPs, prefixes, fingerprints and new networks meet across keys.
        var fleetStore = Stores.KeyValueStoreBuilder(Stores.InMemoryKeyValueStore(DetectorOptions.FleetStore), new StringSerDes(), new ByteArraySerDes())
            .WithLoggingEnabled(new Dictionary<string, string>());
        var fleetRepartition = Repartitioned<string, FleetObservation>.As(FleetTopicName)
            .WithKeySerdes(new StringSerDes())
            .WithValueSerdes(new ContractSerDes<FleetObservation>(FleetTransformer.Encode, FleetTransformer.Decode));
        // Unset, Streamiz gives the repartition topic as many partitions as the stage's sources (the inputs).
        if (options.FleetPartitions > 0) fleetRepartition = fleetRepartition.WithNumberOfPartitions(options.FleetPartitions);
        var fleet = outputs
            .FlatMap((_, v, _) => v.Observations is { } obs ? obs.Select(o => KeyValuePair.Create(o.FleetKey, o)) : [], "observations")
            .Repartition(fleetRepartition)
            .Transform(TransformerBuilder.New<string, FleetObservation, string, FleetOutcome>()
                .Transformer<FleetTransformer>(policy, metrics, options.SkipRedelivered)
                .StateStore(fleetStore)
                .Build(), "fleet");
        fleet
            .FlatMap((_, v, _) => v.Findings.Select(f => KeyValuePair.Create(f.ApiKeyId, new KeyInput(InputKind.FleetFinding, Finding: f.Finding, FindingTs: f.Ts))), "fleet-findings")
            .To(options.KeyFeedbackTopic, new StringSerDes(), new ContractSerDes<KeyInput>(KeyInput.Encode, KeyInput.Decode));
        fleet
            .Filter((_, v, _) => v.Alert is not null, "fleet-alert")
            .Map((_, v, _) =>
            {
                metrics.Alert(v.Alert!.Severity.ToString());
                return KeyValuePair.Create(v.Alert!.DedupKey, v.Alert!);
            }, "fleet-alert-key")
            .SinkTo(topics.Alerts, new ContractSerDes<Alert>(codecs.Write, _ => throw new NotSupportedException()), "alerts-sink-3");

        outputs
            .Filter((_, v, _) => v.Snapshot is not null, "has-snapshot")
            .MapValues((v, _) =>
            {
                metrics.Snapshot();
                return v.Snapshot!;
            }, "snapshot")
            .SinkTo(topics.Features, new ContractSerDes<FeatureSnapshot>(codecs.Write, _ => throw new NotSupportedException()), "features-sink");

        return builder.Build();
    }

    /// <summary>
    /// The output sinks (commands, shadow commands, alerts, features) go without a stream partitioner (the feedback
    /// topic, read back by the per-key stage, keeps Streamiz's own sink, with which the test driver routes it; so
    /// does the dead-letter topic, see there). With one, Streamiz 1.8 asks the producer for the topic's
    /// partition count on every send (a metadata request, a client config built and a clock read each time) only to
    /// answer "any partition", after which the producer partitions by key (Murmur2, as Java). Without it the producer
    /// partitions by key directly: the same partition, a few percent of the stream thread saved (branch p8a, the
    /// features sink), and no metadata request that can time out per record while a broker is down (a fault run in CI
    /// lost a transaction to "GetMetadata: Local: Timed out" in a sink).
    /// </summary>
    private static void SinkTo<TValue>(this IKStream<string, TValue> stream, string topic, ISerDes<TValue> valueSerDes, string name) =>
        stream.To(new FixedTopic<string, TValue>(topic), new StringSerDes(), valueSerDes, new RecordTimestamp<string, TValue>(), partitioner: null!, name);

    /// <summary>A sink's fixed topic, given as an extractor (the only <c>To</c> overloads that take no stream partitioner).</summary>
    private sealed class FixedTopic<TKey, TValue>(string topic) : ITopicNameExtractor<TKey, TValue>
    {
        public string Extract(TKey key, TValue value, IRecordContext recordContext) => topic;
    }

    /// <summary>The input record's timestamp, as Streamiz's default sinks write it.</summary>
    private sealed class RecordTimestamp<TKey, TValue> : IRecordTimestampExtractor<TKey, TValue>
    {
        public long Extract(TKey key, TValue value, IRecordContext recordContext) => recordContext.Timestamp;
    }

    /// <summary>Co-partitioning group of the per-key stage: the four inputs and the internal topics merged with them.</summary>
    public const string PerKeyGroup = "per-key";

    /// <summary>Co-partitioning group of the fleet stage (its repartition topic and its store's changelog).</summary>
    public const string FleetGroup = "fleet";

    /// <summary>Co-partitioning group of the single-partition breaker stage.</summary>
    public const string BreakerGroup = "breaker";

    /// <summary>
    /// Every topic the topology reads, writes or keeps state in, with its partitions, compaction and
    /// co-partitioning group; created before the stream starts (`keyshare topics create`, or the embedded broker's API).
    /// </summary>
    public static IReadOnlyList<TopicSpec> RequiredTopics(DetectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var t = options.Topics;
        int p = options.InputPartitions;
        short rf = options.ReplicationFactor;
        TopicSpec Input(string name, bool compacted = false) => new(name, p, rf, compacted) { Role = TopicRole.Input, CoPartitionGroup = PerKeyGroup };
        TopicSpec Output(string name, int partitions, bool compacted = false) => new(name, partitions, rf, compacted);
        TopicSpec Internal(string name, int partitions, string group, bool compacted = false) =>
            new(name, partitions, rf, compacted) { Role = TopicRole.Internal, CoPartitionGroup = group, FixedPartitions = group == BreakerGroup };
        // The fleet stage's count is a setting (as many as the inputs when 0): a topic of another count is a problem at
        // start, as Streamiz would read a repartition topic of another count with a store changelog it no longer matches.
        string fleetBy = options.FleetPartitions > 0 ? $"Detector:FleetPartitions is {options.FleetPartitions}" : "Detector:FleetPartitions is 0: as many as the inputs";
        TopicSpec Fleet(string name, bool compacted = false) =>
            Internal(name, options.FleetPartitionCount, FleetGroup, compacted) with { FixedPartitions = true, FixedBy = fleetBy, FollowsInputs = options.FleetPartitions == 0 };
        return
        [
            Input(t.Access),
            Input(t.Orders),
            Input(t.Registry, compacted: true),
            Input(t.Lifecycle),
            // The policy topic is read whole by every instance; compacted so the latest document per version stays.
            Output(t.Policy, 1, compacted: true),
            Output(t.Enforcement, p),
            Output(t.EnforcementShadow, p),
            Output(t.Alerts, 1),
            Output(t.Features, p),
            Output(t.DeadLetters, p),
            // Streamiz names internal topics {applicationId}-{name}-changelog / -repartition.
            Internal(options.KeyStateChangelog, p, PerKeyGroup, compacted: true),
            Internal($"{options.ApplicationId}-{RekeyTopicName}-repartition", p, PerKeyGroup),
            Internal(options.KeyFeedbackTopic, p, PerKeyGroup) with { CreatedByStreamiz = false },
            Internal($"{options.ApplicationId}-{BreakerTopicName}-repartition", 1, BreakerGroup),
            Internal($"{options.ApplicationId}-{DetectorOptions.BreakerStore}-changelog", 1, BreakerGroup, compacted: true),
            Fleet($"{options.ApplicationId}-{FleetTopicName}-repartition"),
            Fleet($"{options.ApplicationId}-{DetectorOptions.FleetStore}-changelog", compacted: true),
        ];
    }
}
