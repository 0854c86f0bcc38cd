using System.Diagnostics;
using System.Globalization;
using KeyShareDetector.Streams.Embedded;
using KeyShareDetector.Streams.Provisioning;

namespace KeyShareDetector.Benchmarks.EndToEnd;

/// <summary>
/// The embedded broker (<see cref="EmbeddedKafkaCluster"/>) in a child process of its own, so that the million
/// preloaded records and the internal topics it holds do not count in the detector's resident memory, and the
/// clients talk to it over loopback TCP as they would to a real broker. Line protocol on stdin/stdout.
/// </summary>
internal sealed class BrokerProcess : IDisposable
{
    private readonly Process _process;

    private BrokerProcess(Process process, string bootstrap)
    {
        _process = process;
        BootstrapServers = bootstrap;
    }

    public string BootstrapServers { get; }

    public int Pid => _process.Id;

    /// <summary>Starts this executable again in broker mode and waits for its bootstrap servers.</summary>
    public static BrokerProcess Start()
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell this executable's path");
        var psi = new ProcessStartInfo { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            psi.FileName = self;
            psi.ArgumentList.Add(typeof(BrokerProcess).Assembly.Location);
        }
        else
        {
            psi.FileName = self;
        }
        psi.ArgumentList.Add(BrokerHost.Mode);
        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start the broker process");
        string? line = p.StandardOutput.ReadLine();
        if (line is null || !line.StartsWith("bootstrap ", StringComparison.Ordinal))
        {
            p.Kill();
            throw new InvalidOperationException("the broker process did not start: " + line);
        }
        return new BrokerProcess(p, line["bootstrap ".Length..]);
    }

    public void CreateTopics(IEnumerable<TopicSpec> topics)
    {
        foreach (var t in topics)
        {
            _process.StandardInput.WriteLine($"topic {t.Name} {t.Partitions.ToString(CultureInfo.InvariantCulture)}");
            _process.StandardInput.Flush();
            string? answer = _process.StandardOutput.ReadLine();
            if (answer != "ok") throw new InvalidOperationException($"broker process: creating {t.Name} answered '{answer}'");
        }
    }

    /// <summary>Resident memory of the broker process (bytes).</summary>
    public long ResidentBytes => ProcessMemory.ResidentBytes(_process.Id);

    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.WriteLine("exit");
            _process.StandardInput.Close();
            if (!_process.WaitForExit(10_000)) _process.Kill();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }
}

/// <summary>The child side of <see cref="BrokerProcess"/>: an embedded cluster until stdin says exit or closes.</summary>
internal static class BrokerHost
{
    public const string Mode = "broker";

    /// <summary>group.initial.rebalance.delay.ms of the bench's broker: Kafka's default.</summary>
    public const int BrokerGroupInitialRebalanceDelayMs = 3000;

    public static int Run()
    {
        // Kafka's own default for a new group's first assignment: the detector's stream threads join one after the
        // other and are assigned together, as on a real broker. With the embedded default (0) this broker assigns the
        // first thread alone and then holds the group 5 s (the bench's 6 s session timeout less 1 s) for the second,
        // which every Streamiz phase paid at its start (DECISIONS, "A Streamiz floor in the bench").
        using var cluster = new EmbeddedKafkaCluster(1, groupInitialRebalanceDelayMs: BrokerGroupInitialRebalanceDelayMs);
        Console.Out.WriteLine("bootstrap " + cluster.BootstrapServers);
        Console.Out.Flush();
        while (Console.In.ReadLine() is { } line)
        {
            var parts = line.Split(' ');
            if (parts is ["topic", var name, var partitions])
            {
                cluster.CreateTopic(name, int.Parse(partitions, CultureInfo.InvariantCulture));
                Console.Out.WriteLine("ok");
                Console.Out.Flush();
            }
            else if (parts is ["exit"])
            {
                break;
            }
        }
        return 0;
    }
}
