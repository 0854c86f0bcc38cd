namespace KeyShareDetector.Helm.Tests.Lint;

/// <summary>The text of a chart: Chart.yaml, values.yaml and every template (name relative to templates/).</summary>
public sealed record ChartSource(string ChartYaml, string ValuesYaml, IReadOnlyDictionary<string, string> Templates)
{
    /// <summary>Reads a chart directory: templates/*.yaml, *.tpl and NOTES.txt, sub-folders included.</summary>
    public static ChartSource Load(string directory)
    {
        var templatesDir = Path.Combine(directory, "templates");
        var templates = Directory.EnumerateFiles(templatesDir, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal)
                        || f.EndsWith(".tpl", StringComparison.Ordinal) || f.EndsWith(".txt", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetRelativePath(templatesDir, f).Replace('\\', '/'), File.ReadAllText, StringComparer.Ordinal);
        return new ChartSource(File.ReadAllText(Path.Combine(directory, "Chart.yaml")),
            File.ReadAllText(Path.Combine(directory, "values.yaml")), templates);
    }

    /// <summary>helm/keyshare-detector of this repository, found by walking up from the test binaries.</summary>
    public static string RepositoryChartDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "helm", "keyshare-detector");
            if (File.Exists(Path.Combine(candidate, "Chart.yaml"))) return candidate;
        }
        throw new DirectoryNotFoundException("helm/keyshare-detector not found above " + AppContext.BaseDirectory);
    }
}
