using System.Net;
using System.Net.Sockets;

namespace KeyShareDetector.Detection.Net;

/// <summary>An IPv4/IPv6 allowlist of CIDR blocks; IPv4-mapped IPv6 addresses match IPv4 blocks.</summary>
public sealed class CidrSet
{
    private readonly Block[] _blocks;

    private CidrSet(Block[] blocks, IReadOnlyList<string> source)
    {
        _blocks = blocks;
        Source = source;
    }

    public static CidrSet Empty { get; } = new([], []);

    /// <summary>The CIDRs as given (invalid ones excluded).</summary>
    public IReadOnlyList<string> Source { get; }

    public bool IsEmpty => _blocks.Length == 0;

    /// <summary>Parses CIDRs (a bare address means /32 or /128); invalid entries are reported, not thrown.</summary>
    public static CidrSet Parse(IEnumerable<string> cidrs, List<string>? invalid = null)
    {
        ArgumentNullException.ThrowIfNull(cidrs);
        var blocks = new List<Block>();
        var source = new List<string>();
        foreach (var c in cidrs)
        {
            if (TryParseBlock(c, out var block))
            {
                blocks.Add(block);
                source.Add(c);
            }
            else
            {
                invalid?.Add(c);
            }
        }
        return blocks.Count == 0 ? Empty : new CidrSet([.. blocks], source);
    }

    public bool Contains(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (_blocks.Length == 0) return false;
        if (!TryToValue(address, out var value, out bool v4)) return false;
        foreach (var b in _blocks)
        {
            if (b.V4 == v4 && (value & b.Mask) == b.Network) return true;
        }
        return false;
    }

    /// <summary>Address as a 128-bit number; IPv4 (and IPv4-mapped IPv6) in the low 32 bits.</summary>
    public static bool TryToValue(IPAddress address, out UInt128 value, out bool v4)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out int n))
        {
            value = default;
            v4 = false;
            return false;
        }
        v4 = address.AddressFamily == AddressFamily.InterNetwork;
        UInt128 acc = 0;
        for (int i = 0; i < n; i++) acc = (acc << 8) | bytes[i];
        value = acc;
        return true;
    }

    private static bool TryParseBlock(string text, out Block block)
    {
        block = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressPart = slash < 0 ? text.AsSpan().Trim() : text.AsSpan(0, slash).Trim();
        // The same strict address forms as event IPs: "010.0.0.0/8" must not quietly mean 8.0.0.0/8.
        if (!IpText.TryParse(addressPart, out var address) || !TryToValue(address, out var value, out bool v4)) return false;
        int bits = v4 ? 32 : 128;
        int prefix = bits;
        if (slash >= 0 && !TryParsePrefixLength(text.AsSpan(slash + 1).Trim(), bits, out prefix)) return false;
        UInt128 mask = prefix == 0 ? 0 : (UInt128.MaxValue << (128 - prefix)) >> (128 - bits);
        block = new Block(value & mask, mask, v4);
        return true;
    }

    /// <summary>One to three decimal digits, no sign, at most <paramref name="bits"/>.</summary>
    private static bool TryParsePrefixLength(ReadOnlySpan<char> text, int bits, out int prefix)
    {
        prefix = 0;
        if (text.IsEmpty || text.Length > 3) return false;
        foreach (char c in text)
        {
            if (!char.IsAsciiDigit(c)) return false;
            prefix = (prefix * 10) + (c - '0');
        }
        return prefix <= bits;
    }

    private readonly record struct Block(UInt128 Network, UInt128 Mask, bool V4);
}
