using System.Runtime.InteropServices;

namespace KeyShareDetector.Benchmarks.EndToEnd;

/// <summary>What the run ran on, from /proc where there is one.</summary>
internal static class Machine
{
    public static string CpuModel() => ProcLine("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();

    public static string MemoryTotal() => ProcLine("/proc/meminfo", "MemTotal") ?? "unknown";

    /// <summary>1, 5 and 15 minute load averages: above the core count means others shared the CPU.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static string? ProcLine(string path, string name)
    {
        if (!File.Exists(path)) return null;
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith(name, StringComparison.Ordinal) && line.IndexOf(':', StringComparison.Ordinal) is int colon and > 0) return line[(colon + 1)..].Trim();
        }
        return null;
    }
}
