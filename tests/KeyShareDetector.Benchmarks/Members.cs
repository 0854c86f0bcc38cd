namespace KeyShareDetector.Benchmarks;

/// <summary>Realistic member strings (IPv4, IPv6, /24 prefixes), made once so benchmarks measure the aggregators, not string building.</summary>
internal static class Members
{
    public static string[] Ips(int count, int offset = 0) =>
        [.. Enumerable.Range(offset, count).Select(i => i % 4 == 0
            ? $"2001:db8:{(i >> 16) & 0xFFFF:x}:{i & 0xFFFF:x}::1"
            : $"{10 + ((i >> 16) & 0x7F)}.{(i >> 8) & 0xFF}.{i & 0xFF}.{(i * 7) & 0xFF}")];

    /// <summary>SplitMix64: well-spread 64-bit values standing in for member hashes.</summary>
    public static ulong[] Hashes(int count, ulong stream = 0)
    {
        var hashes = new ulong[count];
        for (int i = 0; i < count; i++)
        {
            ulong z = (stream << 32) + (ulong)i + 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            hashes[i] = z ^ (z >> 31);
        }
        return hashes;
    }
}
