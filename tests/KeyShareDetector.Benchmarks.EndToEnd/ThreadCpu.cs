using System.Globalization;

namespace KeyShareDetector.Benchmarks.EndToEnd;

/// <summary>
/// CPU time of this process's stream threads, from /proc/self/task (Linux; 0 elsewhere). On a machine other work
/// shares, wall-clock rates move with everyone's load; the stream threads' own CPU per record moves only with what
/// the detector does, so before/after comparisons use it.
/// </summary>
internal static class ThreadCpu
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    /// <summary>User + system seconds of every thread whose name is how Linux shows "{applicationId}-stream-thread-N" (cut to 15 bytes).</summary>
    public static double StreamThreadSeconds(string applicationId) => StreamThreadSecondsEach(applicationId).Sum();

    /// <summary>The same per stream thread, in thread id order (the order Streamiz started them): shows how evenly the tasks were spread.</summary>
    public static double[] StreamThreadSecondsEach(string applicationId) =>
        [.. Snapshot().Where(t => IsStreamThread(t.Value.Name, applicationId)).OrderBy(t => t.Key).Select(t => t.Value.Seconds)];

    /// <summary>Whether a Linux thread name (cut to 15 bytes) is one of "{applicationId}-stream-thread-N".</summary>
    private static bool IsStreamThread(string name, string applicationId)
    {
        string stream = $"{applicationId}-stream-thread";
        stream = stream.Length > 15 ? stream[..15] : stream;
        return stream.StartsWith(name, StringComparison.Ordinal) && name.Length >= Math.Min(stream.Length, 8);
    }

    /// <summary>CPU seconds of every thread of this process now, by thread id, with its Linux name.</summary>
    public static Dictionary<int, (string Name, double Seconds)> Snapshot()
    {
        var threads = new Dictionary<int, (string, double)>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                try
                {
                    string comm = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
                    string stat = File.ReadAllText(Path.Combine(task, "stat"));
                    var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    threads[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] =
                        (comm, (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / TicksPerSecond);
                }
                catch (IOException)
                {
                    // The thread ended while being read.
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not Linux, or not readable: no breakdown.
        }
        return threads;
    }

    /// <summary>
    /// CPU seconds spent between two snapshots, by kind of thread: the stream threads, librdkafka's client threads
    /// (rdk:*, every Kafka client of the process: the detector's and the bench's), the .NET GC, and the rest (the
    /// bench's own loops, thread pool, JIT). Threads that ended between the snapshots are not counted.
    /// </summary>
    public static SortedDictionary<string, double> ByKind(Dictionary<int, (string Name, double Seconds)> before, Dictionary<int, (string Name, double Seconds)> after, string applicationId)
    {
        var kinds = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (tid, (name, seconds)) in after)
        {
            double spent = seconds - (before.TryGetValue(tid, out var b) && b.Name == name ? b.Seconds : 0);
            if (spent <= 0) continue;
            string kind = IsStreamThread(name, applicationId) ? "stream threads"
                : name.StartsWith("rdk:", StringComparison.Ordinal) ? "librdkafka client threads"
                : name.Contains("GC", StringComparison.Ordinal) ? ".NET GC"
                : "other";
            kinds[kind] = kinds.GetValueOrDefault(kind) + spent;
        }
        return kinds;
    }
}
