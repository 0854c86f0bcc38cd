using System.CommandLine;
using KeyShareDetector.Streams;
using KeyShareDetector.Streams.Embedded;
using KeyShareDetector.Streams.Topology;

namespace KeyShareDetector.Cli.Commands;

/// <summary>`keyshare dev-broker`: an embedded Kafka with every detector topic, until Ctrl+C.</summary>
internal static class DevBrokerCommand
{
    public static Command Create()
    {
        var brokers = new Option<int>("--brokers") { Description = "number of embedded brokers", DefaultValueFactory = _ => 1 };
        var partitions = new Option<int>("--partitions") { Description = "partitions of each input topic", DefaultValueFactory = _ => 4 };
        var detect = new Option<bool>("--with-detector") { Description = "also run the detector against the broker", DefaultValueFactory = _ => true };
        var command = new Command("dev-broker", "run an embedded Kafka broker with the detector's topics and print its bootstrap servers until stopped")
        {
            brokers, partitions, detect,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var cluster = new EmbeddedKafkaCluster(parse.GetValue(brokers));
            var options = new DetectorOptions
            {
                BootstrapServers = cluster.BootstrapServers,
                InputPartitions = parse.GetValue(partitions),
                StateDir = Path.Combine(Path.GetTempPath(), "keyshare-dev-broker-" + Environment.ProcessId),
            };
            await cluster.EnsureAsync(DetectorTopology.RequiredTopics(options), ct);
            Console.WriteLine($"bootstrap servers: {cluster.BootstrapServers}");
            Console.WriteLine($"topics: {string.Join(", ", cluster.CreatedTopics.Order(StringComparer.Ordinal))}");

            await using var detector = parse.GetValue(detect)
                ? await DetectorService.StartAsync(options, DemoSetup.Policies(), WireCodecs.Create(), TimeSpan.FromSeconds(60), cancellationToken: ct)
                : null;
            if (detector is not null)
            {
                Console.WriteLine($"detector running: reads {options.Topics.Access}, writes {options.Topics.Enforcement} and {options.Topics.DeadLetters}");
                Console.WriteLine($"try: kcat -b {cluster.BootstrapServers} -L");
            }
            Console.WriteLine("press Ctrl+C to stop");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C or SIGTERM: shut down cleanly.
            }
            return 0;
        });
        return command;
    }
}
