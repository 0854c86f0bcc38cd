using KeyShareDetector.Detection;
using KeyShareDetector.Detection.Policy;

namespace KeyShareDetector.Streams.Policy;

/// <summary>The policy book the stream stages read; replaced atomically when a new version arrives.</summary>
public sealed class LivePolicy(PolicyBook initial)
{
    private volatile PolicyBook _book = initial ?? throw new ArgumentNullException(nameof(initial));

    public PolicyBook Current => _book;

    /// <summary>The engine deciding an event at <paramref name="eventTime"/>.</summary>
    public KeyRiskEngine For(long eventTime) => _book.For(eventTime);

    public void Update(Func<PolicyBook, PolicyBook> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        PolicyBook seen, next;
        do
        {
            seen = _book;
            next = change(seen);
        }
        while (Interlocked.CompareExchange(ref _book, next, seen) != seen);
    }
}
