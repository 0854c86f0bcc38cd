using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace KeyShareDetector.Detection.Signals;

/// <summary>Network prefixes used to tell "another device on the same network" from "another network".</summary>
public static class IpPrefix
{
    /// <summary>The /24 of an IPv4 address or the /64 of an IPv6 address, in CIDR notation; null when not an IP.</summary>
    public static string? NetworkOf(string ip)
    {
        if (!IPAddress.TryParse(ip, out var address)) return null;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out int written)) return null;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{bytes[0]}.{bytes[1]}.{bytes[2]}.0/24");
        }
        var net = new byte[16];
        bytes[..8].CopyTo(net);
        return new IPAddress(net).ToString() + "/64";
    }
}
