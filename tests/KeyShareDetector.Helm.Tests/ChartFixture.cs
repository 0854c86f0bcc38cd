using KeyShareDetector.Helm.Tests.Lint;

namespace KeyShareDetector.Helm.Tests;

/// <summary>The repository's chart, loaded once per test class.</summary>
public sealed class ChartFixture
{
    public ChartFixture()
    {
        Directory = ChartSource.RepositoryChartDirectory();
        Chart = ChartSource.Load(Directory);
        Values = new ValuesDocument(Chart.ValuesYaml);
    }

    public string Directory { get; }
    public ChartSource Chart { get; }
    public ValuesDocument Values { get; }

    public TemplateSkeleton Skeleton(string template) => TemplateSkeleton.Of(template, Chart.Templates[template]);

    public static IEnumerable<string> ManifestTemplates(ChartSource chart) =>
        chart.Templates.Keys.Where(k => k.EndsWith(".yaml", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
}
