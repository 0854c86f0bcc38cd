using KeyShareDetector.Detection.Windows;

namespace KeyShareDetector.Detection.Fleet;

/// <summary>Cross-account infrastructure: distinct accounts behind one IP, /24 (or /64), or client fingerprint.</summary>
public sealed record CrossAccountRule
{
    public HoppingWindowSpec Window { get; init; } = new(SizeMs: 600_000, HopMs: 60_000, GraceMs: 30_000);
    /// <summary>Distinct accounts on one IP within a window (0 turns the dimension off).</summary>
    public int MinAccountsPerIp { get; init; } = 3;
    public int MinAccountsPerPrefix { get; init; } = 5;
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
