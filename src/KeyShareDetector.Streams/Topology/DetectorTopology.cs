using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Detection;
using KeyShareDetector.Streams.Observability;
using KeyShareDetector.Streams.Provisioning;
using KeyShareDetector.Streams.Serdes;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.State;
using Streamiz.Kafka.Net.Stream;

namespace KeyShareDetector.Streams.Topology;

/// <summary>
/// The detector's Streamiz topology:
/// access bytes -> parse/validate (bad -> DLQ) -> per-key state (windows, ladder) -> signed commands.
/// </summary>
public static class DetectorTopology
{
    public static Streamiz.Kafka.Net.Stream.Topology Build(DetectorOptions options, KeyRiskEngine engine, DetectorMetrics metrics, WireCodecs codecs)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(codecs);
        var topics = options.Topics;
        var builder = new StreamBuilder();

        var parsed = builder
            .Stream<byte[], byte[]>(topics.Access, new ByteArraySerDes(), new ByteArraySerDes())
            .Transform(TransformerBuilder.New<byte[], byte[], string, InboundRecord>()
                .Transformer<AccessRecordParser>(engine.Policy.Limits, codecs, metrics)
                .Build(), "parse-access");

        var branches = parsed.Branch("route",
            (_, v, _) => v.DeadLetter is not null,
            (_, v, _) => v.NeedsRekey,
            (_, _, _) => true);

        branches[0]
            .MapValues((v, _) => v.DeadLetter!, "dead-letter")
            .To(topics.DeadLetters, new StringSerDes(), new ContractSerDes<DeadLetter>(codecs.Write, _ => throw new NotSupportedException()));

        // Keyless records may sit on any partition: send them through a topic keyed by api key id so that all
        // of a key's records meet in one task. Keyed records (the contract) skip this hop.
        var accessSerDes = new ContractSerDes<AccessEvent>(ContractCodecs.Access.SerializeAvro, b => ContractCodecs.Access.Deserialize(b));
        var rekeyed = branches[1]
            .MapValues((v, _) => v.Access!, "rekey-access")
            .Repartition(Repartitioned<string, AccessEvent>.As(RekeyTopicName).WithKeySerdes(new StringSerDes()).WithValueSerdes(accessSerDes));

        var store = Stores.KeyValueStoreBuilder(Stores.InMemoryKeyValueStore(DetectorOptions.KeyStateStore), new StringSerDes(), new ByteArraySerDes())
            .WithLoggingEnabled(new Dictionary<string, string>());

        branches[2]
            .MapValues((v, _) => v.Access!, "keyed-access")
            .Merge(rekeyed, "all-access")
            .Transform(TransformerBuilder.New<string, AccessEvent, string, EnforcementCommand>()
                .Transformer<KeyRiskTransformer>(engine, metrics)
                .StateStore(store)
                .Build(), "key-risk")
            .To(topics.Enforcement, new StringSerDes(), new ContractSerDes<EnforcementCommand>(codecs.Write, _ => throw new NotSupportedException()));

        return builder.Build();
    }

    /// <summary>Name given to the repartition step of keyless records; Streamiz's topic is "{applicationId}-{name}-repartition".</summary>
    public const string RekeyTopicName = "rekeyed-access";

    /// <summary>Every topic the topology reads, writes or keeps state in; created before the stream starts.</summary>
    public static IReadOnlyList<TopicSpec> RequiredTopics(DetectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var t = options.Topics;
        int p = options.InputPartitions;
        short rf = options.ReplicationFactor;
        return
        [
            new TopicSpec(t.Access, p, rf),
            new TopicSpec(t.Orders, p, rf),
            new TopicSpec(t.Registry, p, rf, Compacted: true),
            new TopicSpec(t.Lifecycle, p, rf),
            new TopicSpec(t.Policy, 1, rf, Compacted: true),
            new TopicSpec(t.Enforcement, p, rf),
            new TopicSpec(t.EnforcementShadow, p, rf),
            new TopicSpec(t.Alerts, 1, rf),
            new TopicSpec(t.Features, p, rf),
            new TopicSpec(t.DeadLetters, p, rf),
            // Streamiz names its changelogs {applicationId}-{store}-changelog, one partition per input partition.
            new TopicSpec(options.KeyStateChangelog, p, rf, Compacted: true),
            new TopicSpec($"{options.ApplicationId}-{RekeyTopicName}-repartition", p, rf),
        ];
    }
}
