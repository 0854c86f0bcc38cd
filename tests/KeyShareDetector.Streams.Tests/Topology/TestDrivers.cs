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
}
