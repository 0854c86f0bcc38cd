using System.CommandLine;
using KeyShareDetector.Cli.Commands;
using Spectre.Console;

// Tables written to a file or pipe (CI logs, `make demo | tee`) get room for every column.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 160;

var root = new RootCommand("keyshare: finds shared, leaked and spoofing API keys on exchange Kafka topics and emits signed enforcement commands")
{
    DevBrokerCommand.Create(),
    DemoCommand.Create(),
    PolicyCommand.Create(),
    VerifyCommand.Create(),
    EvalCommand.Create(),
    SimulateCommand.Create(),
    RunCommand.Create(),
    TopicsCommand.Create(),
    AuditCommand.Create(),
    BacktestCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
