using Microsoft.Extensions.Logging;

namespace KeyShareDetector.Cli.Running;

/// <summary>Console logging for the CLI's embedded runs; KEYSHARE_LOG_LEVEL (default Warning) sets how much.</summary>
internal static class Logging
{
    public static ILoggerFactory Create()
    {
        var level = Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("KEYSHARE_LOG_LEVEL"), ignoreCase: true, out var l) ? l : LogLevel.Warning;
        return LoggerFactory.Create(b => b.SetMinimumLevel(level).AddSimpleConsole(o => o.SingleLine = true).AddFilter("Streamiz", level));
    }
}
