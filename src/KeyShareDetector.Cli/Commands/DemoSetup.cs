using System.Text;
using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Detection.Policy;

namespace KeyShareDetector.Cli.Commands;

/// <summary>Detector wiring for the demo and the dev broker: default policy, a signing secret that is public on purpose.</summary>
internal static class DemoSetup
{
    /// <summary>Demo-only signing secret; `keyshare run` takes its secret from configuration.</summary>
    private static readonly byte[] DemoSecret = Encoding.UTF8.GetBytes("keyshare-demo-secret-not-for-production");

    public const string DemoSigningKeyId = "demo";

    public static CommandSigner Signer() => new(DemoSigningKeyId, DemoSecret);

    /// <summary>The built-in default policy, or the given documents, with the built-in geo table.</summary>
    public static PolicyBook Policies(IReadOnlyList<string>? files = null) =>
        files is { Count: > 0 }
            ? PolicyBook.Of(files.Select(Streams.Policy.PolicyDocuments.Load), Signer(), BuiltInGeoTable.Default)
            : PolicyBook.Single(DetectionPolicy.Default, Signer(), BuiltInGeoTable.Default);
}
