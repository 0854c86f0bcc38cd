using System.Globalization;

namespace KeyShareDetector.Benchmarks.EndToEnd;

/// <summary>Resident set size from /proc (VmRSS), falling back to <see cref="System.Diagnostics.Process.WorkingSet64"/>.</summary>
/// <summary>Resident bytes by kind (see <see cref="ProcessMemory.Split"/>).</summary>
internal readonly record struct ResidentSplit(long Anon, long File, long Shmem);

internal static class ProcessMemory
{
    /// <summary>
    /// VmRSS split as the kernel counts it: anonymous pages (managed and native heaps, stacks), file-backed pages
    /// (mapped assemblies and native libraries) and shared memory (.NET maps JIT-compiled code twice through a
    /// shared-memory file, W^X); 0 where /proc has no such lines.
    /// </summary>
    public static ResidentSplit Split()
    {
        long anon = 0;
        long file = 0;
        long shmem = 0;
        if (!File.Exists("/proc/self/status")) return default;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("RssAnon:", StringComparison.Ordinal)) anon = Kb(line["RssAnon:".Length..]);
            else if (line.StartsWith("RssFile:", StringComparison.Ordinal)) file = Kb(line["RssFile:".Length..]);
            else if (line.StartsWith("RssShmem:", StringComparison.Ordinal)) shmem = Kb(line["RssShmem:".Length..]);
        }
        return new ResidentSplit(anon, file, shmem);
    }

    private static long Kb(string rest) => long.Parse(rest.Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;

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
