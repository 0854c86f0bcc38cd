using KeyShareDetector.Contracts;
using KeyShareDetector.Detection;
using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Fleet;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.State;
using KeyShareDetector.Simulator;

namespace KeyShareDetector.Simulator.Tests;

/// <summary>
/// Feeds a scenario's records in order into per-key <see cref="KeyRiskEngine"/>s, with the fleet stage approximated
/// in-process (observations applied at once, no repartition) and the <see cref="BackendStandIn"/> answering commands.
/// No breaker. An approximation of the topology for calibration; <c>keyshare eval</c> measures the real one.
/// </summary>
internal sealed class OfflineEvaluator
{
    private readonly KeyRiskEngine _engine;
    private readonly DetectionPolicy _policy;
    private readonly Dictionary<string, KeyRiskState> _states = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FleetAggregate> _fleet = new(StringComparer.Ordinal);
    private readonly PriorityQueue<KeyLifecycleEvent, (long, string)> _feedback = new();
    private readonly BackendStandIn _backend = new();

    public OfflineEvaluator(DetectionPolicy? policy = null)
    {
        _policy = policy ?? DetectionPolicy.Default;
        _engine = new KeyRiskEngine(_policy, new CommandSigner("sim", new byte[32]), BuiltInGeoTable.Default);
    }

    public List<EnforcementCommand> Commands { get; } = [];

    public static List<EnforcementCommand> Run(Scenario scenario, DetectionPolicy? policy = null)
    {
        var e = new OfflineEvaluator(policy);
        foreach (var r in scenario.Records) e.Apply(r);
        return e.Commands;
    }

    private KeyRiskState State(string key)
    {
        if (!_states.TryGetValue(key, out var s)) _states[key] = s = _engine.NewState(key);
        return s;
    }

    private void Apply(SimRecord r)
    {
        while (_feedback.Count > 0 && _feedback.Peek().Ts <= r.Ts)
        {
            var life = _feedback.Dequeue();
            Handle(_engine.OnLifecycle(State(life.ApiKeyId), life));
        }
        var s = State(r.Key);
        switch (r.Topic)
        {
            case SimTopic.Registry: _engine.OnRegistry(s, r.Registry!); break;
            case SimTopic.Access: Handle(_engine.OnAccess(s, r.Access!)); break;
            case SimTopic.Orders: Handle(_engine.OnOrder(s, r.Order!)); break;
            default: Handle(_engine.OnLifecycle(s, r.Lifecycle!)); break;
        }
    }

    private void Handle(EngineOutcome outcome)
    {
        if (outcome.Command is { } c)
        {
            Commands.Add(c);
            if (_backend.Respond(c) is { } answer) _feedback.Enqueue(answer, (answer.Ts, answer.EventId));
        }
        if (outcome.Observations is not { } observations) return;
        foreach (var o in observations)
        {
            if (!_fleet.TryGetValue(o.FleetKey, out var agg)) _fleet[o.FleetKey] = agg = FleetAggregate.For(o, _policy.CrossAccount, _policy.MassCompromise);
            foreach (var f in agg.OnObservation(o, _policy.CrossAccount, _policy.MassCompromise).Findings)
            {
                Handle(_engine.OnFleetFinding(State(f.ApiKeyId), f.Finding, f.Ts));
            }
        }
    }
}
