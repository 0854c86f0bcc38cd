using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.State;
using static KeyShareDetector.Detection.Tests.TestEvents;

namespace KeyShareDetector.Detection.Tests;

public class KeyRiskEngineTests
{
    private readonly KeyRiskEngine _engine = new(DetectionPolicy.Default, TestSigner.Create());

    private List<EnforcementCommand> Run(KeyRiskState state, params AccessEvent[] events)
    {
        var commands = new List<EnforcementCommand>();
        foreach (var e in events)
        {
            if (_engine.OnAccess(state, e).Command is { } c) commands.Add(c);
        }
        return commands;
    }

    [Fact]
    public void A_key_used_from_three_networks_within_the_window_is_warned_with_the_numbers()
    {
        var s = _engine.NewState("k1");
        var commands = Run(s,
            Access("k1", "81.2.69.10", T0),
            Access("k1", "203.0.113.7", T0 + 20_000),
            Access("k1", "198.51.100.23", T0 + 40_000));

        var c = Assert.Single(commands);
        Assert.Equal(EnforcementAction.WARN, c.Action);
        Assert.Equal(KeyState.NORMAL, c.PreviousState);
        Assert.Equal(KeyState.WARNED, c.NewState);
        // The strongest contribution comes first; three (IP, agent) sessions in three networks also count.
        var reason = c.Reasons[0];
        Assert.Equal("IP_DIVERSITY", reason.Code);
        Assert.Equal(["IP_DIVERSITY", "CONCURRENT_SESSIONS"], c.Reasons.Select(r => r.Code));
        Assert.Equal(3, reason.Metrics.Single(m => m.Name == "distinct_prefixes").Value);
        Assert.Contains("203.0.113.0/24", reason.Subjects);
        Assert.Equal(T0 + 40_000, c.IssuedAt);
        Assert.NotEmpty(c.Signature);
    }

    [Fact]
    public void Mobile_churn_inside_one_network_is_not_warned()
    {
        var s = _engine.NewState("k1");
        var events = Enumerable.Range(1, 50).Select(i => Access("k1", $"100.64.7.{i}", T0 + (i * 1000))).ToArray();
        Assert.Empty(Run(s, events));
    }

    [Fact]
    public void Networks_spread_further_apart_than_the_window_are_not_warned()
    {
        var s = _engine.NewState("k1");
        Assert.Empty(Run(s,
            Access("k1", "81.2.69.10", T0),
            Access("k1", "203.0.113.7", T0 + 11 * 60_000),
            Access("k1", "198.51.100.23", T0 + 22 * 60_000)));
    }

    [Fact]
    public void A_warned_key_is_not_warned_again_while_the_state_holds()
    {
        var s = _engine.NewState("k1");
        var commands = Run(s,
            Access("k1", "81.2.69.10", T0),
            Access("k1", "203.0.113.7", T0 + 1000),
            Access("k1", "198.51.100.23", T0 + 2000),
            Access("k1", "192.0.2.1", T0 + 3000),
            Access("k1", "81.2.70.1", T0 + 4000));
        Assert.Single(commands);
    }

    [Fact]
    public void Out_of_order_records_within_grace_count()
    {
        var s = _engine.NewState("k1");
        // Window hop is 1 min, grace 30 s: a record 20 s older than the newest still lands in open windows.
        var commands = Run(s,
            Access("k1", "81.2.69.10", T0 + 60_000),
            Access("k1", "203.0.113.7", T0 + 61_000),
            Access("k1", "198.51.100.23", T0 + 41_000));
        Assert.Single(commands);
    }

    [Fact]
    public void Records_later_than_every_window_plus_grace_are_counted_as_late_and_not_used()
    {
        var s = _engine.NewState("k1");
        Run(s, Access("k1", "81.2.69.10", T0 + 3_600_000));
        var outcome = _engine.OnAccess(s, Access("k1", "203.0.113.7", T0));
        Assert.True(outcome.Late);
        Assert.Equal(1, s.LateRecords);
        Assert.Equal(1, s.IpDiversity.Ips.TrackedMembers);
    }

    [Fact]
    public void The_same_input_gives_the_same_command_bytes()
    {
        AccessEvent[] input =
        [
            Access("k9", "81.2.69.10", T0), Access("k9", "203.0.113.7", T0 + 5), Access("k9", "2001:db8:1::1", T0 + 9),
        ];
        var a = Run(_engine.NewState("k9"), input).Single();
        var b = Run(new KeyRiskEngine(DetectionPolicy.Default, TestSigner.Create()).NewState("k9"), input).Single();
        Assert.Equal(a.CommandId, b.CommandId);
        Assert.Equal(KeyShareDetector.Contracts.Signing.CommandCanonicalForm.Encode(a), KeyShareDetector.Contracts.Signing.CommandCanonicalForm.Encode(b));
        Assert.Equal(a.Signature, b.Signature);
    }

    [Fact]
    public void State_survives_a_round_trip_through_its_codec_mid_stream()
    {
        var straight = _engine.NewState("k1");
        var restored = _engine.NewState("k1");
        AccessEvent[] first = [Access("k1", "81.2.69.10", T0), Access("k1", "203.0.113.7", T0 + 1000)];
        AccessEvent second = Access("k1", "198.51.100.23", T0 + 2000);

        Run(straight, first);
        Run(restored, first);
        restored = KeyRiskStateCodec.Decode(KeyRiskStateCodec.Encode(restored), DetectionPolicy.Default);

        Assert.Equal(Run(straight, second).Single().CommandId, Run(restored, second).Single().CommandId);
    }

    [Fact]
    public void Encoding_through_a_reused_buffer_gives_the_same_bytes_as_a_fresh_one()
    {
        var big = _engine.NewState("a-key-with-a-long-history");
        Run(big, Enumerable.Range(0, 40).Select(i => Access(big.ApiKeyId, $"81.2.{i}.10", T0 + (i * 1000))).ToArray());
        var small = _engine.NewState("k2");
        Run(small, [Access("k2", "81.2.69.10", T0)]);
        using var scratch = new MemoryStream();

        byte[] bigBytes = KeyRiskStateCodec.Encode(big, scratch);
        // The buffer now holds the bigger state: what it returns for the smaller one must not carry any of it.
        byte[] smallBytes = KeyRiskStateCodec.Encode(small, scratch);

        Assert.True(bigBytes.Length > smallBytes.Length);
        Assert.Equal(KeyRiskStateCodec.Encode(big), bigBytes);
        Assert.Equal(KeyRiskStateCodec.Encode(small), smallBytes);
    }
}
