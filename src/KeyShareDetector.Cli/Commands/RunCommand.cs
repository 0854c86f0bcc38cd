using System.CommandLine;
using Confluent.Kafka;
using KeyShareDetector.Cli.Hosting;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Streams;
using KeyShareDetector.Streams.Policy;
using KeyShareDetector.Streams.Provisioning;
using KeyShareDetector.Streams.Topology;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KeyShareDetector.Cli.Commands;

/// <summary>
/// `keyshare run`: the production host. Configuration from appsettings.json, --config FILE, KEYSHARE__Section__Key
/// variables and --Section:Key=value flags, validated at start (exit 2, one line per wrong setting); a management
/// port with /healthz, /readyz and /metrics; SIGTERM stops consuming, commits and closes (exit 0).
/// </summary>
internal static class RunCommand
{
    public const int ConfigurationError = 2;

    public static Command Create()
    {
        var configFile = new Option<string?>("--config") { Description = "a JSON settings file (in addition to ./appsettings.json)" };
        var command = new Command("run", "run the detector against a Kafka cluster until SIGTERM") { configFile };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, ct) =>
        {
            var config = SettingsSources.Build(parse.GetValue(configFile), parse.UnmatchedTokens);
            return await RunAsync(config, ct);
        });
        return command;
    }

    public static async Task<int> RunAsync(IConfiguration config, CancellationToken ct)
    {
        var settings = RunConfiguration.Load(config);
        var problems = settings.Validate().ToList();
        if (problems.Count == 0)
        {
            int partitions = 0;
            problems.AddRange(await CheckTopicsAsync(settings, p => partitions = p));
            if (settings.Detector.InputPartitions == 0) settings.Detector.InputPartitions = partitions;
        }
        PolicyBook? book = null;
        if (problems.Count == 0)
        {
            try
            {
                var signer = new CommandSigner(settings.Signing.KeyId, settings.SigningSecret());
                var geo = KeyShareDetector.Geo.GeoLookupFactory.Create(settings.Geo);
                var files = settings.PolicyFiles().ToList();
                book = files.Count == 0 ? PolicyBook.Single(DetectionPolicy.Default, signer, geo) : PolicyBook.Of(files.Select(PolicyDocuments.Load), signer, geo);
            }
            catch (PolicyDocumentException e)
            {
                problems.AddRange(e.Problems.Select(p => "Policy:Files: " + p));
            }
            catch (ArgumentException e)
            {
                problems.Add("Signing: " + e.Message);
            }
        }
        if (problems.Count > 0)
        {
            foreach (var p in problems) Console.Error.WriteLine("configuration error: " + p);
            return ConfigurationError;
        }

        var options = new DetectorOptions
        {
            ApplicationId = settings.Detector.ApplicationId,
            BootstrapServers = settings.Kafka.BootstrapServers!,
            StreamThreads = settings.Detector.StreamThreads,
            InputPartitions = settings.Detector.InputPartitions,
            FleetPartitions = settings.Detector.FleetPartitions,
            KeyStateFormat = (byte)settings.Detector.KeyStateFormat,
            ReplicationFactor = settings.Detector.ReplicationFactor,
            StateDir = settings.Detector.StateDir,
            ExactlyOnce = settings.Detector.ExactlyOnce,
            CommitIntervalMs = settings.Detector.CommitIntervalMs,
            PollMs = settings.Detector.PollMs,
            StallTimeout = TimeSpan.FromSeconds(settings.Detector.StallTimeoutSeconds),
            FetchWaitMaxMs = settings.Detector.FetchWaitMaxMs == 0 ? null : settings.Detector.FetchWaitMaxMs,
            SessionTimeoutMs = settings.Detector.SessionTimeoutMs > 0 ? settings.Detector.SessionTimeoutMs : null,
            WatchPolicyTopic = settings.Policy.WatchTopic,
            KafkaSettings = settings.KafkaClientSettings(),
            StreamSettings = settings.Kafka.Streamiz,
        };
        var codecs = WireCodecs.Create(Enum.Parse<WireFormatKind>(settings.Detector.WireFormat, ignoreCase: true));

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Parse(settings.Management.Bind), settings.Management.Port));
        builder.Logging.ClearProviders();
        if (config.GetValue<bool>("Logging:Json")) builder.Logging.AddJsonConsole();
        else builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(config.GetValue("Logging:Level", LogLevel.Information));
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Streamiz", LogLevel.Warning);
        builder.Services.AddSingleton(options).AddSingleton(book!).AddSingleton(codecs);
        builder.Services.AddSingleton<DetectorHostedService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DetectorHostedService>());
        builder.Services.AddSingleton<DetectorMetricsExporter>();
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(25));

        await using var app = builder.Build();
        var host = app.Services.GetRequiredService<DetectorHostedService>();
        app.MapGet("/healthz", () => host.Problem is { } problem ? Results.Text(problem + "\n", statusCode: 503) : Results.Text("ok\n"));
        app.MapGet("/readyz", () => host.Ready ? Results.Text("ready\n") : Results.Text("not ready\n", statusCode: 503));
        app.MapGet("/metrics", async (HttpContext http, DetectorMetricsExporter exporter) =>
        {
            http.Response.ContentType = "text/plain; version=0.0.4";
            await exporter.WriteAsync(http.Response.Body, http.RequestAborted);
        });
        // SIGTERM and Ctrl+C stop the host; the command's token (System.CommandLine) stops it too.
        await app.StartAsync(ct);
        await app.WaitForShutdownAsync(ct);
        return 0;
    }

    /// <summary>
    /// Inputs and outputs must exist and every co-partitioned group must have equal partition counts (a key's
    /// records must meet in one task); missing internal topics are left to Streamiz.
    /// </summary>
    private static async Task<IReadOnlyList<string>> CheckTopicsAsync(RunConfiguration settings, Action<int> inputPartitions)
    {
        try
        {
            using var admin = TopicsCommand.Admin(settings);
            var cluster = await ClusterTopics.ReadAsync(admin, [], TimeSpan.FromSeconds(15));
            string accessTopic = TopicsCommand.Options(settings, 1).Topics.Access;
            var accessCount = cluster.Topics.TryGetValue(accessTopic, out var access) ? access.Partitions : 0;
            inputPartitions(accessCount);
            // The inputs' count as the run will use it (the fleet stage's topics default to it).
            var probe = TopicsCommand.Options(settings, settings.Detector.InputPartitions > 0 ? settings.Detector.InputPartitions : Math.Max(1, accessCount));
            var required = DetectorTopology.RequiredTopics(probe);
            var problems = TopicAudit.Problems(required, cluster.Topics, AuditScope.Run).ToList();
            if (settings.Detector.InputPartitions > 0 && accessCount > 0 && settings.Detector.InputPartitions != accessCount)
            {
                problems.Add($"Detector:InputPartitions is {settings.Detector.InputPartitions} but {probe.Topics.Access} has {accessCount} partitions; set it to {accessCount} or 0 (read from the topic)");
            }
            return problems;
        }
        catch (KafkaException e)
        {
            return [$"Kafka:BootstrapServers: cannot read metadata from {settings.Kafka.BootstrapServers}: {e.Error.Reason}"];
        }
    }
}
