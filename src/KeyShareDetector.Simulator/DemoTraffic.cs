using System.Globalization;
using KeyShareDetector.Contracts;

namespace KeyShareDetector.Simulator;

/// <summary>
/// A small labelled mix for the walking-skeleton demo: retail keys whose IPs churn inside their own carrier
/// network, and keys lent to other people who use them at the same time from distant networks.
/// Deterministic by seed.
/// </summary>
public sealed class DemoTraffic
{
    /// <summary>2026-01-01T00:00:00Z: simulated event time starts here so runs are reproducible.</summary>
    public const long DefaultStart = 1_767_225_600_000;

    private static readonly string[] Agents =
    [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/141.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Mobile/15E148",
        "python-requests/2.32.3",
        "ccxt/4.4.20 (+https://github.com/ccxt/ccxt) Node.js/20",
    ];

    private static readonly string[] Endpoints = ["/v1/orders", "/v1/accounts", "/v1/ticker", "/v1/orderbook"];

    public DemoTraffic(int seed, int retailKeys, int lentKeys, long start, long durationMs)
    {
        if (retailKeys < 0 || lentKeys < 0) throw new ArgumentOutOfRangeException(nameof(retailKeys), "population sizes must be >= 0");
        if (durationMs <= 0) throw new ArgumentOutOfRangeException(nameof(durationMs), "duration must be > 0");
        var rng = new Random(seed);
        var labels = new List<KeyLabel>();
        var events = new List<AccessEvent>();
        for (int i = 0; i < retailKeys + lentKeys; i++)
        {
            bool lent = i >= retailKeys;
            string key = string.Create(CultureInfo.InvariantCulture, $"key-{i:D5}");
            string account = string.Create(CultureInfo.InvariantCulture, $"acct-{i:D5}");
            long abuseStart = start + (durationMs / 4);
            labels.Add(new KeyLabel(key, account, lent ? Populations.Lent : Populations.Retail, lent ? abuseStart : null));
            string agent = Agents[rng.Next(Agents.Length)];
            int home = rng.Next(1, 223);
            int homeSub = rng.Next(256);
            int homeNet = rng.Next(256);
            // One request every 5-20 s from the owner, churning inside the owner's /24 (CGNAT pool, home router).
            for (long t = start + rng.Next(20_000); t < start + durationMs; t += rng.Next(5_000, 20_000))
            {
                string ip = string.Create(CultureInfo.InvariantCulture, $"{home}.{homeSub}.{homeNet}.{rng.Next(1, 255)}");
                events.Add(Access(rng, key, account, t, ip, agent, "s-" + key));
            }
            if (!lent) continue;
            // Borrowers in two other cities use the key at the same time, each from their own network.
            for (int borrower = 1; borrower <= 2; borrower++)
            {
                int net = (home + (borrower * 67)) % 222 + 1;
                string otherAgent = Agents[(Array.IndexOf(Agents, agent) + borrower) % Agents.Length];
                for (long t = abuseStart + rng.Next(10_000); t < start + durationMs; t += rng.Next(4_000, 12_000))
                {
                    string ip = string.Create(CultureInfo.InvariantCulture, $"{net}.{(homeSub + borrower * 31) % 256}.{rng.Next(256)}.{rng.Next(1, 255)}");
                    events.Add(Access(rng, key, account, t, ip, otherAgent, string.Create(CultureInfo.InvariantCulture, $"s-{key}-b{borrower}")));
                }
            }
        }
        events.Sort(static (a, b) => a.Ts != b.Ts ? a.Ts.CompareTo(b.Ts) : string.CompareOrdinal(a.EventId, b.EventId));
        Labels = labels;
        Events = events;
    }

    public IReadOnlyList<KeyLabel> Labels { get; }

    /// <summary>Access events in event-time order.</summary>
    public IReadOnlyList<AccessEvent> Events { get; }

    private static AccessEvent Access(Random rng, string key, string account, long t, string ip, string agent, string session) => new()
    {
        EventId = string.Create(CultureInfo.InvariantCulture, $"{key}-{t}-{rng.Next():x8}"),
        Ts = t,
        ApiKeyId = key,
        AccountId = account,
        Ip = ip,
        UserAgent = agent,
        SessionId = session,
        Endpoint = Endpoints[rng.Next(Endpoints.Length)],
        Method = "GET",
        Status = 200,
    };
}
