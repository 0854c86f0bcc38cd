using KeyShareDetector.Detection.Geo;

namespace KeyShareDetector.Geo;

/// <summary>Builds the configured <see cref="IGeoLookup"/>; validates every setting first.</summary>
public static class GeoLookupFactory
{
    /// <summary>Every problem with the settings, one line each naming the setting; empty when usable.</summary>
    public static IReadOnlyList<string> Validate(GeoLookupOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        var paths = new[]
        {
            (Name: nameof(GeoLookupOptions.CityPath), Value: options.CityPath),
            (Name: nameof(GeoLookupOptions.CountryPath), Value: options.CountryPath),
            (Name: nameof(GeoLookupOptions.AsnPath), Value: options.AsnPath),
        };
        string sourceSetting = GeoLookupOptions.Setting(nameof(GeoLookupOptions.Source));
        if (!Enum.IsDefined(options.Source))
        {
            problems.Add($"{sourceSetting}: '{options.Source}' is not a source; use BuiltIn, Csv or MaxMind.");
        }
        else if (options.Source == GeoSource.BuiltIn)
        {
            foreach (var (name, value) in paths)
            {
                if (!string.IsNullOrWhiteSpace(value))
                {
                    problems.Add($"{GeoLookupOptions.Setting(name)} is set but {sourceSetting} is BuiltIn, which reads no files: set {sourceSetting} to Csv or MaxMind, or remove the path.");
                }
            }
        }
        else
        {
            if (paths.All(p => string.IsNullOrWhiteSpace(p.Value)))
            {
                problems.Add($"{sourceSetting} is {options.Source} but no file is set: set {GeoLookupOptions.Setting(nameof(GeoLookupOptions.CityPath))}, {GeoLookupOptions.Setting(nameof(GeoLookupOptions.CountryPath))} and/or {GeoLookupOptions.Setting(nameof(GeoLookupOptions.AsnPath))}.");
            }
            foreach (var (name, value) in paths)
            {
                foreach (var file in Files(value, options.Source))
                {
                    if (!File.Exists(file)) problems.Add($"{GeoLookupOptions.Setting(name)}: file '{file}' does not exist.");
                }
            }
        }
        foreach (long asn in options.HostingAsns ?? [])
        {
            if (asn is < 0 or > uint.MaxValue)
            {
                problems.Add($"{GeoLookupOptions.Setting(nameof(GeoLookupOptions.HostingAsns))}: {asn} is not an ASN (0 to 4294967295).");
            }
        }
        return problems;
    }

    /// <summary>The lookup the settings describe. A MaxMind lookup is <see cref="IDisposable"/>: dispose it at shutdown.</summary>
    /// <exception cref="GeoConfigurationException">The settings are unusable (all problems listed).</exception>
    /// <exception cref="GeoDataException">A CSV file has a bad line (file and line named).</exception>
    public static IGeoLookup Create(GeoLookupOptions options)
    {
        var problems = Validate(options);
        if (problems.Count > 0) throw new GeoConfigurationException(problems);

        var hosting = new HostingAsnSet((options.UseDefaultHostingAsns ? HostingAsnSet.DefaultAsns : []).Concat(options.HostingAsns ?? []));
        switch (options.Source)
        {
            case GeoSource.BuiltIn:
                return new BuiltInGeoTable(hosting);
            case GeoSource.MaxMind:
                return new MaxMindGeoLookup(Blank(options.CityPath), Blank(options.AsnPath), Blank(options.CountryPath), hosting, options.LoadIntoMemory);
            default:
                var sources = new List<IGeoLookup>();
                AddCsv(sources, CsvGeoFileKind.City, options.CityPath);
                AddCsv(sources, CsvGeoFileKind.Country, options.CountryPath);
                AddCsv(sources, CsvGeoFileKind.Asn, options.AsnPath);
                return new CompositeGeoLookup(sources, hosting);
        }
    }

    private static void AddCsv(List<IGeoLookup> sources, CsvGeoFileKind kind, string? paths)
    {
        if (string.IsNullOrWhiteSpace(paths)) return;
        sources.Add(CsvRangeGeoLookup.Load(kind, Files(paths, GeoSource.Csv)));
    }

    private static string[] Files(string? value, GeoSource source)
    {
        if (string.IsNullOrWhiteSpace(value)) return [];
        // Only CSV takes several files per setting (ip-location-db ships IPv4 and IPv6 apart).
        return source == GeoSource.Csv
            ? value.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [value.Trim()];
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
