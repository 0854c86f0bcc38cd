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

    /// <summary>
    /// Gives back what is free before a reading: an aggressive full GC (compacts and decommits the free regions the GC
    /// would otherwise keep, e.g. after generating the scenario) and glibc's malloc_trim (native heap freed by the
    /// clients of earlier phases). Done alike before and after, so the difference is memory in use.
    /// </summary>
    public static void Collect()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (OperatingSystem.IsLinux())
        {
            try
            {
                _ = NativeMethods.malloc_trim(0);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                // Not glibc: nothing to trim.
            }
        }
    }

    private static class NativeMethods
    {
        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "malloc_trim")]
        [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
        public static extern int malloc_trim(nuint pad);
    }
}
