using System.Diagnostics;

namespace KeyShareDetector.Audit.Tests.Support;

/// <summary>Waits for a condition with a deadline (never a long sleep).</summary>
internal static class Wait
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"gave up after {timeout.TotalSeconds:F0} s waiting for: {what}");
            await Task.Delay(50);
        }
    }

    public static async Task ForAsync(TimeSpan duration, Func<Task> eachTurn)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            await eachTurn();
            await Task.Delay(20);
        }
    }
}
