using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using System.Text;

namespace KeyShareDetector.Integration.Tests.Support;

/// <summary>`keyshare run` as a child process with its management port, for tests that scrape it and stop it with SIGTERM.</summary>
public sealed class RunProcess : IDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http;
    private readonly StringBuilder _stderr = new();
    private readonly StringBuilder _stdout = new();
    private int _disposed;

    private RunProcess(Process process, int port)
    {
        _process = process;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
    }

    /// <summary>
    /// Settings that make group changes quick on the embedded broker: its coordinator holds every rebalance for the
    /// newest member's session timeout minus 1 s and drops a killed member only after that timeout, so librdkafka's
    /// default 45 s would cost 45 s per join or takeover; 6 s (heartbeat 600 ms) keeps tests short.
    /// </summary>
    public static IReadOnlyDictionary<string, string> QuickRebalance { get; } = new Dictionary<string, string>
    {
        ["Detector:SessionTimeoutMs"] = "6000",
    };

    /// <summary>Starts `keyshare run` with these settings (as --Section:Key=value flags) and a free management port.</summary>
    public static RunProcess Start(IReadOnlyDictionary<string, string> settings, string signingSecret)
    {
        ArgumentNullException.ThrowIfNull(settings);
        int port = FreePort();
        var args = settings.Select(kv => $"--{kv.Key}={kv.Value}").Concat([$"--Management:Port={port}", "--Management:Bind=127.0.0.1"]);
        var start = KeyshareCli.Start(["run", .. args]);
        start.Environment["KEYSHARE_SIGNING_SECRET"] = signingSecret;
        var p = Process.Start(start)!;
        var run = new RunProcess(p, port);
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (run._stderr) run._stderr.AppendLine(e.Data);
        };
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (run._stdout)
            {
                run._stdout.AppendLine(e.Data);
                // Only the end is wanted, for failure messages.
                if (run._stdout.Length > 64_000) run._stdout.Remove(0, 32_000);
            }
        };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        return run;
    }

    public int Id => _process.Id;

    /// <summary>What the process wrote to stderr so far (for failure messages).</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr) return _stderr.ToString();
        }
    }

    /// <summary>The end of what the process wrote to stdout (its log lines), for failure messages.</summary>
    public string LogTail(int chars = 4_000)
    {
        lock (_stdout)
        {
            string all = _stdout.ToString();
            return all.Length <= chars ? all : all[^chars..];
        }
    }

    /// <summary>The first error lines of the log (each cut to 600 characters), so a failure names its cause even
    /// when the log's tail is a long stack trace.</summary>
    public string LogErrors(int lines = 4)
    {
        string all;
        lock (_stdout) all = _stdout.ToString();
        var errors = all.Split('\n').Where(l => l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal))
            .Take(lines).Select(l => l.Length <= 600 ? l : l[..600]);
        return string.Join(" | ", errors);
    }

    public Task WaitReadyAsync(TimeSpan timeout) => Eventually.WaitAsync(() => Status("/readyz") == 200 || _process.HasExited, timeout, "/readyz answered 200")
        .ContinueWith(t =>
        {
            t.GetAwaiter().GetResult();
            if (_process.HasExited) throw new InvalidOperationException($"keyshare run exited {_process.ExitCode} before it was ready: {Stderr}");
        }, TaskScheduler.Default);

    public int Status(string path)
    {
        try
        {
            return (int)_http.GetAsync(new Uri(path, UriKind.Relative)).GetAwaiter().GetResult().StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return 0;
        }
    }

    /// <summary>The /metrics text, or "" when the port does not answer.</summary>
    public string Metrics()
    {
        try
        {
            return _http.GetStringAsync(new Uri("/metrics", UriKind.Relative)).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return "";
        }
    }

    /// <summary>The sum of every series of one metric (all label sets), 0 when absent.</summary>
    public static double Sum(string metrics, string name)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        double sum = 0;
        foreach (var line in metrics.Split('\n'))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length == name.Length || line[name.Length] is not ('{' or ' ')) continue;
            sum += double.Parse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        return sum;
    }

    /// <summary>The value of one series (name with its labels exactly as exported), or null when absent.</summary>
    public static double? Value(string metrics, string series)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture);
            }
        }
        return null;
    }

    /// <summary>
    /// Partitions of a topic this instance is assigned and has fetched from, read from its per-partition lag series
    /// (keyshare_consumer_lag_records) in a /metrics text.
    /// </summary>
    public static SortedSet<int> AssignedPartitions(string metrics, string topic)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        string prefix = $"keyshare_consumer_lag_records{{topic=\"{topic}\",partition=\"";
        var partitions = new SortedSet<int>();
        foreach (var line in metrics.Split('\n'))
        {
            if (!line.StartsWith(prefix, StringComparison.Ordinal)) continue;
            int end = line.IndexOf('"', prefix.Length);
            partitions.Add(int.Parse(line.AsSpan(prefix.Length, end - prefix.Length), NumberStyles.Integer, CultureInfo.InvariantCulture));
        }
        return partitions;
    }

    /// <summary>Sends SIGTERM and waits for the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])!) { }
        using var deadline = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(deadline.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: the process gets no chance to flush, commit or close (a crash, an OOM kill).</summary>
    public async Task KillAsync(TimeSpan timeout)
    {
        using (Process.Start("kill", ["-KILL", _process.Id.ToString(CultureInfo.InvariantCulture)])!) { }
        using var deadline = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(deadline.Token);
    }

    public bool HasExited => _process.HasExited;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
        _http.Dispose();
    }

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }
}
