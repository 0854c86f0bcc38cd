using System.CommandLine;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using KeyShareDetector.Audit.Ledger;
using KeyShareDetector.Audit.Schema;
using KeyShareDetector.Audit.Sink;
using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Streams.Policy;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace KeyShareDetector.Cli.Commands;

/// <summary>`keyshare audit ...`: the PostgreSQL ledger of commands and alerts: list, show, dispose, and the sink that fills it.</summary>
internal static class AuditCommand
{
    private const string ConnectionEnv = "KEYSHARE_AUDIT__CONNECTIONSTRING";

    public static Command Create()
    {
        var connection = new Option<string>("--connection") { Description = $"PostgreSQL connection string (default: {ConnectionEnv})", Recursive = true };
        var command = new Command("audit", "audit ledger in PostgreSQL: list and search commands, show evidence, record dispositions, run the ledger sink") { connection };
        command.Subcommands.Add(List(connection));
        command.Subcommands.Add(Show(connection));
        command.Subcommands.Add(Dispose(connection));
        command.Subcommands.Add(Sink(connection));
        return command;
    }

    private static Command List(Option<string> connection)
    {
        var key = new Option<string>("--key") { Description = "api key id" };
        var account = new Option<string>("--account") { Description = "account id" };
        var action = new Option<EnforcementAction?>("--action") { Description = "WARN, REAUTH or REVOKE" };
        var from = new Option<DateTimeOffset?>("--from") { Description = "issued at or after (ISO 8601, e.g. 2025-03-01T00:00:00Z)" };
        var to = new Option<DateTimeOffset?>("--to") { Description = "issued before (ISO 8601)" };
        var limit = new Option<int>("--limit") { Description = "most rows to print", DefaultValueFactory = _ => 50 };
        var list = new Command("list", "list commands, newest first, filtered by key, account, action and time range") { key, account, action, from, to, limit };
        list.SetAction((parse, ct) => WithLedger(parse.GetValue(connection), async ledger =>
        {
            var rows = await ledger.SearchCommandsAsync(new CommandQuery
            {
                ApiKeyId = parse.GetValue(key),
                AccountId = parse.GetValue(account),
                Action = parse.GetValue(action),
                From = parse.GetValue(from),
                To = parse.GetValue(to),
                Limit = parse.GetValue(limit),
            }, ct);
            Console.WriteLine($"{"ISSUED AT (UTC)",-24} {"ACTION",-7} {"COMMAND ID",-34} {"API KEY",-24} {"ACCOUNT",-20} {"RISK",5} {"STATE",-28} POLICY");
            foreach (var r in rows)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.IssuedAt:yyyy-MM-ddTHH:mm:ss.fffZ} {r.Action,-7} {r.CommandId,-34} {r.ApiKeyId,-24} {r.AccountId,-20} {r.RiskScore,5:F2} {r.PreviousState + "->" + r.NewState,-28} {r.PolicyVersion}{(r.Shadow ? " (shadow)" : "")}"));
            }
            Console.WriteLine($"{rows.Count} command(s)");
            return 0;
        }, ct));
        return list;
    }

    private static Command Show(Option<string> connection)
    {
        var id = new Argument<string>("command-id") { Description = "the command id" };
        var show = new Command("show", "show one command with its evidence and dispositions") { id };
        show.SetAction((parse, ct) => WithLedger(parse.GetValue(connection), async ledger =>
        {
            var detail = await ledger.GetCommandAsync(parse.GetValue(id)!, ct);
            if (detail is null)
            {
                Console.Error.WriteLine($"no command {parse.GetValue(id)} in the ledger");
                return 1;
            }
            var c = detail.Command;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
                command   {c.CommandId}
                key       {c.ApiKeyId} (account {c.AccountId})
                action    {c.Action}{(c.Shadow ? " (shadow)" : "")}: {c.PreviousState} -> {c.NewState}
                issued at {c.IssuedAt:yyyy-MM-ddTHH:mm:ss.fffZ}, policy {c.PolicyVersion}, risk {c.RiskScore:F3}
                source    {c.SourceTopic}/{c.SourcePartition}/{c.SourceOffset}
                evidence  {detail.EvidenceJson}
                """));
            Console.WriteLine($"dispositions ({detail.Dispositions.Count}):");
            foreach (var d in detail.Dispositions)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {d.CreatedAt:yyyy-MM-ddTHH:mm:ssZ} {d.Kind,-14} by {d.Analyst}{(d.Note is null ? "" : ": " + d.Note)}"));
            }
            return 0;
        }, ct));
        return show;
    }

    private static Command Dispose(Option<string> connection)
    {
        var id = new Argument<string>("command-id") { Description = "the command id" };
        var kind = new Option<string>("--kind") { Description = "confirmed, false-positive or note", Required = true };
        kind.AcceptOnlyFromAmong("confirmed", "false-positive", "note");
        var analyst = new Option<string>("--analyst") { Description = "who decides", Required = true };
        var note = new Option<string>("--note") { Description = "free text" };
        var allowlist = new Option<bool>("--allowlist-key") { Description = "with --kind false-positive: publish a policy version that allowlists the command's key" };
        var bootstrap = new Option<string>("--bootstrap-servers") { Description = "Kafka bootstrap servers for --allowlist-key (default: KAFKA_BOOTSTRAP_SERVERS)" };
        var topic = new Option<string>("--policy-topic") { Description = "policy topic", DefaultValueFactory = _ => Topics.Policy };
        var dispose = new Command("dispose", "record an analyst's disposition of a command") { id, kind, analyst, note, allowlist, bootstrap, topic };
        dispose.SetAction((parse, ct) => WithLedger(parse.GetValue(connection), async ledger =>
        {
            var k = parse.GetValue(kind) switch
            {
                "confirmed" => DispositionKind.CONFIRMED,
                "false-positive" => DispositionKind.FALSE_POSITIVE,
                _ => DispositionKind.NOTE,
            };
            bool allow = parse.GetValue(allowlist);
            string servers = parse.GetValue(bootstrap) ?? Environment.GetEnvironmentVariable("KAFKA_BOOTSTRAP_SERVERS") ?? "";
            if (allow && k != DispositionKind.FALSE_POSITIVE)
            {
                Console.Error.WriteLine("--allowlist-key is only for --kind false-positive");
                return 2;
            }
            if (allow && string.IsNullOrWhiteSpace(servers))
            {
                Console.Error.WriteLine("--allowlist-key needs --bootstrap-servers (or KAFKA_BOOTSTRAP_SERVERS)");
                return 2;
            }
            string commandId = parse.GetValue(id)!;
            var row = await ledger.AddDispositionAsync(commandId, k, parse.GetValue(analyst)!, parse.GetValue(note), ct);
            if (row is null)
            {
                Console.Error.WriteLine($"no command {commandId} in the ledger: nothing recorded");
                return 1;
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"recorded {row.Kind} on {commandId} by {row.Analyst} at {row.CreatedAt:yyyy-MM-ddTHH:mm:ssZ}"));
            if (allow)
            {
                var detail = await ledger.GetCommandAsync(commandId, ct);
                await PublishAllowlistAsync(servers, parse.GetValue(topic)!, detail!.Command.ApiKeyId, ct);
            }
            return 0;
        }, ct));
        return dispose;
    }

    private static Command Sink(Option<string> connection)
    {
        var bootstrap = new Option<string>("--bootstrap-servers") { Description = "Kafka bootstrap servers (default: KAFKA_BOOTSTRAP_SERVERS)" };
        var group = new Option<string>("--group") { Description = "consumer group", DefaultValueFactory = _ => "keyshare-audit-ledger" };
        var sink = new Command("sink", "write the enforcement and alert topics to the ledger (exactly once per command / alert id) until Ctrl+C") { bootstrap, group };
        sink.SetAction((parse, ct) => WithLedger(parse.GetValue(connection), async ledger =>
        {
            string servers = parse.GetValue(bootstrap) ?? Environment.GetEnvironmentVariable("KAFKA_BOOTSTRAP_SERVERS") ?? "";
            if (string.IsNullOrWhiteSpace(servers))
            {
                Console.Error.WriteLine("--bootstrap-servers (or KAFKA_BOOTSTRAP_SERVERS) is required");
                return 2;
            }
            using var logging = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information));
            var runner = new LedgerSink(new LedgerSinkOptions { BootstrapServers = servers, GroupId = parse.GetValue(group)! }, ledger, TimeProvider.System, logging.CreateLogger("audit-sink"));
            Console.WriteLine($"audit sink: {Topics.Enforcement} + {Topics.Alerts} from {servers} -> ledger; Ctrl+C to stop");
            await runner.RunAsync(ct);
            Console.WriteLine($"audit sink stopped: {runner.Consumed} read, {runner.Stored} new rows, {runner.Undecodable} undecodable");
            return 0;
        }, ct));
        return sink;
    }

    /// <summary>
    /// Publishes a new policy version: the newest version on the policy topic (or the default when there is none)
    /// with the key added to allowlists.keys, effective from now.
    /// </summary>
    private static async Task PublishAllowlistAsync(string servers, string topic, string apiKeyId, CancellationToken ct)
    {
        var current = ReadNewestPolicy(servers, topic) ?? DetectionPolicy.Default;
        if (current.Allowlists.Keys.Contains(apiKeyId))
        {
            Console.WriteLine($"key {apiKeyId} is already allowlisted by policy {current.Version}: nothing published");
            return;
        }
        long now = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
        var next = current with
        {
            Version = string.Create(CultureInfo.InvariantCulture, $"{current.Version}+allow-{apiKeyId}-{now}"),
            EffectiveFrom = Math.Max(current.EffectiveFrom, now),
            Allowlists = current.Allowlists with { Keys = [.. current.Allowlists.Keys, apiKeyId] },
        };
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = servers, EnableIdempotence = true }).Build();
        var report = await producer.ProduceAsync(topic, new Message<string, byte[]> { Key = next.Version, Value = Encoding.UTF8.GetBytes(PolicyDocuments.ToJson(next)) }, ct);
        Console.WriteLine($"published policy {next.Version} (allowlists key {apiKeyId}, effective from {next.EffectiveFrom}) to {report.TopicPartitionOffset}");
    }

    /// <summary>The valid policy with the latest effectiveFrom on the (single-partition, compacted) policy topic, or null.</summary>
    private static DetectionPolicy? ReadNewestPolicy(string servers, string topic)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = servers,
            GroupId = "keyshare-audit-policy-reader-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            IsolationLevel = IsolationLevel.ReadCommitted,
        }).Build();
        var partition = new TopicPartition(topic, 0);
        var marks = consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10));
        if (marks.High.Value <= marks.Low.Value) return null;
        consumer.Assign(new TopicPartitionOffset(partition, marks.Low));
        var versions = new Dictionary<string, DetectionPolicy>(StringComparer.Ordinal);
        while (true)
        {
            var record = consumer.Consume(TimeSpan.FromSeconds(10));
            if (record is null) break;
            if (record.Message.Value is null || record.Message.Value.Length == 0)
            {
                versions.Remove(record.Message.Key ?? "");
            }
            else
            {
                try
                {
                    var p = PolicyDocuments.Parse(Encoding.UTF8.GetString(record.Message.Value), $"{topic}/0/{record.Offset.Value}");
                    versions[p.Version] = p;
                }
                catch (PolicyDocumentException)
                {
                    // The detector ignores invalid documents; so do we.
                }
            }
            if (record.Offset.Value >= marks.High.Value - 1) break;
        }
        return versions.Values.OrderByDescending(p => p.EffectiveFrom).FirstOrDefault();
    }

    /// <summary>Opens the ledger (applying migrations), runs the action, and reports database failures without the password.</summary>
    private static async Task<int> WithLedger(string? connectionOption, Func<AuditLedger, Task<int>> action, CancellationToken ct)
    {
        string? connection = connectionOption ?? Environment.GetEnvironmentVariable(ConnectionEnv);
        if (string.IsNullOrWhiteSpace(connection))
        {
            Console.Error.WriteLine($"--connection (or {ConnectionEnv}) is required, e.g. Host=localhost;Database=keyshare_audit;Username=keyshare");
            return 2;
        }
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connection);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"invalid connection string: {e.Message}");
            return 2;
        }
        string where = $"{builder.Host}:{builder.Port}/{builder.Database}";
        try
        {
            await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
            await LedgerMigrations.ApplyAsync(dataSource, ct);
            return await action(new AuditLedger(dataSource, TimeProvider.System));
        }
        catch (NpgsqlException e)
        {
            // Npgsql messages never carry the password; the connection string is not printed.
            Console.Error.WriteLine($"audit ledger at {where}: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return 130;
        }
    }
}
