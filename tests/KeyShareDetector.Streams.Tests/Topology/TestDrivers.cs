using System.Text;
using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Streams.Observability;
using KeyShareDetector.Streams.Policy;
using KeyShareDetector.Streams.Topology;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Mock;
using Streamiz.Kafka.Net.SerDes;

namespace KeyShareDetector.Streams.Tests.Topology;

/// <summary>The synchronous test driver for a detector topology, configured as every topology test runs it.</summary>
internal static class TestDrivers
{
    public static TopologyTestDriver For(Streamiz.Kafka.Net.Stream.Topology topology, DetectorOptions options) =>
        new(topology, new StreamConfig<StringSerDes, ByteArraySerDes>
        {
            ApplicationId = options.ApplicationId,
            BootstrapServers = options.BootstrapServers,
            DefaultTimestampExtractor = new RecordTimestampExtractor(),
            Logger = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
        });

    /// <summary>The whole topology with the built-in default policy, reporting to <paramref name="metrics"/>.</summary>
    public static (TopologyTestDriver Driver, DetectorOptions Options) DefaultPolicy(DetectorMetrics metrics, string applicationId)
    {
        var options = new DetectorOptions { BootstrapServers = "unused:9092", ApplicationId = applicationId };
        var signer = new CommandSigner("test-key", Encoding.UTF8.GetBytes(applicationId + "-secret-123456"));
        var topology = DetectorTopology.Build(options, new LivePolicy(PolicyBook.Single(DetectionPolicy.Default, signer)), metrics, WireCodecs.Create());
        return (For(topology, options), options);
    }
}
