using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Streams;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KeyShareDetector.Cli.Hosting;

/// <summary>Starts the detector with the host and closes it on shutdown (SIGTERM): stop consuming, commit, close.</summary>
public sealed partial class DetectorHostedService(DetectorOptions options, PolicyBook policies, WireCodecs codecs, ILoggerFactory logs) : IHostedService
{
    private readonly ILogger _log = logs.CreateLogger<DetectorHostedService>();
    private readonly CancellationTokenSource _stopping = new();
    private Task? _starting;

    /// <summary>The running detector, once started.</summary>
    public DetectorService? Service { get; private set; }

    private int _stallLogged;

    /// <summary>Why this instance no longer detects (null while it does, or is still starting): /healthz's answer.</summary>
    public string? Problem
    {
        get
        {
            if (Service is null) return _starting?.IsFaulted ?? false ? "the detector failed to start" : null;
            if (Service.Failed) return "stream thread failed";
            if (Service.Stall is not { } stall)
            {
                Interlocked.Exchange(ref _stallLogged, 0);
                return null;
            }
            if (Interlocked.Exchange(ref _stallLogged, 1) == 0) LogStalled(_log, stall.ToString());
            return "stream thread stalled: " + stall;
        }
    }

    public bool Ready => Service?.IsRunning ?? false;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Start in the background so the management port answers /healthz while the stream restores state.
        _starting = Task.Run(async () =>
        {
            try
            {
                Service = await DetectorService.StartAsync(options, policies, codecs, TimeSpan.FromMinutes(10), logs, _stopping.Token);
                LogStarted(_log, options.ApplicationId, options.BootstrapServers);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogStartFailed(_log, e.Message);
                throw;
            }
        }, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        try
        {
            if (_starting is not null) await _starting.WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or TimeoutException)
        {
            // Shutting down before the detector was ready.
        }
        if (Service is not null) await Service.DisposeAsync();
        LogStopped(_log);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "detector {ApplicationId} running against {Bootstrap}")]
    private static partial void LogStarted(ILogger log, string applicationId, string bootstrap);

    [LoggerMessage(Level = LogLevel.Error, Message = "detector failed to start: {Reason}")]
    private static partial void LogStartFailed(ILogger log, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "stream thread stalled: {Stall}; /healthz fails until it comes round (restart the process)")]
    private static partial void LogStalled(ILogger log, string stall);

    [LoggerMessage(Level = LogLevel.Information, Message = "detector stopped cleanly")]
    private static partial void LogStopped(ILogger log);
}
