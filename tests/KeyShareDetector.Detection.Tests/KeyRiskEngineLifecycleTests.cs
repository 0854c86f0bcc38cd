using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Policy;
using static KeyShareDetector.Detection.Tests.TestEvents;

namespace KeyShareDetector.Detection.Tests;

public class KeyRiskEngineLifecycleTests
{
    private const long Min = 60_000;
    private readonly KeyRiskEngine _engine = new(DetectionPolicy.Default, TestSigner.Create());

    /// <summary>One minute of a key used by three people in three networks, each with its own session.</summary>
    private static IEnumerable<AccessEvent> SharedMinute(string key, long start) =>
    [
        Access(key, "81.2.69.10", start, "owner"), Access(key, "203.0.113.7", start + 10_000, "friend"),
        Access(key, "198.51.100.23", start + 20_000, "stranger"), Access(key, "81.2.69.10", start + 30_000, "owner"),
        Access(key, "203.0.113.7", start + 40_000, "friend"), Access(key, "198.51.100.23", start + 50_000, "stranger"),
    ];

    private List<EnforcementCommand> Feed(Detection.State.KeyRiskState s, IEnumerable<AccessEvent> events) =>
        events.Select(e => _engine.OnAccess(s, e).Command).OfType<EnforcementCommand>().ToList();

    [Fact]
    public void Warn_then_reauth_then_completed_reauthentication_then_renewed_abuse_goes_back_to_reauth_and_then_revoke()
    {
        var s = _engine.NewState("k");
        var commands = new List<EnforcementCommand>();
        // Sustained sharing: WARN, then, as it goes on at warn level for the repeat interval (15 min), REAUTH.
        for (int m = 0; m < 20; m++) commands.AddRange(Feed(s, SharedMinute("k", T0 + (m * Min))));
        Assert.Equal([EnforcementAction.WARN, EnforcementAction.REAUTH], commands.Select(c => c.Action));

        Assert.True(commands[1].IssuedAt - commands[0].IssuedAt >= DetectionPolicy.Default.Ladder.RepeatEscalationMs);
        _engine.OnLifecycle(s, new KeyLifecycleEvent { EventId = "l", Ts = T0 + (21 * Min), ApiKeyId = "k", AccountId = "acct-k", Kind = LifecycleKind.REAUTH_COMPLETED, CommandId = commands[^1].CommandId });
        Assert.Equal(KeyState.MONITORED, s.Ladder.State);

        // Abuse again within probation: straight back to REAUTH, then REVOKE as it goes on.
        var after = new List<EnforcementCommand>();
        for (int m = 22; m < 40; m++) after.AddRange(Feed(s, SharedMinute("k", T0 + (m * Min))));
        Assert.Equal([EnforcementAction.REAUTH, EnforcementAction.REVOKE], after.Select(c => c.Action));
        Assert.Equal(KeyState.MONITORED, after[0].PreviousState);
        Assert.Equal(KeyState.REVOKED, s.Ladder.State);
    }

    [Fact]
    public void A_rotated_key_gets_no_further_commands()
    {
        var s = _engine.NewState("k");
        Feed(s, SharedMinute("k", T0));
        _engine.OnLifecycle(s, new KeyLifecycleEvent { EventId = "l", Ts = T0 + Min, ApiKeyId = "k", AccountId = "acct-k", Kind = LifecycleKind.KEY_ROTATED });
        Assert.Empty(Feed(s, Enumerable.Range(2, 20).SelectMany(m => SharedMinute("k", T0 + (m * Min)))));
    }

    private static readonly string[] Ips = ["81.2.69.10", "81.2.69.11", "203.0.113.7", "198.51.100.23", "192.0.2.5", "2001:db8::1", "2001:db8:5::9"];

    private static Arbitrary<AccessEvent[]> Streams() =>
        (from n in Gen.Choose(1, 60)
         from steps in Gen.ArrayOf(
             from ip in Gen.Choose(0, Ips.Length - 1)
             from gap in Gen.Choose(0, 90_000)
             from session in Gen.Choose(0, 3)
             select (ip, gap, session), n)
         select steps.Aggregate((List: new List<AccessEvent>(), T: T0), (acc, st) =>
         {
             long t = acc.T + st.gap;
             acc.List.Add(Access("k", Ips[st.ip], t, "s" + st.session));
             return (acc.List, t);
         }).List.ToArray()).ToArbitrary();

    [Property(MaxTest = 100)]
    public Property Identical_input_gives_identical_command_ids_and_bytes() =>
        Prop.ForAll(Streams(), events =>
        {
            string Run()
            {
                var engine = new KeyRiskEngine(DetectionPolicy.Default, TestSigner.Create());
                var s = engine.NewState("k");
                var sb = new System.Text.StringBuilder();
                foreach (var e in events)
                {
                    var o = engine.OnAccess(s, e);
                    if (o.Command is { } c) sb.Append(Convert.ToBase64String(Contracts.Wire.ContractCodecs.Command.SerializeJson(c))).Append('\n');
                }
                return sb.ToString();
            }
            return Run() == Run();
        });
}
