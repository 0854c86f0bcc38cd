using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using KeyShareDetector.Contracts;

namespace KeyShareDetector.Detection.Enforcement;

/// <summary>Deterministic command ids: the same decision always gets the same id, so consumers can de-duplicate.</summary>
public static class CommandIdentity
{
    public static string Of(string apiKeyId, EnforcementAction action, string policyVersion, long windowStart, long windowEnd)
    {
        string material = string.Create(CultureInfo.InvariantCulture,
            $"ksd-cmd-v1\n{apiKeyId}\n{action}\n{policyVersion}\n{windowStart}\n{windowEnd}");
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(material), hash);
        return Convert.ToHexStringLower(hash[..16]);
    }
}
