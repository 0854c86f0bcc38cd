using System.Globalization;

namespace KeyShareDetector.Benchmarks.EndToEnd;

/// <summary>Resident set size from /proc (VmRSS), falling back to <see cref="System.Diagnostics.Process.WorkingSet64"/>.</summary>
internal static class ProcessMemory
{
    public static long ResidentBytes(int? pid = null)
    {
        string path = pid is { } p ? $"/proc/{p}/status" : "/proc/self/status";
        if (File.Exists(path))
        {
            foreach (var line in File.ReadLines(path))
            {
                if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
                var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }
        using var process = pid is { } id ? System.Diagnostics.Process.GetProcessById(id) : System.Diagnostics.Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    /// <summary>A full blocking, compacting collection, so that garbage waiting for the next GC does not count.</summary>
    public static void Collect()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }
}
