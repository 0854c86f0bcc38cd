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
    public static double StreamThreadSeconds(string applicationId)
    {
        string name = $"{applicationId}-stream-thread";
        name = name.Length > 15 ? name[..15] : name;
        double seconds = 0;
        try
        {
            foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                string comm = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
                if (!name.StartsWith(comm, StringComparison.Ordinal) || comm.Length < Math.Min(name.Length, 8)) continue;
                string stat = File.ReadAllText(Path.Combine(task, "stat"));
                // Fields after the ")" that closes the name: state is field 3, utime 14, stime 15.
                var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                seconds += (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
            }
        }
        catch (IOException)
        {
            // A thread that ended between listing and reading: its time is lost, a small undercount.
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
        return seconds;
    }
}
