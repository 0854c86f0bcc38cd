using System.Text.RegularExpressions;

namespace KeyShareDetector.Integration.Tests.Reliability;

/// <summary>Issue 9 item 1: whoever reads our outputs (tests, and the CLI code the tests run) reads only committed records.</summary>
public sealed partial class ReadCommittedConsumersTests
{
    [Fact]
    public void Every_consumer_configuration_in_src_and_tests_asks_for_read_committed()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "KeyShareDetector.sln"))) root = root.Parent;
        Assert.True(root is not null, "no KeyShareDetector.sln above " + AppContext.BaseDirectory);

        var files = new[] { "src", "tests" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(root.FullName, d), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !f.EndsWith(nameof(ReadCommittedConsumersTests) + ".cs", StringComparison.Ordinal))
            .ToList();
        int found = 0;
        var missing = new List<string>();
        foreach (string file in files)
        {
            string text = File.ReadAllText(file);
            foreach (Match m in ConsumerConfig().Matches(text))
            {
                found++;
                // The object initializer that follows the constructor call, up to its closing brace.
                int open = text.IndexOf('{', m.Index);
                int close = open < 0 ? -1 : text.IndexOf('}', open);
                string initializer = close < 0 ? "" : text[open..close];
                // A deliberate read_uncommitted (counting what a topic physically holds, aborted records included) says so.
                if (!initializer.Contains("IsolationLevel.ReadCommitted", StringComparison.Ordinal) && !initializer.Contains("IsolationLevel.ReadUncommitted", StringComparison.Ordinal))
                {
                    missing.Add($"{Path.GetRelativePath(root.FullName, file)}:{text[..m.Index].Count(c => c == '\n') + 1}");
                }
            }
        }
        Assert.True(found >= 8, $"only {found} consumer configurations found: is the scan still looking in the right place?");
        Assert.True(missing.Count == 0, "consumers without IsolationLevel.ReadCommitted: " + string.Join(", ", missing));
    }

    [GeneratedRegex(@"new ConsumerConfig\b")]
    private static partial Regex ConsumerConfig();
}
