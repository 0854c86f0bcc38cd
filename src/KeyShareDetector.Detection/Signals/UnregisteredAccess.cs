using System.Globalization;
using KeyShareDetector.Contracts;

namespace KeyShareDetector.Detection.Signals;

/// <summary>Thresholds of the unregistered-IP rule: any hit counts, weighted by the permission the request used.</summary>
public sealed record UnregisteredAccessRule
{
    public double Weight { get; init; } = 40;
    public double ReadFactor { get; init; } = 0.3;
    public double TradeFactor { get; init; } = 0.7;
    public double WithdrawFactor { get; init; } = 1.0;
    /// <summary>Strength multiplier when the request comes from another country than the owner's (registered traffic, else the allowlist's location).</summary>
    public double AbroadFactor { get; init; } = 1.8;
    /// <summary>How long hits are remembered (ms of event time).</summary>
    public long LookbackMs { get; init; } = 600_000;
    /// <summary>A WITHDRAW from an unregistered IP in another country than the key's registered traffic is hard evidence.</summary>
    public bool WithdrawAbroadIsHard { get; init; } = true;

    public double FactorOf(Permission p) => p switch
    {
        Permission.WITHDRAW => WithdrawFactor,
        Permission.TRADE => TradeFactor,
        _ => ReadFactor,
    };

    public IEnumerable<string> Validate()
    {
        if (Weight < 0) yield return "unregisteredAccess.weight: must be >= 0";
        if (LookbackMs <= 0) yield return "unregisteredAccess.lookbackMs: must be > 0";
        if (ReadFactor < 0 || TradeFactor < 0 || WithdrawFactor < 0 || AbroadFactor < 0) yield return "unregisteredAccess factors: must be >= 0";
    }
}

/// <summary>Requests from outside a key's allowlist, remembered for a lookback period (bounded).</summary>
public sealed class UnregisteredAccessAggregate
{
    /// <summary>Most distinct unregistered IPs remembered per key.</summary>
    public const int Cap = 32;

    private readonly List<(string Ip, long LastSeen, Permission Permission)> _hits = [];

    /// <summary>Country of the most recent request from a registered IP (the owner's place).</summary>
    public string? RegisteredCountry { get; private set; }

    public int Hits => _hits.Count;

    /// <summary>Sets the owner's country from the allowlist's geolocation while no registered request has been seen.</summary>
    public void SeedRegisteredCountry(string country) => RegisteredCountry ??= country;

    public void OnAccess(AccessContext ctx, UnregisteredAccessRule rule, List<SignalFinding> findings)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(findings);
        long ts = ctx.Event.Ts;
        if (ctx.Registered)
        {
            RegisteredCountry = ctx.Geo.Country ?? RegisteredCountry;
            return;
        }
        if (!ctx.HasAllowlist || ctx.PlatformTraffic) return;

        long horizon = ts - rule.LookbackMs;
        int i = -1;
        for (int j = _hits.Count - 1; j >= 0; j--)
        {
            if (_hits[j].LastSeen < horizon) _hits.RemoveAt(j);
        }
        for (int j = 0; j < _hits.Count; j++)
        {
            if (string.Equals(_hits[j].Ip, ctx.Event.Ip, StringComparison.Ordinal)) i = j;
        }
        if (i >= 0)
        {
            var h = _hits[i];
            _hits[i] = (h.Ip, Math.Max(h.LastSeen, ts), (Permission)Math.Max((int)h.Permission, (int)ctx.Permission));
        }
        else
        {
            if (_hits.Count >= Cap) _hits.RemoveAt(0);
            _hits.Add((ctx.Event.Ip, ts, ctx.Permission));
        }

        var strongest = Permission.READ;
        foreach (var h in _hits) if (h.Permission > strongest) strongest = h.Permission;
        bool abroad = RegisteredCountry is not null && ctx.Geo.Country is not null && !string.Equals(RegisteredCountry, ctx.Geo.Country, StringComparison.Ordinal);
        double strength = rule.FactorOf(strongest) * (1 + (0.5 * (_hits.Count - 1))) * (abroad ? rule.AbroadFactor : 1.0);
        bool hard = rule.WithdrawAbroadIsHard && ctx.Permission == Permission.WITHDRAW && abroad;
        var subjects = new List<string>(_hits.Count);
        foreach (var h in _hits) subjects.Add(h.Ip);
        subjects.Sort(StringComparer.Ordinal);
        findings.Add(new SignalFinding("UNREGISTERED_IP", strength, ts - rule.LookbackMs, ts,
            Evidence.Of("UNREGISTERED_IP",
                string.Create(CultureInfo.InvariantCulture,
                    $"{_hits.Count} IP(s) outside the key's allowlist within {rule.LookbackMs / 60_000} min; strongest permission used {strongest}{(abroad && !hard ? $", from {ctx.Geo.Country} while the owner is in {RegisteredCountry}" : "")}{(hard ? $", WITHDRAW from {ctx.Geo.Country} while the owner is in {RegisteredCountry}" : "")}"),
                [("unregistered_ips", _hits.Count), ("permission_factor", rule.FactorOf(strongest)), ("window_start", ts - rule.LookbackMs), ("window_end", ts)],
                subjects),
            hard));
    }

    public void WriteTo(BinaryWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.Write(RegisteredCountry ?? "");
        w.Write(_hits.Count);
        foreach (var (ip, last, p) in _hits)
        {
            w.Write(ip);
            w.Write(last);
            w.Write((byte)p);
        }
    }

    /// <summary>Back to a new aggregate's state (the codec reads another key's state into it).</summary>
    internal void Clear()
    {
        _hits.Clear();
        RegisteredCountry = null;
    }

    public void ReadFrom(BinaryReader r)
    {
        ArgumentNullException.ThrowIfNull(r);
        string c = r.ReadString();
        RegisteredCountry = c.Length == 0 ? null : c;
        int n = r.ReadInt32();
        for (int i = 0; i < n; i++) _hits.Add((r.ReadString(), r.ReadInt64(), (Permission)r.ReadByte()));
    }
}
