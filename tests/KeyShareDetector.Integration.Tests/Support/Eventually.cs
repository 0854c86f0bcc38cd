namespace KeyShareDetector.Integration.Tests.Support;

/// <summary>Waits for a condition with a deadline (never a fixed sleep).</summary>
public static class Eventually
{
    public static async Task WaitAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!condition())
        {
            if (deadline.IsCancellationRequested) throw new TimeoutException($"{what}: not true within {timeout.TotalSeconds:F0} s");
            await Task.Delay(50, CancellationToken.None);
        }
    }
}
