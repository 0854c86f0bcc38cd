using System.Text;
using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Streams;
using KeyShareDetector.Streams.Topology;

namespace KeyShareDetector.Integration.Tests.Support;

/// <summary>One detector instance on its own topics (unique suffix) and application id, for one test.</summary>
public sealed class DetectorRun : IAsyncDisposable
{
    public static readonly CommandSigner Signer = new("it-key", Encoding.UTF8.GetBytes("integration-test-secret-0123456789"));

    private DetectorRun(DetectorOptions options, DetectorService service)
    {
        Options = options;
        Service = service;
    }

    public DetectorOptions Options { get; }
    public DetectorService Service { get; }

    public static async Task<DetectorRun> StartAsync(KafkaEnvironment kafka, bool exactlyOnce = true, DetectionPolicy? policy = null, IGeoLookup? geo = null,
        IReadOnlyDictionary<string, string>? kafkaSettings = null, bool watchPolicyTopic = true)
    {
        string suffix = "." + Guid.NewGuid().ToString("N")[..8];
        var options = new DetectorOptions
        {
            ApplicationId = "it" + suffix,
            BootstrapServers = kafka.BootstrapServers,
            Topics = new TopicNames().WithSuffix(suffix),
            InputPartitions = 2,
            ExactlyOnce = exactlyOnce,
            StateDir = Path.Combine(Path.GetTempPath(), "keyshare-it" + suffix),
            KafkaSettings = kafkaSettings ?? new Dictionary<string, string>(),
            WatchPolicyTopic = watchPolicyTopic,
        };
        await kafka.Provisioner.EnsureAsync(DetectorTopology.RequiredTopics(options), CancellationToken.None);
        var service = await DetectorService.StartAsync(options, PolicyBook.Single(policy ?? DetectionPolicy.Default, Signer, geo), WireCodecs.Create(), TimeSpan.FromSeconds(90));
        return new DetectorRun(options, service);
    }

    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        try
        {
            if (Directory.Exists(Options.StateDir)) Directory.Delete(Options.StateDir, recursive: true);
        }
        catch (IOException)
        {
            // Temp state left behind is harmless.
        }
    }
}
