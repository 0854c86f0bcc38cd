using Microsoft.Extensions.Configuration;

namespace KeyShareDetector.Cli.Hosting;

/// <summary>
/// Where `keyshare run` and `keyshare topics` read settings from, later ones winning: ./appsettings.json,
/// --config FILE, KEYSHARE__Section__Key variables, --Section:Key=value flags, then the command's own typed flags.
/// </summary>
public static class SettingsSources
{
    public static IConfiguration Build(string? configFile, IEnumerable<string> sectionFlags, IReadOnlyDictionary<string, string?>? typedFlags = null) =>
        new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
            .AddJsonFile(configFile ?? "/nonexistent/keyshare.json", optional: configFile is null)
            .AddEnvironmentVariables("KEYSHARE__")
            .AddCommandLine(sectionFlags.ToArray())
            .AddInMemoryCollection(typedFlags?.Where(kv => kv.Value is not null) ?? [])
            .Build();
}
