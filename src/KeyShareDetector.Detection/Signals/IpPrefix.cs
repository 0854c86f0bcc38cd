using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace KeyShareDetector.Detection.Signals;

/// <summary>Network prefixes used to tell "another device on the same network" from "another network".</summary>
public static class IpPrefix
{
    /// <summary>The /24 of an IPv4 address or the /64 of an IPv6 address, in CIDR notation; null when not an IP.</summary>
    /// <remarks>
    /// Per event: a plain dotted quad ("81.2.69.10", the usual case) is read from the characters without an
    /// <see cref="IPAddress"/>, so only the result string is allocated; anything else goes through <see cref="IPAddress.TryParse(string?, out IPAddress?)"/>.
    /// </remarks>
    public static string? NetworkOf(string ip)
    {
        if (TryParseDottedQuad(ip, out byte a, out byte b, out byte c)) return V4Prefix(a, b, c);
        return IPAddress.TryParse(ip, out var address) ? NetworkOf(address) : null;
    }

    /// <summary>The /24 of an IPv4 (or IPv4-mapped) address or the /64 of an IPv6 address, in CIDR notation.</summary>
    public static string NetworkOf(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        if (address.AddressFamily == AddressFamily.InterNetwork) return V4Prefix(bytes[0], bytes[1], bytes[2]);
        bytes[8..].Clear();
        Span<char> text = stackalloc char[48];
        // The scope id is dropped: the /64 names a network, not an interface.
        new IPAddress(bytes).TryFormat(text, out int written);
        return string.Concat(text[..written], "/64");
    }

    private static string V4Prefix(byte a, byte b, byte c) =>
        string.Create(CultureInfo.InvariantCulture, $"{a}.{b}.{c}.0/24");

    /// <summary>
    /// Four decimal parts of 0-255 without leading zeros (which <see cref="IPAddress"/> reads as octal), and nothing
    /// else: exactly the strings for which IPAddress would give the same address. Other forms are left to it.
    /// </summary>
    internal static bool TryParseDottedQuad(ReadOnlySpan<char> s, out byte a, out byte b, out byte c)
    {
        a = b = c = 0;
        Span<byte> parts = stackalloc byte[4];
        int part = 0;
        int i = 0;
        while (true)
        {
            int start = i;
            int value = 0;
            while (i < s.Length && i - start < 4 && char.IsAsciiDigit(s[i])) value = (value * 10) + (s[i++] - '0');
            int digits = i - start;
            if (digits is 0 or > 3 || value > 255 || (digits > 1 && s[start] == '0')) return false;
            parts[part++] = (byte)value;
            if (part == 4) break;
            if (i >= s.Length || s[i] != '.') return false;
            i++;
        }
        if (i != s.Length) return false;
        a = parts[0];
        b = parts[1];
        c = parts[2];
        return true;
    }
}
