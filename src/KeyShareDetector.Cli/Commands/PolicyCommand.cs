using System.CommandLine;
using System.Text;
using Confluent.Kafka;
using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Streams.Policy;

namespace KeyShareDetector.Cli.Commands;

/// <summary>`keyshare policy ...`: print the default and the schema, validate documents, publish a version live.</summary>
internal static class PolicyCommand
{
    public static Command Create()
    {
        var command = new Command("policy", "policy documents: print the default or the schema, validate files, publish a version to the policy topic");

        var showDefault = new Command("default", "print the built-in default policy as YAML");
        showDefault.SetAction(_ =>
        {
            Console.Write(PolicyDocuments.ToYaml(DetectionPolicy.Default));
            return 0;
        });

        var schema = new Command("schema", "print the JSON Schema of policy documents");
        schema.SetAction(_ =>
        {
            Console.Write(PolicyDocuments.JsonSchema());
            return 0;
        });

        var files = new Argument<string[]>("files") { Description = "policy documents (.yaml, .yml or .json)", Arity = ArgumentArity.OneOrMore };
        var validate = new Command("validate", "check policy documents; one line per problem, exit 1 if any is invalid") { files };
        validate.SetAction(parse =>
        {
            int bad = 0;
            foreach (var f in parse.GetValue(files) ?? [])
            {
                try
                {
                    var p = PolicyDocuments.Load(f);
                    Console.WriteLine($"OK {f}: version {p.Version}, effective from {p.EffectiveFrom}{(p.Shadow ? ", shadow mode" : "")}");
                }
                catch (PolicyDocumentException e)
                {
                    bad++;
                    foreach (var problem in e.Problems) Console.WriteLine($"INVALID {f}: {problem}");
                }
            }
            return bad == 0 ? 0 : 1;
        });

        var file = new Argument<string>("file") { Description = "the policy document to publish" };
        var bootstrap = new Option<string>("--bootstrap-servers") { Description = "Kafka bootstrap servers (default: KAFKA_BOOTSTRAP_SERVERS)" };
        var topic = new Option<string>("--topic") { Description = "policy topic", DefaultValueFactory = _ => Topics.Policy };
        var publish = new Command("publish", "validate a document and publish it (keyed by its version) to the compacted policy topic") { file, bootstrap, topic };
        publish.SetAction(async (parse, ct) =>
        {
            string servers = parse.GetValue(bootstrap) ?? Environment.GetEnvironmentVariable("KAFKA_BOOTSTRAP_SERVERS") ?? "";
            if (string.IsNullOrWhiteSpace(servers))
            {
                Console.Error.WriteLine("--bootstrap-servers (or KAFKA_BOOTSTRAP_SERVERS) is required");
                return 2;
            }
            DetectionPolicy policy;
            try
            {
                policy = PolicyDocuments.Load(parse.GetValue(file)!);
            }
            catch (PolicyDocumentException e)
            {
                foreach (var problem in e.Problems) Console.Error.WriteLine($"INVALID: {problem}");
                return 1;
            }
            using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = servers, EnableIdempotence = true }).Build();
            var report = await producer.ProduceAsync(parse.GetValue(topic)!, new Message<string, byte[]>
            {
                Key = policy.Version,
                Value = Encoding.UTF8.GetBytes(PolicyDocuments.ToJson(policy)),
            }, ct);
            Console.WriteLine($"published policy {policy.Version} (effective from {policy.EffectiveFrom}) to {report.TopicPartitionOffset}");
            return 0;
        });

        command.Subcommands.Add(showDefault);
        command.Subcommands.Add(schema);
        command.Subcommands.Add(validate);
        command.Subcommands.Add(publish);
        return command;
    }
}
