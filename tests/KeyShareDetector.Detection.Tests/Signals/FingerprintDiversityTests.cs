using KeyShareDetector.Detection.Signals;
using static KeyShareDetector.Detection.Tests.Signals.Ctx;

namespace KeyShareDetector.Detection.Tests.Signals;

public class FingerprintDiversityTests
{
    private static readonly FingerprintDiversityRule Rule = new();

    private static List<SignalFinding> Run(IEnumerable<AccessContext> contexts)
    {
        var agg = new FingerprintDiversityAggregate();
        var findings = new List<SignalFinding>();
        foreach (var c in contexts) agg.OnAccess(c, Rule, findings);
        return findings;
    }

    private static IEnumerable<AccessContext> Pattern(string pattern, Func<char, int, AccessContext> make) =>
        pattern.Select((ch, i) => make(ch, i));

    [Fact]
    public void Two_clients_used_alternately_fire()
    {
        var f = Run(Pattern("AAABBBAAABBB", (ch, i) => Of("81.2.69.10", T0 + (i * 10_000), ua: ch == 'A' ? "python-requests/2.32" : "ccxt/4.4")));
        Assert.Contains(f, x => x.Code == "FINGERPRINT_INTERLEAVING");
    }

    [Fact]
    public void An_upgrade_that_changes_the_user_agent_once_does_not_fire()
    {
        Assert.Empty(Run(Pattern("AAAAAAABBBBBBB", (ch, i) => Of("81.2.69.10", T0 + (i * 10_000), ua: ch == 'A' ? "ccxt/4.3" : "ccxt/4.4"))));
    }

    [Fact]
    public void Two_devices_with_the_same_user_agent_are_told_apart_by_their_clock_offsets()
    {
        var f = Run(Pattern("AAABBBAAABBB", (ch, i) =>
        {
            long ts = T0 + (i * 10_000);
            return Of("81.2.69.10", ts, ua: "ccxt/4.4", clientTs: ch == 'A' ? ts - 300 : ts + 4_700);
        }));
        Assert.Contains(f, x => x.Code == "FINGERPRINT_INTERLEAVING");
    }

    [Fact]
    public void A_one_off_request_from_another_client_is_not_a_stable_fingerprint()
    {
        Assert.Empty(Run(Pattern("AAAAABAAAAABAAAAA", (ch, i) => Of("81.2.69.10", T0 + (i * 10_000), ua: ch == 'A' ? "bot/1" : "curl/8"))));
    }

    [Fact]
    public void Slightly_out_of_order_requests_of_two_interleaved_clients_still_fire()
    {
        // The same interleaving, with every third request arriving a few seconds late.
        var ordered = Pattern("AAABBBAAABBB", (ch, i) => Of("81.2.69.10", T0 + (i * 10_000), ua: ch == 'A' ? "python-requests/2.32" : "ccxt/4.4")).ToList();
        var shuffled = ordered.Select((c, i) => (c, key: i % 3 == 2 ? i + 1.5 : i)).OrderBy(x => x.key).Select(x => x.c);
        Assert.Contains(Run(shuffled), x => x.Code == "FINGERPRINT_INTERLEAVING");
    }

    [Fact]
    public void Interleavings_older_than_the_lookback_do_not_count()
    {
        var early = Pattern("AAABBBAAA", (ch, i) => Of("81.2.69.10", T0 + (i * 10_000), ua: ch == 'A' ? "x/1" : "y/1"));
        var late = Pattern("B", (_, i) => Of("81.2.69.10", T0 + Rule.LookbackMs + 200_000 + i, ua: "y/1"));
        Assert.DoesNotContain(Run(early.Concat(late)).Skip(1), x => x.WindowEnd > T0 + Rule.LookbackMs);
    }

    [Fact]
    public void Evidence_names_the_stable_fingerprints_by_user_agent_TLS_and_clock_mode()
    {
        var f = Run(Pattern("AAABBBAAABBB", (ch, i) =>
        {
            long ts = T0 + (i * 10_000);
            return ch == 'A'
                ? Of("81.2.69.10", ts, ua: "ccxt/4.4", tls: "t13d", clientTs: ts - 300)
                : Of("81.2.69.10", ts, ua: "ccxt/4.4", clientTs: ts + 4_700);
        }));
        var finding = f.First(x => x.Code == "FINGERPRINT_INTERLEAVING");
        Assert.Equal(["ccxt/4.4|t13d|clock0", "ccxt/4.4||clock-5"], finding.Reason.Subjects);
    }

    [Fact]
    public void Requests_without_a_client_time_have_their_own_clock_mode()
    {
        var f = Run(Pattern("AAABBBAAABBB", (ch, i) =>
        {
            long ts = T0 + (i * 10_000);
            return Of("81.2.69.10", ts, ua: "ccxt/4.4", clientTs: ch == 'A' ? ts : null);
        }));
        Assert.Equal(["ccxt/4.4||clock0", "ccxt/4.4||clock?"], f.First(x => x.Code == "FINGERPRINT_INTERLEAVING").Reason.Subjects);
    }

    /// <summary>Regression (hostile key): every switch back within the 30 min lookback was kept, megabytes of state for a key switching clients every millisecond.</summary>
    [Fact]
    public void Switches_back_are_remembered_up_to_a_fixed_number_and_still_fire()
    {
        var agg = new FingerprintDiversityAggregate();
        var findings = new List<SignalFinding>();
        for (int i = 0; i < 20_000; i++) agg.OnAccess(Of("81.2.69.10", T0 + i, ua: (i / 3 % 2) == 0 ? "bot/a" : "bot/b"), Rule, findings);

        Assert.Equal(FingerprintDiversityAggregate.MaxInterleavings, agg.Interleavings);
        Assert.Equal(2, agg.Tracked);
        Assert.Contains(findings, f => f.Code == "FINGERPRINT_INTERLEAVING");
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) agg.WriteTo(w);
        Assert.True(ms.Length < 4096, $"{ms.Length} bytes");
    }
}

