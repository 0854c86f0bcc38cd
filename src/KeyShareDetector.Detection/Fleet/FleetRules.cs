using KeyShareDetector.Detection.Windows;

namespace KeyShareDetector.Detection.Fleet;

/// <summary>Cross-account infrastructure: distinct accounts behind one IP, /24 (or /64), or client fingerprint.</summary>
public sealed record CrossAccountRule
{
    public HoppingWindowSpec Window { get; init; } = new(SizeMs: 600_000, HopMs: 60_000, GraceMs: 30_000);
    /// <summary>Distinct accounts on one IP within a window (0 turns the dimension off).</summary>
    public int MinAccountsPerIp { get; init; } = 3;
    /// <summary>Off by default: offices, universities and carriers share /24s among many accounts legitimately.</summary>
    public int MinAccountsPerPrefix { get; init; }
    /// <summary>Distinct accounts sharing one client fingerprint (user agent + TLS fingerprint; only when a TLS fingerprint is present).</summary>
    /// <remarks>Off by default: the official apps', browsers' and ccxt's user agent + JA3/JA4 pairs are shared by thousands of accounts.</remarks>
    public int MinAccountsPerFingerprint { get; init; }
    /// <summary>Hosting/VPN addresses are shared by design; leave them out of the IP and prefix counts.</summary>
    public bool IgnoreHosting { get; init; } = true;
    /// <summary>Mobile carriers share each public IP among many subscribers (CGNAT); leave them out of the IP and prefix counts.</summary>
    public bool IgnoreMobile { get; init; } = true;
    /// <summary>Further ASNs known to be shared egress (corporate proxies, CGNAT ranges the geo source does not mark).</summary>
    public IReadOnlyList<long> SharedEgressAsns { get; init; } = [];
    /// <summary>Most accounts counted exactly per IP/prefix/fingerprint; beyond it a sketch estimates.</summary>
    public int MaxTrackedAccounts { get; init; } = 256;
    /// <summary>Most keys told about one finding.</summary>
    public int MaxKeysNotified { get; init; } = 64;
    public double Weight { get; init; } = 35;

    public IEnumerable<string> Validate()
    {
        if (Window.Validate() is { } w) yield return "crossAccount.window: " + w;
        if (MinAccountsPerIp is < 0 or 1) yield return "crossAccount.minAccountsPerIp: must be 0 (off) or >= 2";
        if (MinAccountsPerPrefix is < 0 or 1) yield return "crossAccount.minAccountsPerPrefix: must be 0 (off) or >= 2";
        if (MinAccountsPerFingerprint is < 0 or 1) yield return "crossAccount.minAccountsPerFingerprint: must be 0 (off) or >= 2";
        if (MaxTrackedAccounts < 2) yield return "crossAccount.maxTrackedAccounts: must be >= 2";
        if (MaxKeysNotified < 1) yield return "crossAccount.maxKeysNotified: must be >= 1";
    }
}

/// <summary>A key with history used from a network and a country it has never used (a leaked key in new hands).</summary>
public sealed record NewCountryNetworkRule
{
    public double Weight { get; init; } = 35;
    /// <summary>Events a key needs before anything can be new to it.</summary>
    public int MinPriorEvents { get; init; } = 20;
    /// <summary>Strength multiplier when the new network is hosting/VPN (rented servers); below 50/35 so a VPN alone does not warn.</summary>
    public double HostingFactor { get; init; } = 1.4;
    /// <summary>Strength of a new hosting/VPN network in a country the key already used (before the other factors).</summary>
    public double DomesticHostingStrength { get; init; } = 0.7;
    /// <summary>Strength multiplier when the request needs the WITHDRAW permission.</summary>
    public double WithdrawFactor { get; init; } = 2;
    /// <summary>Countries remembered per key.</summary>
    public int KnownCountriesPerKey { get; init; } = 16;
    /// <summary>
    /// Strength multiplier when the request also comes from a client (user agent and TLS fingerprint) the key has never
    /// used: an owner abroad or on a VPN still runs their own app or script, an attacker runs theirs.
    /// </summary>
    public double NewClientFactor { get; init; } = 1.5;
    /// <summary>Clients (user agent and TLS fingerprint) remembered per key, least recently seen forgotten first.</summary>
    public int KnownClientsPerKey { get; init; } = 16;
    /// <summary>
    /// The exchange's home market (ISO country codes): a first use from one of these is not a new-country finding
    /// (owners come home; domestic carriers are expected), only a domestic hosting/VPN network is. DAXA members: KR.
    /// </summary>
    public IReadOnlyList<string> HomeCountries { get; init; } = ["KR"];
    /// <summary>
    /// For this long after a new network raised the finding, a request from it that needs the WITHDRAW permission raises
    /// it again with <see cref="WithdrawFactor"/>: a script that first reads, then tries to withdraw (0 turns it off).
    /// </summary>
    public long FreshNetworkMs { get; init; } = 900_000;
    /// <summary>
    /// Strength multiplier (in place of <see cref="NewClientFactor"/>) for a request the key's allowlist refuses, from a
    /// client the key never used (or a key that has used none yet), on a new hosting/VPN network or in another country
    /// than the owner's; such a request raises the finding even on a key without history. Owners refused abroad or on a
    /// VPN run their own app; a stolen key tried from rented servers runs somebody else's script (0 turns it off).
    /// </summary>
    public double RefusedStrangerFactor { get; init; } = 1.5;
    /// <summary>
    /// Trade requests from the fresh network (within <see cref="FreshNetworkMs"/> of its first use, which came with a client
    /// the key had used none like) that raise the finding again × <see cref="FreshTradeFactor"/>: somebody else's script
    /// trading on the key. An owner who switches a VPN on with their own app reads and trades now and then (0 turns it off).
    /// </summary>
    public int FreshTradesToRaise { get; init; } = 4;
    /// <summary>The trades must come within this long of the fresh network's first use: a script trades at once, an owner now and then.</summary>
    public long FreshTradeWindowMs { get; init; } = 300_000;
    /// <summary>Strength multiplier for the fresh network's trades (see <see cref="FreshTradesToRaise"/>).</summary>
    public double FreshTradeFactor { get; init; } = 1.5;

    public IEnumerable<string> Validate()
    {
        if (Weight < 0) yield return "newCountryNetwork.weight: must be >= 0";
        if (MinPriorEvents < 1) yield return "newCountryNetwork.minPriorEvents: must be >= 1";
        if (HostingFactor < 0 || WithdrawFactor < 0 || NewClientFactor < 0 || RefusedStrangerFactor < 0 || FreshTradeFactor < 0) yield return "newCountryNetwork factors: must be >= 0";
        if (KnownCountriesPerKey < 1) yield return "newCountryNetwork.knownCountriesPerKey: must be >= 1";
        if (KnownClientsPerKey < 1) yield return "newCountryNetwork.knownClientsPerKey: must be >= 1";
        if (FreshNetworkMs < 0) yield return "newCountryNetwork.freshNetworkMs: must be >= 0";
        if (FreshTradesToRaise < 0) yield return "newCountryNetwork.freshTradesToRaise: must be >= 0";
        if (FreshTradeWindowMs < 0) yield return "newCountryNetwork.freshTradeWindowMs: must be >= 0";
        if (HomeCountries is null || HomeCountries.Any(c => c is not { Length: 2 } || !c.All(char.IsAsciiLetterUpper)))
            yield return "newCountryNetwork.homeCountries: must be two-letter upper-case ISO country codes";
    }
}

/// <summary>Mass compromise: many keys used from a network new to each of them within a short window (3Commas-like leak).</summary>
public sealed record MassCompromiseRule
{
    public HoppingWindowSpec Window { get; init; } = new(SizeMs: 600_000, HopMs: 60_000, GraceMs: 30_000);
    /// <summary>Distinct keys first seen on one network within a window (0 turns the signal off).</summary>
    public int MinKeys { get; init; } = 20;
    /// <summary>A key needs this many earlier events before a network can be "new" to it.</summary>
    public int MinPriorEvents { get; init; } = 5;
    /// <summary>Networks remembered per key (least recently seen forgotten first).</summary>
    public int KnownNetworksPerKey { get; init; } = 32;
    public int MaxTrackedKeys { get; init; } = 1024;
    /// <summary>
    /// Count only hosting/VPN networks: a leaked key list is swept from rented servers, while consumer ISPs and
    /// mobile carriers see many keys for the first time every few minutes at exchange scale.
    /// </summary>
    public bool HostingOnly { get; init; } = true;
    public int MaxKeysNotified { get; init; } = 256;
    public double Weight { get; init; } = 50;

    public IEnumerable<string> Validate()
    {
        if (Window.Validate() is { } w) yield return "massCompromise.window: " + w;
        if (MinKeys is < 0 or 1) yield return "massCompromise.minKeys: must be 0 (off) or >= 2";
        if (MinPriorEvents < 0) yield return "massCompromise.minPriorEvents: must be >= 0";
        if (KnownNetworksPerKey < 1) yield return "massCompromise.knownNetworksPerKey: must be >= 1";
        if (MaxTrackedKeys < MinKeys) yield return "massCompromise.maxTrackedKeys: must be >= minKeys";
        if (MaxKeysNotified < 1) yield return "massCompromise.maxKeysNotified: must be >= 1";
    }
}
