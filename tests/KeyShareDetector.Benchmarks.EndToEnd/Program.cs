using KeyShareDetector.Benchmarks.EndToEnd;

// The end-to-end bench: make bench-e2e (BENCH_E2E_EVENTS, BENCH_E2E_KEYS, ... or flags; see the README beside the
// micro-benchmarks). "broker" is the child process that hosts the embedded broker; "state-bytes" measures the
// encoded key state of the same mix without Kafka (StateBytes); "state-codec" what the per-key stage spends per
// record on the key state, decode, engine and encode, without Kafka (StateCodecProfile).
if (args is [BrokerHost.Mode]) return BrokerHost.Run();
if (args is [StateBytes.Mode, ..]) return StateBytes.Run(args);
if (args is [StateCodecProfile.Mode, ..]) return StateCodecProfile.Run(args);

E2eSettings settings;
try
{
    settings = E2eSettings.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};
string command = Environment.GetEnvironmentVariable("BENCH_COMMAND") is { Length: > 0 } c ? c : "KeyShareDetector.Benchmarks.EndToEnd " + string.Join(' ', args);
var result = await Harness.RunAsync(settings, m => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {m}"), cts.Token);
E2eReport.Print(result, command);
string? dir = Path.GetDirectoryName(Path.GetFullPath(settings.Out));
if (dir is not null) Directory.CreateDirectory(dir);
await File.WriteAllTextAsync(settings.Out, E2eReport.Json(result, command).ToJsonString(E2eReport.NamedFloats) + "\n");
Console.WriteLine($"written {settings.Out}");
return 0;
