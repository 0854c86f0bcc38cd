using System.Runtime.InteropServices;
using System.Text;

namespace KeyShareDetector.Streams.Embedded;

/// <summary>
/// Loads exactly one librdkafka file and binds both Confluent.Kafka and our mock-cluster P/Invokes to it,
/// so the mock brokers and the clients live in the same copy of the library.
/// </summary>
/// <remarks>
/// librdkafka.redist ships librdkafka.so (needs libsasl2.so.3, absent on Debian 12) and centos8-librdkafka.so
/// (glibc only, SASL/SSL linked in). We prefer the centos8 build, as Confluent.Kafka itself falls back to it.
/// </remarks>
internal static class RdKafkaLibrary
{
    /// <summary>Logical library name of our declarations; only our resolver answers it.</summary>
    internal const string Name = "keyshare-rdkafka";

    private static readonly Lock Gate = new();
    private static IntPtr _handle;

    public static string? LoadedPath { get; private set; }

    /// <summary>Must run before any Confluent.Kafka client is built in this process.</summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_handle != IntPtr.Zero) return;
            var mapped = MappedRdKafkaFiles();
            if (Confluent.Kafka.Library.IsLoaded && mapped.Count == 1)
            {
                // Confluent already bound a file: open that very file again (same path = same copy).
                _handle = NativeLibrary.Load(mapped[0]);
                LoadedPath = mapped[0];
            }
            else
            {
                foreach (var path in Candidates())
                {
                    if (File.Exists(path) && NativeLibrary.TryLoad(path, out _handle))
                    {
                        LoadedPath = path;
                        break;
                    }
                }
                if (_handle == IntPtr.Zero)
                {
                    throw new DllNotFoundException("no loadable librdkafka found in " + string.Join(" or ", NativeDirectories()));
                }
                NativeLibrary.SetDllImportResolver(typeof(Confluent.Kafka.Library).Assembly,
                    (lib, _, _) => lib.Contains("rdkafka", StringComparison.Ordinal) ? _handle : IntPtr.Zero);
            }
            NativeLibrary.SetDllImportResolver(typeof(RdKafkaLibrary).Assembly,
                (lib, _, _) => lib == Name ? _handle : IntPtr.Zero);
        }
    }

    /// <summary>Distinct librdkafka files mapped into this process (Linux); more than one means two copies.</summary>
    public static List<string> MappedRdKafkaFiles()
    {
        if (!OperatingSystem.IsLinux()) return [];
        return File.ReadLines("/proc/self/maps")
            .Select(l => l.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 6 && f[5].Contains("rdkafka", StringComparison.Ordinal) && f[5].Contains(".so", StringComparison.Ordinal))
            .Select(f => f[5].Trim())
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    private static string[] NativeDirectories()
    {
        string arch = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "arm64" : "x64";
        string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        return [Path.Combine(AppContext.BaseDirectory, "runtimes", $"{os}-{arch}", "native"), AppContext.BaseDirectory];
    }

    private static IEnumerable<string> Candidates()
    {
        string[] names = OperatingSystem.IsWindows() ? ["librdkafka.dll"]
            : OperatingSystem.IsMacOS() ? ["librdkafka.dylib"]
            : File.Exists("/etc/alpine-release") ? ["alpine-librdkafka.so"]
            : ["centos8-librdkafka.so", "librdkafka.so"];
        return NativeDirectories().SelectMany(d => names.Select(n => Path.Combine(d, n)));
    }
}

/// <summary>librdkafka's mock-cluster C API (see rdkafka_mock.h).</summary>
internal static partial class MockClusterNative
{
    private const string L = RdKafkaLibrary.Name;

    [DllImport(L)] internal static extern IntPtr rd_kafka_conf_new();
    [DllImport(L, CharSet = CharSet.Ansi, BestFitMapping = false)] internal static extern int rd_kafka_conf_set(IntPtr conf, string name, string value, StringBuilder errstr, UIntPtr size);
    [DllImport(L)] internal static extern IntPtr rd_kafka_new(int type, IntPtr conf, StringBuilder errstr, UIntPtr size);
    [DllImport(L)] internal static extern void rd_kafka_destroy(IntPtr rk);
    [DllImport(L)] internal static extern IntPtr rd_kafka_mock_cluster_new(IntPtr rk, int brokers);
    [DllImport(L)] internal static extern void rd_kafka_mock_cluster_destroy(IntPtr mc);
    [DllImport(L)] internal static extern IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr mc);
    [DllImport(L, CharSet = CharSet.Ansi, BestFitMapping = false)] internal static extern int rd_kafka_mock_topic_create(IntPtr mc, string topic, int partitions, int replicationFactor);
    [DllImport(L, CharSet = CharSet.Ansi, BestFitMapping = false)] internal static extern void rd_kafka_mock_topic_set_error(IntPtr mc, string topic, int err);
    [DllImport(L, CharSet = CharSet.Ansi, BestFitMapping = false)] internal static extern int rd_kafka_mock_partition_set_leader(IntPtr mc, string topic, int partition, int brokerId);
    [DllImport(L)] internal static extern int rd_kafka_mock_broker_set_down(IntPtr mc, int brokerId);
    [DllImport(L)] internal static extern int rd_kafka_mock_broker_set_up(IntPtr mc, int brokerId);
    [DllImport(L)] internal static extern int rd_kafka_mock_broker_set_rtt(IntPtr mc, int brokerId, int rttMs);
    [DllImport(L, CharSet = CharSet.Ansi, BestFitMapping = false)] internal static extern int rd_kafka_mock_coordinator_set(IntPtr mc, string keyType, string key, int brokerId);
    [DllImport(L)] internal static extern void rd_kafka_mock_push_request_errors_array(IntPtr mc, short apiKey, UIntPtr count, int[] errors);
    [DllImport(L)] internal static extern void rd_kafka_mock_clear_request_errors(IntPtr mc, short apiKey);
    [DllImport(L)] internal static extern void rd_kafka_mock_group_initial_rebalance_delay_ms(IntPtr mc, int delayMs);
}
