using KeyShareDetector.Contracts;

namespace KeyShareDetector.Streams;

/// <summary>Topic names the detector reads and writes; defaults are the documented contract.</summary>
public sealed record TopicNames
{
    public string Access { get; init; } = Topics.Access;
    public string Orders { get; init; } = Topics.Orders;
    public string Registry { get; init; } = Topics.Registry;
    public string Lifecycle { get; init; } = Topics.Lifecycle;
    public string Policy { get; init; } = Topics.Policy;
    public string Enforcement { get; init; } = Topics.Enforcement;
    public string EnforcementShadow { get; init; } = Topics.EnforcementShadow;
    public string Alerts { get; init; } = Topics.Alerts;
    public string Features { get; init; } = Topics.Features;
    public string DeadLetters { get; init; } = Topics.DeadLetters;

    /// <summary>Every name with the same suffix appended (tests sharing a real cluster use one per run).</summary>
    public TopicNames WithSuffix(string suffix) => new()
    {
        Access = Access + suffix, Orders = Orders + suffix, Registry = Registry + suffix, Lifecycle = Lifecycle + suffix,
        Policy = Policy + suffix, Enforcement = Enforcement + suffix, EnforcementShadow = EnforcementShadow + suffix,
        Alerts = Alerts + suffix, Features = Features + suffix, DeadLetters = DeadLetters + suffix,
    };
}

/// <summary>How the detector connects to Kafka and runs its stream threads.</summary>
public sealed record DetectorOptions
{
    public string ApplicationId { get; init; } = "keyshare-detector";
    public required string BootstrapServers { get; init; }
    public TopicNames Topics { get; init; } = new();
    /// <summary>Streamiz EXACTLY_ONCE (EOS v2) for Kafka-to-Kafka; at-least-once when false.</summary>
    public bool ExactlyOnce { get; init; } = true;
    public int StreamThreads { get; init; } = 1;
    public int InputPartitions { get; init; } = 4;
    /// <summary>
    /// Partitions of the fleet stage's repartition topic and store changelog; 0 = as many as the inputs (Streamiz's
    /// default, and every deployment made before the setting). The fleet stage sees a few percent of the input
    /// (observations of new networks, prefixes, fingerprints), so it needs far fewer tasks than the per-key stage, and
    /// every task costs each exactly-once commit a flush (DECISIONS, "The fleet stage sized by its own traffic").
    /// Its outputs do not depend on the count: each fleet key lives in one partition whatever the count.
    /// </summary>
    public int FleetPartitions { get; init; }

    /// <summary>The fleet stage's partition count in force (<see cref="FleetPartitions"/>, else the inputs').</summary>
    public int FleetPartitionCount => FleetPartitions > 0 ? FleetPartitions : InputPartitions;
    /// <summary>Replication factor of our output and internal topics (3 in production).</summary>
    public short ReplicationFactor { get; init; } = 1;
    public string StateDir { get; init; } = Path.Combine(Path.GetTempPath(), "keyshare-state");
    public int CommitIntervalMs { get; init; } = 100;
    /// <summary>
    /// Longest a stream thread polls for records before it processes what it has (Streamiz's PollMs): a poll returns
    /// early only with a full batch, so at a trickle of input every hop between stages waits this long.
    /// </summary>
    public int PollMs { get; init; } = 100;
    /// <summary>Longest the broker may hold a fetch with no data (librdkafka fetch.wait.max.ms); null for its default (500).</summary>
    public int? FetchWaitMaxMs { get; init; }
    /// <summary>
    /// Consumer group session timeout (librdkafka session.timeout.ms); null for its default (45 s). A crashed
    /// instance's partitions go to another member, or back to it after a restart, only once it has expired.
    /// </summary>
    public int? SessionTimeoutMs { get; init; }
    /// <summary>Most records one poll hands the stream thread (Streamiz's MaxPollRecords).</summary>
    public long MaxPollRecords { get; init; } = 500;
    /// <summary>
    /// How long a task with records on some of its input partitions but not all waits before processing what it has
    /// (Streamiz's MaxTaskIdleMs): it merges its partitions by record time only over what it has buffered.
    /// </summary>
    public long MaxTaskIdleMs { get; init; }
    /// <summary>
    /// Longest the service waits for the stream to close when disposed before it gives up and leaves the stream
    /// threads behind (a consumer close can hang in librdkafka; see DetectorService.DisposeAsync).
    /// </summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(20);
    /// <summary>
    /// How long a stream task may go without its thread coming round to it before the instance counts as stalled
    /// (/healthz fails, so that it is restarted): see <see cref="Observability.TaskLiveness"/>. Above the longest a
    /// healthy thread spends in one commit or one batch (a transaction commit is bounded by Streamiz's 10 s timeout).
    /// </summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>
    /// Format the per-key stage writes key states in (the current, 9, or the one before, 8; both are always read). An
    /// instance of the release before format 9 cannot read it, so an upgrade from there runs this release with 8
    /// until every instance runs it, then switches to 9 (docs/RUNBOOK.md, "Upgrading across a key state format").
    /// </summary>
    public byte KeyStateFormat { get; init; } = Detection.State.KeyRiskStateCodec.CurrentFormat;
    /// <summary>Dead letters from one topic within one minute (per task) that raise a warning alert; 0 turns it off.</summary>
    public long DeadLetterAlertPerMinute { get; init; } = 100;
    /// <summary>
    /// Stages skip a record at or below the source offset they last applied to its entry (a restart re-reading its
    /// input, a retried transaction), see <see cref="Topology.AppliedOffsets"/>. Off only where nothing is read twice
    /// and offsets are not real: Streamiz's synchronous TopologyTestDriver gives every internal-topic record offset 0.
    /// </summary>
    public bool SkipRedelivered { get; init; } = true;
    /// <summary>Follow the policy topic and apply new versions while running.</summary>
    public bool WatchPolicyTopic { get; init; } = true;
    /// <summary>Extra librdkafka settings (SASL/SSL...) applied to every client.</summary>
    public IReadOnlyDictionary<string, string> KafkaSettings { get; init; } = new Dictionary<string, string>();
    /// <summary>
    /// Settings for the stream's own clients only, applied after <see cref="KafkaSettings"/> and never given to other
    /// clients (policy watcher, admin): librdkafka names, optionally with Streamiz's client prefix
    /// (main.consumer., restore.consumer., global.consumer., producer., admin.), e.g. main.consumer.fetch.wait.max.ms.
    /// </summary>
    public IReadOnlyDictionary<string, string> StreamSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>Name of the per-key state store; its changelog topic is "{ApplicationId}-{store}-changelog".</summary>
    public const string KeyStateStore = "key-risk-state";

    public string KeyStateChangelog => $"{ApplicationId}-{KeyStateStore}-changelog";

    /// <summary>Store of the fleet-wide revoke breaker (one partition).</summary>
    public const string BreakerStore = "breaker-state";

    /// <summary>Store of the fleet stage (per IP, prefix, fingerprint, network).</summary>
    public const string FleetStore = "fleet-state";

    /// <summary>Internal topic carrying breaker downgrades and fleet findings back to the per-key stage.</summary>
    public string KeyFeedbackTopic => $"{ApplicationId}-key-feedback";

    /// <summary>Every problem with the options, one line each, naming the setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(BootstrapServers)) errors.Add("Kafka:BootstrapServers is required");
        if (string.IsNullOrWhiteSpace(ApplicationId)) errors.Add("ApplicationId must not be empty");
        if (StreamThreads < 1) errors.Add("StreamThreads must be >= 1");
        if (InputPartitions < 1) errors.Add("InputPartitions must be >= 1");
        if (FleetPartitions < 0) errors.Add("FleetPartitions must be >= 0 (0 = as many as the inputs)");
        if (ReplicationFactor < 1) errors.Add("ReplicationFactor must be >= 1");
        if (CommitIntervalMs < 1) errors.Add("CommitIntervalMs must be >= 1");
        if (PollMs < 1) errors.Add("PollMs must be >= 1");
        if (FetchWaitMaxMs is < 0) errors.Add("FetchWaitMaxMs must be >= 0");
        if (MaxPollRecords < 1) errors.Add("MaxPollRecords must be >= 1");
        if (MaxTaskIdleMs < 0) errors.Add("MaxTaskIdleMs must be >= 0");
        if (CloseTimeout <= TimeSpan.Zero) errors.Add("CloseTimeout must be > 0");
        if (StallTimeout < TimeSpan.FromSeconds(5)) errors.Add("StallTimeout must be at least 5 s (tasks beat once a second)");
        if (!Detection.State.KeyRiskStateCodec.IsWritable(KeyStateFormat)) errors.Add($"KeyStateFormat must be 8 or {Detection.State.KeyRiskStateCodec.CurrentFormat} (was {KeyStateFormat})");
        if (DeadLetterAlertPerMinute < 0) errors.Add("DeadLetterAlertPerMinute must be >= 0");
        foreach (var (key, value) in StreamSettings)
        {
            if (StreamConfigSettings.Problem(key, value) is { } problem) errors.Add($"StreamSettings[{key}]: {problem}");
        }
        return errors;
    }
}
