using System.Diagnostics;

namespace KeyShareDetector.Integration.Tests.Support;

/// <summary>Finds the built keyshare CLI (or the executable or dll named by KEYSHARE_CLI) for child-process tests.</summary>
public static class KeyshareCli
{
    /// <summary>How to start the CLI: the file to run and the arguments before ours.</summary>
    public static (string FileName, string[] Prefix) Locate()
    {
        string? configured = Environment.GetEnvironmentVariable("KEYSHARE_CLI");
        string path = string.IsNullOrEmpty(configured) ? Built() : configured;
        return path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } dotnet ? dotnet : "dotnet", [path])
            : (path, []);
    }

    /// <summary>A start description for the CLI with these arguments, output redirected, no signing secret inherited.</summary>
    public static ProcessStartInfo Start(IEnumerable<string> args)
    {
        var (fileName, prefix) = Locate();
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in prefix.Concat(args)) start.ArgumentList.Add(a);
        start.Environment.Remove("KEYSHARE_SIGNING_SECRET");
        return start;
    }

    private static string Built()
    {
        // This assembly runs from tests/KeyShareDetector.Integration.Tests/bin/<Configuration>/<tfm>/.
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string tfm = bin.Name;
        string configuration = bin.Parent?.Name ?? "Debug";
        var root = bin;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "KeyShareDetector.sln"))) root = root.Parent;
        Assert.True(root is not null, $"no KeyShareDetector.sln above {AppContext.BaseDirectory}; set KEYSHARE_CLI");
        string dll = Path.Combine(root.FullName, "src", "KeyShareDetector.Cli", "bin", configuration, tfm, "keyshare.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution (dotnet build KeyShareDetector.sln -c {configuration}) or set KEYSHARE_CLI");
        return dll;
    }
}
