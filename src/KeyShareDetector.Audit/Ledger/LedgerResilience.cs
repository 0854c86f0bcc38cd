using System.Net.Sockets;
using Npgsql;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace KeyShareDetector.Audit.Ledger;

/// <summary>Settings of the retry and circuit breaker around ledger writes.</summary>
public sealed record LedgerResilienceOptions
{
    /// <summary>First retry delay; doubles per attempt (with jitter) up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Retries before a write gives up; the default never gives up, so an outage stalls the sink instead of losing data.</summary>
    public int MaxRetryAttempts { get; init; } = int.MaxValue;
    /// <summary>How long the breaker stays open (failing fast, sparing the database) before it lets a probe through.</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(2);
    public double FailureRatio { get; init; } = 0.5;
    public int MinimumThroughput { get; init; } = 4;
    public TimeSpan SamplingDuration { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>Builds the Polly pipeline around the database: retry with exponential backoff outside a circuit breaker.</summary>
public static class LedgerResilience
{
    public static ResiliencePipeline Create(LedgerResilienceOptions options, TimeProvider time, Action<string>? onRetry = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var transient = new PredicateBuilder().Handle<NpgsqlException>(e => e.IsTransient || e is PostgresException { SqlState: "57P01" or "57P02" or "57P03" })
            .Handle<NpgsqlException>(e => e is not PostgresException)
            .Handle<SocketException>()
            .Handle<TimeoutException>()
            .Handle<IOException>()
            .Handle<BrokenCircuitException>();
        return new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = transient,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.MaxRetryDelay,
                MaxRetryAttempts = options.MaxRetryAttempts,
                OnRetry = args =>
                {
                    onRetry?.Invoke($"ledger write failed (attempt {args.AttemptNumber + 1}), retrying in {args.RetryDelay.TotalMilliseconds:F0} ms: {args.Outcome.Exception?.Message}");
                    return ValueTask.CompletedTask;
                },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>().Handle<SocketException>().Handle<TimeoutException>().Handle<IOException>(),
                FailureRatio = options.FailureRatio,
                MinimumThroughput = options.MinimumThroughput,
                SamplingDuration = options.SamplingDuration,
                BreakDuration = options.BreakDuration,
            })
            .Build();
    }
}
