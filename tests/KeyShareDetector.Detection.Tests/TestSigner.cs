using System.Text;
using KeyShareDetector.Detection.Enforcement;

namespace KeyShareDetector.Detection.Tests;

internal static class TestSigner
{
    public static CommandSigner Create(string secret = "unit-test-secret-0123456789") => new("test-key-1", Encoding.UTF8.GetBytes(secret));
}
