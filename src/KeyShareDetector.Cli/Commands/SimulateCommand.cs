using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using KeyShareDetector.Cli.Running;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Simulator;

namespace KeyShareDetector.Cli.Commands;

/// <summary>`keyshare simulate`: labelled synthetic exchange traffic to JSONL files or to Kafka topics.</summary>
internal static class SimulateCommand
{
    public static Command Create()
    {
        var seed = new Option<int>("--seed") { Description = "traffic seed: the same seed gives the same traffic", DefaultValueFactory = _ => 1 };
        var scenario = new Option<string>("--scenario") { Description = "default, small or demo", DefaultValueFactory = _ => "small" };
        var output = new Option<string?>("--out") { Description = "write JSONL files (access, orders, registry, lifecycle, labels) into this directory" };
        var bootstrap = new Option<string?>("--bootstrap-servers") { Description = "produce to these Kafka brokers instead (default topic names)" };
        var format = new Option<string>("--format") { Description = "wire format on Kafka: json or avro", DefaultValueFactory = _ => "json" };
        var rate = new Option<double>("--rate") { Description = "events per second on Kafka (0 = as fast as possible)" };
        var command = new Command("simulate", "generate labelled exchange traffic (legitimate and abusive populations), deterministic by seed")
        {
            seed, scenario, output, bootstrap, format, rate,
        };
        command.SetAction(async (parse, ct) =>
        {
            string? dir = parse.GetValue(output);
            string? servers = parse.GetValue(bootstrap);
            if ((dir is null) == (servers is null))
            {
                Console.Error.WriteLine("give exactly one of --out DIR or --bootstrap-servers HOST:PORT");
                return 2;
            }
            if (parse.GetValue(format) is not ("json" or "avro"))
            {
                Console.Error.WriteLine("--format must be json or avro");
                return 2;
            }
            Scenario s;
            try
            {
                s = Scenarios.Build(parse.GetValue(scenario)!, parse.GetValue(seed));
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
            if (dir is not null)
            {
                await WriteFilesAsync(s, dir, ct);
                Console.WriteLine($"wrote {s.Records.Count:N0} records and {s.Labels.Count:N0} labels to {dir}");
            }
            else
            {
                int n = Produce(s, servers!, parse.GetValue(format) == "avro", parse.GetValue(rate), ct);
                Console.WriteLine($"produced {n:N0} records to {servers}; labels: {s.Labels.Count:N0} keys (use --out to save them)");
            }
            return 0;
        });
        return command;
    }

    private static async Task WriteFilesAsync(Scenario s, string dir, CancellationToken ct)
    {
        Directory.CreateDirectory(dir);
        var writers = new Dictionary<SimTopic, StreamWriter>
        {
            [SimTopic.Access] = new(Path.Combine(dir, "access.jsonl")),
            [SimTopic.Orders] = new(Path.Combine(dir, "orders.jsonl")),
            [SimTopic.Registry] = new(Path.Combine(dir, "registry.jsonl")),
            [SimTopic.Lifecycle] = new(Path.Combine(dir, "lifecycle.jsonl")),
        };
        try
        {
            foreach (var r in s.Records)
            {
                ct.ThrowIfCancellationRequested();
                await writers[r.Topic].WriteLineAsync(Encoding.UTF8.GetString(Json(r)));
            }
        }
        finally
        {
            foreach (var w in writers.Values) await w.DisposeAsync();
        }
        await using var labels = new StreamWriter(Path.Combine(dir, "labels.jsonl"));
        foreach (var l in s.Labels)
        {
            await labels.WriteLineAsync(JsonSerializer.Serialize(new { api_key_id = l.ApiKeyId, account_id = l.AccountId, population = l.Population, abuse_starts_at = l.AbuseStartsAt }));
        }
    }

    private static byte[] Json(SimRecord r) => r.Topic switch
    {
        SimTopic.Access => ContractCodecs.Access.SerializeJson(r.Access!),
        SimTopic.Orders => ContractCodecs.Order.SerializeJson(r.Order!),
        SimTopic.Registry => ContractCodecs.Registry.SerializeJson(r.Registry!),
        _ => ContractCodecs.Lifecycle.SerializeJson(r.Lifecycle!),
    };

    private static byte[] Avro(SimRecord r) => r.Topic switch
    {
        SimTopic.Access => ContractCodecs.Access.SerializeAvro(r.Access!),
        SimTopic.Orders => ContractCodecs.Order.SerializeAvro(r.Order!),
        SimTopic.Registry => ContractCodecs.Registry.SerializeAvro(r.Registry!),
        _ => ContractCodecs.Lifecycle.SerializeAvro(r.Lifecycle!),
    };

    private static int Produce(Scenario s, string servers, bool avro, double rate, CancellationToken ct)
    {
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = servers, EnableIdempotence = true, LingerMs = 5, Partitioner = Partitioner.Murmur2Random,
        }).Build();
        var pace = Stopwatch.StartNew();
        int n = 0;
        foreach (var r in s.Records)
        {
            ct.ThrowIfCancellationRequested();
            string topic = r.Topic switch
            {
                SimTopic.Access => Topics.Access,
                SimTopic.Orders => Topics.Orders,
                SimTopic.Registry => Topics.Registry,
                _ => Topics.Lifecycle,
            };
            producer.Produce(topic, new Message<string, byte[]> { Key = r.Key, Value = avro ? Avro(r) : Json(r), Timestamp = new Timestamp(r.Ts, TimestampType.CreateTime) });
            if (++n % 1000 == 0)
            {
                producer.Poll(TimeSpan.Zero);
                if (rate > 0 && n / rate > pace.Elapsed.TotalSeconds) ct.WaitHandle.WaitOne(TimeSpan.FromSeconds((n / rate) - pace.Elapsed.TotalSeconds));
            }
        }
        producer.Flush(ct);
        return n;
    }
}
