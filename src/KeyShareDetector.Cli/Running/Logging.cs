using Microsoft.Extensions.Logging;

namespace KeyShareDetector.Cli.Running;

/// <summary>Console logging for the CLI's embedded runs; KEYSHARE_LOG_LEVEL (default Warning) sets how much.</summary>
internal static class Logging
{
    private static readonly Lazy<ILoggerFactory> Factory = new(Create);

    /// <summary>
    /// One factory for the process, never disposed: Streamiz keeps the first logger it is given in a static field,
    /// so disposing it after one run broke the next run in the same process (backtest with a baseline).
    /// </summary>
    public static ILoggerFactory Shared => Factory.Value;

    private static ILoggerFactory Create()
    {
        var level = Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("KEYSHARE_LOG_LEVEL"), ignoreCase: true, out var l) ? l : LogLevel.Warning;
        return LoggerFactory.Create(b => b.SetMinimumLevel(level).AddSimpleConsole(o => o.SingleLine = true).AddFilter("Streamiz", level));
    }
}
