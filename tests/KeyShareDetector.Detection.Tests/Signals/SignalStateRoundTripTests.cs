using System.Text;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.Signals;
using static KeyShareDetector.Detection.Tests.Signals.Ctx;

namespace KeyShareDetector.Detection.Tests.Signals;

/// <summary>
/// WriteTo/ReadFrom of the reworked access aggregates: a state restored halfway through a stream goes on to give
/// exactly the findings (evidence included) and the bytes the uninterrupted one gives.
/// </summary>
public class SignalStateRoundTripTests
{
    private const long Min = 60_000;
    private static readonly DetectionPolicy Policy = DetectionPolicy.Default;

    /// <summary>Sessions in Seoul, Frankfurt and Lagos (some without a session id) coming and going, then all at once.</summary>
    private static AccessContext[] SessionStream()
    {
        GeoInfo[] geos = [Places.Seoul, Places.Frankfurt, Places.Lagos, Places.SeoulMobile];
        string[] ips = ["81.2.69.10", "5.6.7.8", "41.58.1.1", "211.234.1.1"];
        var contexts = new List<AccessContext>();
        long ts = T0;
        for (int i = 0; i < 120; i++)
        {
            int s = (i * 7) % 4;
            ts += i < 50 ? 4 * Min : 10_000;
            contexts.Add(Of(ips[s], ts, geos[s], session: s == 3 ? null : "sess-" + s, ua: "bot/" + s));
        }
        return [.. contexts];
    }

    /// <summary>Two clients (one with a TLS fingerprint and clock, one without) used alternately, with pauses past the lookback.</summary>
    private static AccessContext[] FingerprintStream()
    {
        var contexts = new List<AccessContext>();
        const string Pattern = "AAABBBAAABBBAAAAAAAABBBAAABBB";
        for (int i = 0; i < Pattern.Length; i++)
        {
            long ts = T0 + (i * 10_000) + (i >= 15 ? 2 * 1_800_000 : 0);
            contexts.Add(Pattern[i] == 'A'
                ? Of("81.2.69.10", ts, ua: "python-requests/2.32", tls: "t13d1516h2_8daaf6152771_e5627efa2ab1", clientTs: ts + 1_700)
                : Of("81.2.69.10", ts, ua: "ccxt/4.4"));
        }
        return [.. contexts];
    }

    [Fact]
    public void Concurrent_sessions_restored_halfway_go_on_exactly_like_the_original()
    {
        var contexts = SessionStream();
        var original = new ConcurrentSessionsAggregate();
        AssertSameFuture(contexts, original, (a, c, f) => a.OnAccess(c, Policy.ConcurrentSessions, f),
            (a, w) => a.WriteTo(w), r =>
            {
                var restored = new ConcurrentSessionsAggregate();
                restored.ReadFrom(r);
                Assert.Equal(original.Tracked, restored.Tracked);
                return restored;
            });
    }

    [Fact]
    public void Fingerprint_diversity_restored_halfway_goes_on_exactly_like_the_original()
    {
        AssertSameFuture(FingerprintStream(), new FingerprintDiversityAggregate(), (a, c, f) => a.OnAccess(c, Policy.FingerprintDiversity, f),
            (a, w) => a.WriteTo(w), r =>
            {
                var restored = new FingerprintDiversityAggregate();
                restored.ReadFrom(r);
                return restored;
            });
    }

    [Fact]
    public void Impossible_travel_restored_halfway_goes_on_exactly_like_the_original()
    {
        GeoInfo[] route = [Places.Seoul, Places.Frankfurt, Places.Seoul, Places.Tokyo, Places.Seoul, Places.Lagos];
        var contexts = route.Select((g, i) => Of("81.2.69." + (i + 1), T0 + (i * Min) - (i == 3 ? 90_000 : 0), g)).ToArray();
        AssertSameFuture(contexts, new ImpossibleTravelAggregate(), (a, c, f) => a.OnAccess(c, Policy.ImpossibleTravel, f),
            (a, w) => a.WriteTo(w), r =>
            {
                var restored = new ImpossibleTravelAggregate();
                restored.ReadFrom(r);
                return restored;
            });
    }

    [Fact]
    public void Session_and_fingerprint_states_in_an_older_layout_are_refused()
    {
        // The old layouts began with the Overflowed flag (0 or 1); the current ones with format byte 2.
        byte[] old = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        Assert.Throws<InvalidDataException>(() => new ConcurrentSessionsAggregate().ReadFrom(new BinaryReader(new MemoryStream(old))));
        Assert.Throws<InvalidDataException>(() => new FingerprintDiversityAggregate().ReadFrom(new BinaryReader(new MemoryStream(old))));
    }

    private static void AssertSameFuture<T>(AccessContext[] contexts, T original, Action<T, AccessContext, List<SignalFinding>> onAccess,
        Action<T, BinaryWriter> write, Func<BinaryReader, T> read)
    {
        int half = contexts.Length / 2;
        var ignored = new List<SignalFinding>();
        for (int i = 0; i < half; i++) onAccess(original, contexts[i], ignored);
        var restored = read(new BinaryReader(new MemoryStream(Bytes(original, write)), Encoding.UTF8));
        Assert.Equal(Bytes(original, write), Bytes(restored, write));

        var expected = new List<SignalFinding>();
        var actual = new List<SignalFinding>();
        for (int i = half; i < contexts.Length; i++)
        {
            onAccess(original, contexts[i], expected);
            onAccess(restored, contexts[i], actual);
        }
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Select(Describe), actual.Select(Describe));
        Assert.Equal(Bytes(original, write), Bytes(restored, write));
    }

    private static byte[] Bytes<T>(T aggregate, Action<T, BinaryWriter> write)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true)) write(aggregate, w);
        return ms.ToArray();
    }

    private static string Describe(SignalFinding f) =>
        $"{f.Code} {f.Strength:R} {f.WindowStart}-{f.WindowEnd} hard={f.Hard} '{f.Reason.Summary}' " +
        string.Join(",", f.Reason.Metrics.Select(m => $"{m.Name}={m.Value:R}")) + " [" + string.Join(",", f.Reason.Subjects) + "]";
}
