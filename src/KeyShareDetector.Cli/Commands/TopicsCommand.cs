using System.CommandLine;
using System.Globalization;
using Confluent.Kafka;
using KeyShareDetector.Cli.Hosting;
using KeyShareDetector.Streams;
using KeyShareDetector.Streams.Provisioning;
using KeyShareDetector.Streams.Topology;

namespace KeyShareDetector.Cli.Commands;

/// <summary>
/// `keyshare topics create|check`: makes the topics the detector needs (inputs, outputs and Streamiz's internal
/// topics, with partitions and compaction) and checks an existing cluster: missing topics, co-partitioning of the
/// inputs and the internal topics merged with them, cleanup policies. Settings as for `keyshare run`.
/// </summary>
internal static class TopicsCommand
{
    /// <summary>Every topic is there and right (create: after creating the missing ones).</summary>
    public const int Ok = 0;

    /// <summary>A topic is missing, not co-partitioned, wrongly compacted, or could not be created.</summary>
    public const int TopicProblems = 1;

    /// <summary>A setting is wrong or the brokers do not answer.</summary>
    public const int ConfigurationError = 2;

    public static Command Create()
    {
        var command = new Command("topics", "create or check the detector's topics (partitions, co-partitioning, compaction) on a Kafka cluster");
        command.Subcommands.Add(Sub("create", "create every missing topic: inputs, outputs and internal topics, compacted where the detector needs it", create: true));
        command.Subcommands.Add(Sub("check", "report missing topics, inputs that are not co-partitioned and wrong cleanup policies; exit 1 if any", create: false));
        return command;
    }

    private static Command Sub(string name, string description, bool create)
    {
        var configFile = new Option<string?>("--config") { Description = "a JSON settings file (in addition to ./appsettings.json)" };
        var bootstrap = new Option<string?>("--bootstrap-servers") { Description = "Kafka bootstrap servers (Kafka:BootstrapServers, KAFKA_BOOTSTRAP_SERVERS)" };
        var partitions = new Option<int?>("--partitions") { Description = "partitions of the inputs and the per-key topics (Detector:InputPartitions); default: the existing inputs' count" };
        var fleetPartitions = new Option<int?>("--fleet-partitions") { Description = "partitions of the fleet stage's topics (Detector:FleetPartitions); default 0: as many as the inputs" };
        var replication = new Option<short?>("--replication-factor") { Description = "replication factor of created topics (Detector:ReplicationFactor, default 3)" };
        var applicationId = new Option<string?>("--application-id") { Description = "the detector's application id, prefix of its internal topics (Detector:ApplicationId)" };
        var timeout = new Option<int>("--timeout") { Description = "seconds to wait for each admin request", DefaultValueFactory = _ => 30 };
        var skipCleanup = new Option<bool>("--skip-cleanup-policy")
        {
            Description = "do not fail when cleanup.policy cannot be read (the embedded broker has no DescribeConfigs); a note says it was not verified",
        };
        var command = new Command(name, description) { configFile, bootstrap, partitions, fleetPartitions, replication, applicationId, timeout, skipCleanup };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, ct) =>
        {
            var typed = new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                ["Kafka:BootstrapServers"] = parse.GetValue(bootstrap),
                ["Detector:InputPartitions"] = parse.GetValue(partitions)?.ToString(CultureInfo.InvariantCulture),
                ["Detector:FleetPartitions"] = parse.GetValue(fleetPartitions)?.ToString(CultureInfo.InvariantCulture),
                ["Detector:ReplicationFactor"] = parse.GetValue(replication)?.ToString(CultureInfo.InvariantCulture),
                ["Detector:ApplicationId"] = parse.GetValue(applicationId),
            };
            var settings = RunConfiguration.Load(SettingsSources.Build(parse.GetValue(configFile), parse.UnmatchedTokens, typed));
            var how = new AuditRequest(TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(timeout))), parse.GetValue(skipCleanup));
            return create ? await CreateAsync(settings, how, Console.Out, Console.Error) : await CheckAsync(settings, how, Console.Out, Console.Error);
        });
        return command;
    }

    /// <summary>An admin client with the same connection and security settings as every detector client.</summary>
    /// <remarks>librdkafka's own connection logs are dropped: a failure comes back as one line naming the setting.</remarks>
    public static IAdminClient Admin(RunConfiguration settings) =>
        new AdminClientBuilder(new AdminClientConfig(settings.KafkaClientSettings()) { BootstrapServers = settings.Kafka.BootstrapServers })
            .SetLogHandler((_, _) => { })
            .Build();

    /// <summary>Detector options naming the topics these settings imply, with this many input partitions.</summary>
    public static DetectorOptions Options(RunConfiguration settings, int inputPartitions) => new()
    {
        ApplicationId = settings.Detector.ApplicationId,
        BootstrapServers = settings.Kafka.BootstrapServers ?? "",
        InputPartitions = inputPartitions,
        FleetPartitions = settings.Detector.FleetPartitions,
        ReplicationFactor = settings.Detector.ReplicationFactor,
    };

    public static async Task<int> CheckAsync(RunConfiguration settings, AuditRequest how, TextWriter output, TextWriter errors)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(errors);
        if (Invalid(settings, errors)) return ConfigurationError;
        using var admin = Admin(settings);
        var cluster = await ReadAsync(admin, settings, how, errors);
        if (cluster is null) return ConfigurationError;
        return Report(settings, cluster, how, output, errors);
    }

    public static async Task<int> CreateAsync(RunConfiguration settings, AuditRequest how, TextWriter output, TextWriter errors)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(errors);
        if (Invalid(settings, errors)) return ConfigurationError;
        using var admin = Admin(settings);
        var before = await ReadAsync(admin, settings, how, errors);
        if (before is null) return ConfigurationError;

        var names = Options(settings, 1).Topics;
        int? count = TopicAudit.PartitionsToCreate(settings.Detector.InputPartitions, [names.Access, names.Orders, names.Registry, names.Lifecycle], before.Topics, out var problem);
        if (count is null)
        {
            errors.WriteLine("configuration error: " + problem);
            return ConfigurationError;
        }
        var missing = DetectorTopology.RequiredTopics(Options(settings, count.Value)).Where(t => !before.Topics.ContainsKey(t.Name)).ToList();
        if (missing.Count == 0)
        {
            output.WriteLine("nothing to create: every topic exists");
        }
        else
        {
            var failures = await ClusterTopics.CreateAsync(admin, missing, how.Timeout);
            foreach (var f in failures) errors.WriteLine("problem: " + f);
            foreach (var t in missing.Where(t => !failures.Any(f => f.StartsWith($"could not create topic {t.Name}:", StringComparison.Ordinal))))
            {
                output.WriteLine($"created {t.Name}: {t.Partitions} partition{(t.Partitions == 1 ? "" : "s")}, replication factor {t.ReplicationFactor}, cleanup.policy={(t.Compacted ? "compact" : "delete")}");
            }
            if (failures.Count > 0) return TopicProblems;
        }
        // What was there before is not changed: check it all as `topics check` would.
        var after = await ReadAsync(admin, settings, how, errors);
        return after is null ? ConfigurationError : Report(settings, after, how, output, errors);
    }

    private static bool Invalid(RunConfiguration settings, TextWriter errors)
    {
        var problems = settings.ValidateKafka();
        foreach (var p in problems) errors.WriteLine("configuration error: " + p);
        return problems.Count > 0;
    }

    private static async Task<ClusterTopics?> ReadAsync(IAdminClient admin, RunConfiguration settings, AuditRequest how, TextWriter errors)
    {
        try
        {
            // Partition counts do not matter for the names; every required topic's cleanup.policy is read.
            var names = DetectorTopology.RequiredTopics(Options(settings, 1)).Select(t => t.Name);
            return await ClusterTopics.ReadAsync(admin, names, how.Timeout);
        }
        catch (KafkaException e)
        {
            errors.WriteLine($"configuration error: Kafka:BootstrapServers: cannot read metadata from {settings.Kafka.BootstrapServers}: {e.Error.Reason}");
            return null;
        }
    }

    private static int Report(RunConfiguration settings, ClusterTopics cluster, AuditRequest how, TextWriter output, TextWriter errors)
    {
        var names = Options(settings, 1).Topics;
        int accessCount = cluster.Topics.TryGetValue(names.Access, out var access) ? access.Partitions : Math.Max(1, settings.Detector.InputPartitions);
        var required = DetectorTopology.RequiredTopics(Options(settings, accessCount));
        var problems = TopicAudit.Problems(required, cluster.Topics, AuditScope.Check).ToList();
        if (cluster.ConfigsUnavailable is { } why)
        {
            // Unverified is not verified: only an explicit flag turns it into a note.
            if (how.SkipCleanupPolicy) output.WriteLine($"note: cleanup.policy not verified ({why}); partitions and co-partitioning were");
            else problems.Add($"cleanup.policy not verified: {why} (--skip-cleanup-policy accepts that, e.g. on the embedded broker)");
        }
        foreach (var p in problems) errors.WriteLine("problem: " + p);
        if (problems.Count > 0) return TopicProblems;
        var groups = required.Where(t => t.CoPartitionGroup is not null).GroupBy(t => t.CoPartitionGroup!, StringComparer.Ordinal)
            .Select(g => $"{g.Key} {cluster.Topics[g.First().Name].Partitions}");
        output.WriteLine($"ok: all {required.Count} topics exist; partitions by co-partitioned group: {string.Join(", ", groups)}");
        return Ok;
    }

    /// <summary>How long to wait for each admin request, and whether unreadable cleanup policies are acceptable.</summary>
    public sealed record AuditRequest(TimeSpan Timeout, bool SkipCleanupPolicy);
}
