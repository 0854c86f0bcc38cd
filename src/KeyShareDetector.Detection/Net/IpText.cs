using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace KeyShareDetector.Detection.Net;

/// <summary>
/// The textual IP addresses the contract accepts: an IPv4 dotted quad (four decimal parts 0-255, no leading zeros)
/// or an IPv6 address without brackets or zone id.
/// </summary>
/// <remarks>
/// <see cref="IPAddress.TryParse(string?, out IPAddress?)"/> also reads the inet_aton forms "1", "127.1", "1.2.3",
/// "4294967295", "0x7f.0.0.1" and "010.0.0.1" (octal: 8.0.0.1), brackets and zone ids. Each names an address other
/// software may read differently, and the detector keys IP diversity and the fleet stage on the text, so one address
/// could count as several: such records are refused as invalid instead.
/// </remarks>
public static class IpText
{
    /// <summary>Longest IPv6 text (IPv4-mapped, fully expanded).</summary>
    public const int MaxLength = 45;

    public static bool TryParse(ReadOnlySpan<char> text, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        if (text.IsEmpty || text.Length > MaxLength) return false;
        if (text.Contains(':'))
        {
            foreach (char c in text)
            {
                if (!char.IsAsciiHexDigit(c) && c != ':' && c != '.') return false;
            }
            int lastColon = text.LastIndexOf(':');
            var tail = text[(lastColon + 1)..];
            if (tail.Contains('.') && !TryParseDottedQuad(tail, out _)) return false;
            return IPAddress.TryParse(text, out address) && address.AddressFamily == AddressFamily.InterNetworkV6;
        }
        if (!TryParseDottedQuad(text, out uint value)) return false;
        address = new IPAddress([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);
        return true;
    }

    public static bool IsValid(ReadOnlySpan<char> text) => TryParse(text, out _);

    private static bool TryParseDottedQuad(ReadOnlySpan<char> s, out uint value)
    {
        value = 0;
        int i = 0;
        for (int part = 0; part < 4; part++)
        {
            if (part > 0)
            {
                if (i >= s.Length || s[i] != '.') return false;
                i++;
            }
            int start = i;
            int n = 0;
            while (i < s.Length && i - start < 3 && char.IsAsciiDigit(s[i])) n = (n * 10) + (s[i++] - '0');
            int digits = i - start;
            if (digits == 0 || n > 255 || (digits > 1 && s[start] == '0')) return false;
            value = (value << 8) | (uint)n;
        }
        return i == s.Length;
    }
}
