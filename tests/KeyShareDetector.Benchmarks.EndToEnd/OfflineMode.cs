using System.Globalization;
using System.Text;
using KeyShareDetector.Detection;
using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Detection.Policy;

namespace KeyShareDetector.Benchmarks.EndToEnd;

/// <summary>What the modes without Kafka (<see cref="StateBytes"/>, <see cref="StateCodecProfile"/>) share.</summary>
internal static class OfflineMode
{
    /// <summary>
    /// Reads the "--name value" integer pairs after the mode into <paramref name="options"/>, which holds the defaults;
    /// false, with a line on stderr, for a name it does not hold.
    /// </summary>
    public static bool TryParse(string[] args, Dictionary<string, int> options)
    {
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            string name = args[i].StartsWith("--", StringComparison.Ordinal) ? args[i][2..] : "";
            if (!options.ContainsKey(name))
            {
                Console.Error.WriteLine($"unknown option {args[i]}");
                return false;
            }
            options[name] = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
        }
        return true;
    }

    /// <summary>The engine a mode runs the mix through: the default policy, the built-in geo table, a signer of its own.</summary>
    public static KeyRiskEngine Engine(string mode) =>
        new(DetectionPolicy.Default, new CommandSigner("bench", Encoding.UTF8.GetBytes($"{mode}-bench-secret-0123456789")), BuiltInGeoTable.Default);
}
