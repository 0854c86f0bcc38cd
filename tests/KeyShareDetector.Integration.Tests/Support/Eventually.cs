namespace KeyShareDetector.Integration.Tests.Support;

/// <summary>Waits for a condition with a deadline (never a fixed sleep).</summary>
public static class Eventually
{
    public static Task WaitAsync(Func<bool> condition, TimeSpan timeout, string what) => WaitAsync(condition, timeout, () => what);

    /// <param name="what">Says what was awaited and what was last seen; asked only when the deadline passes.</param>
    public static async Task WaitAsync(Func<bool> condition, TimeSpan timeout, Func<string> what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(what);
        using var deadline = new CancellationTokenSource(timeout);
        while (!condition())
        {
            if (deadline.IsCancellationRequested) throw new TimeoutException($"{what()}: not true within {timeout.TotalSeconds:F0} s");
            await Task.Delay(50, CancellationToken.None);
        }
    }
}
