using System.Buffers.Binary;
using System.Net;

namespace KeyShareDetector.Detection.Geo;

/// <summary>IP addresses as numbers: IPv4 (and IPv4-mapped IPv6) as <see cref="uint"/>, IPv6 as <see cref="UInt128"/>.</summary>
internal static class IpNumber
{
    /// <summary>4 for IPv4 or IPv4-mapped IPv6 (in <paramref name="v4"/>), 6 for other IPv6 (in <paramref name="v6"/>). No allocation.</summary>
    public static int Read(IPAddress address, out uint v4, out UInt128 v6)
    {
        Span<byte> bytes = stackalloc byte[16];
        v4 = 0;
        v6 = 0;
        if (!address.TryWriteBytes(bytes, out int written)) return 0;
        if (written == 4)
        {
            v4 = BinaryPrimitives.ReadUInt32BigEndian(bytes);
            return 4;
        }
        v6 = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        if (v6 >> 32 == 0xFFFF)
        {
            // ::ffff:a.b.c.d is the IPv4 address a.b.c.d seen through a dual-stack socket.
            v4 = (uint)v6;
            return 4;
        }
        return 6;
    }

    public static IPAddress FromV4(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    public static IPAddress FromV6(UInt128 value)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    /// <summary>First and last address of a CIDR block, IPv4-mapped blocks normalised to IPv4.</summary>
    public static int Bounds(IPNetwork network, out UInt128 first, out UInt128 last)
    {
        int family = Read(network.BaseAddress, out uint v4, out UInt128 v6);
        int bits = network.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
        int hostBits = bits - network.PrefixLength;
        if (family == 4 && bits == 128) hostBits = Math.Min(hostBits, 32);
        UInt128 start = family == 4 ? v4 : v6;
        UInt128 hostMask = hostBits == 0 ? UInt128.Zero : hostBits >= 128 ? UInt128.MaxValue : (UInt128.One << hostBits) - 1;
        first = start & ~hostMask;
        last = first | hostMask;
        return family;
    }
}
