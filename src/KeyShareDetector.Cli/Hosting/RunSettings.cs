using Confluent.Kafka;
using KeyShareDetector.Contracts.Wire;
using Microsoft.Extensions.Configuration;

namespace KeyShareDetector.Cli.Hosting;

/// <summary>Kafka connection and security; applied alike to Streamiz and every Confluent client.</summary>
public sealed class KafkaSettings
{
    public string? BootstrapServers { get; set; }
    public string SecurityProtocol { get; set; } = "Plaintext";
    public string? SaslMechanism { get; set; }
    public string? SaslUsername { get; set; }
    public string? SaslPassword { get; set; }
    public string? SslCaLocation { get; set; }
    public string? SslCertificateLocation { get; set; }
    public string? SslKeyLocation { get; set; }
    public string? SslKeyPassword { get; set; }
    public string? SchemaRegistryUrl { get; set; }
    /// <summary>
    /// Settings for the stream's own Kafka clients, by librdkafka name (Streamiz's client prefixes allowed), e.g.
    /// Kafka:Streamiz:main.consumer.fetch.wait.max.ms; never given to the policy watcher or the topic audit.
    /// </summary>
    public Dictionary<string, string> Streamiz { get; } = new(StringComparer.Ordinal);
}

/// <summary>How the detector runs.</summary>
public sealed class DetectorSettings
{
    public string ApplicationId { get; set; } = "keyshare-detector";
    public int StreamThreads { get; set; } = 1;
    /// <summary>Partitions of the inputs; 0 = read them from the access topic.</summary>
    public int InputPartitions { get; set; }
    /// <summary>Partitions of the fleet stage's topics; 0 = as many as the inputs (see DetectorOptions.FleetPartitions).</summary>
    public int FleetPartitions { get; set; }
    /// <summary>Key state format written, 8 or 9 (DetectorOptions.KeyStateFormat): 8 only while upgrading from a release that does not read 9.</summary>
    public int KeyStateFormat { get; set; } = KeyShareDetector.Detection.State.KeyRiskStateCodec.CurrentFormat;
    public short ReplicationFactor { get; set; } = 3;
    public string StateDir { get; set; } = "/var/lib/keyshare";
    public bool ExactlyOnce { get; set; } = true;
    public int CommitIntervalMs { get; set; } = 100;
    /// <summary>Longest a stream thread polls before processing what it has (ms); every hop between stages can wait this long.</summary>
    public int PollMs { get; set; } = 100;
    /// <summary>librdkafka fetch.wait.max.ms; 0 = its default (500). The embedded broker holds every empty fetch this long: use 10 there.</summary>
    public int FetchWaitMaxMs { get; set; }
    /// <summary>Consumer group session timeout; 0 = librdkafka's default (45 s). How long a crashed instance keeps its partitions.</summary>
    public int SessionTimeoutMs { get; set; }
    /// <summary>Seconds a stream task may go without its thread coming round before /healthz fails (DetectorOptions.StallTimeout).</summary>
    public int StallTimeoutSeconds { get; set; } = 60;
    public string WireFormat { get; set; } = "Json";
    public int RocksDbMemoryMb { get; set; } = 256;
}

public sealed class PolicySettings
{
    /// <summary>Comma-separated policy documents; empty = the built-in default.</summary>
    public string? Files { get; set; }
    public bool WatchTopic { get; set; } = true;
}

public sealed class SigningSettings
{
    public string KeyId { get; set; } = "primary";
    /// <summary>File holding the signing secret (else the KEYSHARE_SIGNING_SECRET environment variable).</summary>
    public string? SecretFile { get; set; }
}

public sealed class ManagementSettings
{
    public int Port { get; set; } = 9464;
    public string Bind { get; set; } = "0.0.0.0";
}

/// <summary>Everything `keyshare run` reads from appsettings.json, KEYSHARE__Section__Key variables and flags.</summary>
public sealed class RunConfiguration
{
    public static readonly string[] SaslMechanisms = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"];

    public KafkaSettings Kafka { get; } = new();
    public DetectorSettings Detector { get; } = new();
    public PolicySettings Policy { get; } = new();
    public SigningSettings Signing { get; } = new();
    public ManagementSettings Management { get; } = new();
    public KeyShareDetector.Geo.GeoLookupOptions Geo { get; set; } = new();

    public static RunConfiguration Load(IConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var c = new RunConfiguration();
        config.GetSection("Kafka").Bind(c.Kafka);
        config.GetSection("Detector").Bind(c.Detector);
        config.GetSection("Policy").Bind(c.Policy);
        config.GetSection("Signing").Bind(c.Signing);
        config.GetSection("Management").Bind(c.Management);
        c.Geo = config.GetSection("Geo").Get<KeyShareDetector.Geo.GeoLookupOptions>() ?? new();
        c.Kafka.BootstrapServers ??= Environment.GetEnvironmentVariable("KAFKA_BOOTSTRAP_SERVERS");
        return c;
    }

    /// <summary>One line per wrong setting, naming it; empty when the configuration is usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var e = new List<string>(ValidateKafka());
        if (Detector.StreamThreads < 1) e.Add("Detector:StreamThreads must be >= 1");
        if (Detector.PollMs < 1) e.Add("Detector:PollMs must be >= 1");
        if (Detector.FetchWaitMaxMs < 0) e.Add("Detector:FetchWaitMaxMs must be >= 0 (0 = the client's default)");
        if (Detector.SessionTimeoutMs != 0 && Detector.SessionTimeoutMs < 3000) e.Add("Detector:SessionTimeoutMs must be 0 (the client default) or >= 3000");
        if (!Enum.TryParse<WireFormatKind>(Detector.WireFormat, ignoreCase: true, out _)) e.Add($"Detector:WireFormat '{Detector.WireFormat}' is not Json or Avro");
        if (Management.Port is < 1 or > 65535) e.Add("Management:Port must be within 1..65535");
        if (!System.Net.IPAddress.TryParse(Management.Bind, out _)) e.Add($"Management:Bind '{Management.Bind}' is not an IP address");
        foreach (var f in PolicyFiles()) if (!File.Exists(f)) e.Add($"Policy:Files: '{f}' does not exist");
        if (Signing.SecretFile is { } sf)
        {
            try
            {
                using var _ = File.OpenRead(sf);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                e.Add($"Signing:SecretFile: '{sf}' cannot be read ({ex.GetType().Name})");
            }
        }
        else if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KEYSHARE_SIGNING_SECRET")))
        {
            e.Add("Signing:SecretFile (or KEYSHARE_SIGNING_SECRET) is required: commands must be signed");
        }
        e.AddRange(KeyShareDetector.Geo.GeoLookupFactory.Validate(Geo));
        foreach (var (key, value) in Kafka.Streamiz)
        {
            if (KeyShareDetector.Streams.StreamConfigSettings.Problem(key, value) is { } problem) e.Add($"Kafka:Streamiz:{key}: {problem}");
        }
        return e;
    }

    /// <summary>The settings every Kafka client needs (connection, security, partitions, replication): one line per wrong one.</summary>
    public IReadOnlyList<string> ValidateKafka()
    {
        var e = new List<string>();
        if (string.IsNullOrWhiteSpace(Kafka.BootstrapServers)) e.Add("Kafka:BootstrapServers is required (or KAFKA_BOOTSTRAP_SERVERS)");
        if (!Enum.TryParse<SecurityProtocol>(Kafka.SecurityProtocol, ignoreCase: true, out var protocol))
            e.Add($"Kafka:SecurityProtocol '{Kafka.SecurityProtocol}' is not one of Plaintext, Ssl, SaslPlaintext, SaslSsl");
        bool sasl = protocol is Confluent.Kafka.SecurityProtocol.SaslPlaintext or Confluent.Kafka.SecurityProtocol.SaslSsl;
        if (Kafka.SaslMechanism is { } m && !SaslMechanisms.Contains(m.ToUpperInvariant()))
            e.Add($"Kafka:SaslMechanism '{m}' is not one of {string.Join(", ", SaslMechanisms)}");
        if (sasl && Kafka.SaslMechanism is null) e.Add("Kafka:SaslMechanism is required with a SASL security protocol");
        if (sasl && Kafka.SaslMechanism?.ToUpperInvariant() is "PLAIN" or "SCRAM-SHA-256" or "SCRAM-SHA-512" && string.IsNullOrEmpty(Kafka.SaslUsername))
            e.Add("Kafka:SaslUsername is required with SASL PLAIN/SCRAM");
        foreach (var (name, path) in new[] { ("Kafka:SslCaLocation", Kafka.SslCaLocation), ("Kafka:SslCertificateLocation", Kafka.SslCertificateLocation), ("Kafka:SslKeyLocation", Kafka.SslKeyLocation) })
        {
            if (path is not null && !File.Exists(path)) e.Add($"{name}: file '{path}' does not exist");
        }
        if (Detector.InputPartitions < 0) e.Add("Detector:InputPartitions must be >= 0");
        if (Detector.StallTimeoutSeconds < 5) e.Add("Detector:StallTimeoutSeconds must be at least 5 (tasks beat once a second)");
        if (Detector.FleetPartitions < 0) e.Add("Detector:FleetPartitions must be >= 0 (0 = as many as the inputs)");
        if (Detector.KeyStateFormat is < 0 or > byte.MaxValue || !KeyShareDetector.Detection.State.KeyRiskStateCodec.IsWritable((byte)Detector.KeyStateFormat))
        {
            e.Add($"Detector:KeyStateFormat must be 8 (while upgrading from a release that does not read {KeyShareDetector.Detection.State.KeyRiskStateCodec.CurrentFormat}) or {KeyShareDetector.Detection.State.KeyRiskStateCodec.CurrentFormat}");
        }
        if (Detector.ReplicationFactor < 1) e.Add("Detector:ReplicationFactor must be >= 1");
        return e;
    }

    public IEnumerable<string> PolicyFiles() =>
        (Policy.Files ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The signing secret's bytes (one trailing newline ignored); never logged.</summary>
    public byte[] SigningSecret()
    {
        string text = Signing.SecretFile is { } f ? File.ReadAllText(f) : Environment.GetEnvironmentVariable("KEYSHARE_SIGNING_SECRET") ?? "";
        return System.Text.Encoding.UTF8.GetBytes(text.TrimEnd('\n', '\r'));
    }

    /// <summary>librdkafka settings for security, shared by every client.</summary>
    public Dictionary<string, string> KafkaClientSettings()
    {
        var s = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Enum.TryParse<SecurityProtocol>(Kafka.SecurityProtocol, true, out var p) && p != Confluent.Kafka.SecurityProtocol.Plaintext)
        {
            s["security.protocol"] = p switch
            {
                Confluent.Kafka.SecurityProtocol.Ssl => "ssl",
                Confluent.Kafka.SecurityProtocol.SaslPlaintext => "sasl_plaintext",
                _ => "sasl_ssl",
            };
        }
        void Set(string key, string? value)
        {
            if (!string.IsNullOrEmpty(value)) s[key] = value;
        }
        Set("sasl.mechanism", Kafka.SaslMechanism?.ToUpperInvariant());
        Set("sasl.username", Kafka.SaslUsername);
        Set("sasl.password", Kafka.SaslPassword);
        Set("ssl.ca.location", Kafka.SslCaLocation);
        Set("ssl.certificate.location", Kafka.SslCertificateLocation);
        Set("ssl.key.location", Kafka.SslKeyLocation);
        Set("ssl.key.password", Kafka.SslKeyPassword);
        return s;
    }
}
