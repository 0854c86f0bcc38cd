using System.Net.Http;
using System.Net.Sockets;
using KeyShareDetector.Streams.Embedded;
using KeyShareDetector.Streams.Provisioning;
using Testcontainers.Kafka;

namespace KeyShareDetector.Integration.Tests.Support;

/// <summary>
/// The Kafka the integration tests run against: KAFKA_BOOTSTRAP_SERVERS when set, else a Testcontainers Kafka
/// when a Docker engine answers, else the embedded broker. The same tests run on all three.
/// </summary>
public sealed class KafkaEnvironment : IAsyncLifetime
{
    private EmbeddedKafkaCluster? _embedded;
    /// <summary>Apache Kafka in KRaft mode, the image Testcontainers documents for Kafka.</summary>
    private const string KafkaImage = "confluentinc/cp-kafka:7.5.12";

    private KafkaContainer? _container;

    public string Kind { get; private set; } = "";
    public string BootstrapServers { get; private set; } = "";
    public ITopicProvisioner Provisioner { get; private set; } = null!;

    /// <summary>Only the embedded broker offers fault injection.</summary>
    public EmbeddedKafkaCluster? Embedded => _embedded;

    public async Task InitializeAsync()
    {
        string? external = Environment.GetEnvironmentVariable("KAFKA_BOOTSTRAP_SERVERS");
        if (!string.IsNullOrWhiteSpace(external))
        {
            Kind = "external";
            BootstrapServers = external;
            Provisioner = new AdminClientTopicProvisioner(external);
            return;
        }
        if (await DockerAnswersAsync())
        {
            _container = new KafkaBuilder(KafkaImage).Build();
            await _container.StartAsync();
            Kind = "testcontainers";
            BootstrapServers = _container.GetBootstrapAddress();
            Provisioner = new AdminClientTopicProvisioner(BootstrapServers);
            return;
        }
        _embedded = new EmbeddedKafkaCluster(brokers: 1);
        Kind = "embedded";
        BootstrapServers = _embedded.BootstrapServers;
        Provisioner = _embedded;
    }

    public async Task DisposeAsync()
    {
        if (_container is not null) await _container.DisposeAsync();
        _embedded?.Dispose();
    }

    /// <summary>True when a Docker engine answers its ping on the local socket (or DOCKER_HOST).</summary>
    private static async Task<bool> DockerAnswersAsync()
    {
        string? host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            HttpClient client;
            if (string.IsNullOrEmpty(host) || host.StartsWith("unix://", StringComparison.Ordinal))
            {
                string path = string.IsNullOrEmpty(host) ? "/var/run/docker.sock" : host["unix://".Length..];
                if (!File.Exists(path)) return false;
                var handler = new SocketsHttpHandler
                {
                    ConnectCallback = async (_, token) =>
                    {
                        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), token);
                        return new NetworkStream(socket, ownsSocket: true);
                    },
                };
                client = new HttpClient(handler) { BaseAddress = new Uri("http://docker") };
            }
            else
            {
                client = new HttpClient { BaseAddress = new Uri(host.Replace("tcp://", "http://", StringComparison.Ordinal)) };
            }
            using (client)
            {
                var response = await client.GetAsync(new Uri("/_ping", UriKind.Relative), cts.Token);
                return response.IsSuccessStatusCode;
            }
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or OperationCanceledException or IOException)
        {
            return false;
        }
    }
}

[CollectionDefinition(Name)]
public sealed class KafkaCollection : ICollectionFixture<KafkaEnvironment>
{
    public const string Name = "kafka";
}
