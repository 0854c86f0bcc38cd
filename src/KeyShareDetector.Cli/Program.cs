using System.CommandLine;
using KeyShareDetector.Cli.Commands;

var root = new RootCommand("keyshare: finds shared, leaked and spoofing API keys on exchange Kafka topics and emits signed enforcement commands")
{
    DevBrokerCommand.Create(),
    DemoCommand.Create(),
    PolicyCommand.Create(),
    VerifyCommand.Create(),
    EvalCommand.Create(),
    SimulateCommand.Create(),
    RunCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
