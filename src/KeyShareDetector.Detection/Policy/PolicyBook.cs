using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Geo;

namespace KeyShareDetector.Detection.Policy;

/// <summary>
/// Every policy version known, each with its engine; an event is decided by the version whose
/// <see cref="DetectionPolicy.EffectiveFrom"/> is the latest at or before the event's time (the earliest version
/// before any). Immutable: an update builds a new book, so readers on stream threads never see a half change.
/// </summary>
public sealed class PolicyBook
{
    private readonly KeyRiskEngine[] _engines;

    private PolicyBook(KeyRiskEngine[] engines, CommandSigner signer, IGeoLookup? geo)
    {
        _engines = engines;
        Signer = signer;
        Geo = geo;
    }

    public CommandSigner Signer { get; }
    public IGeoLookup? Geo { get; }

    public IReadOnlyList<DetectionPolicy> Versions => _engines.Select(e => e.Policy).ToList();

    public static PolicyBook Of(IEnumerable<DetectionPolicy> policies, CommandSigner signer, IGeoLookup? geo = null)
    {
        ArgumentNullException.ThrowIfNull(policies);
        var engines = policies
            .GroupBy(p => p.Version, StringComparer.Ordinal)
            .Select(g => g.Last())
            .OrderBy(p => p.EffectiveFrom)
            .ThenBy(p => p.Version, StringComparer.Ordinal)
            .Select(p => new KeyRiskEngine(p, signer, geo))
            .ToArray();
        if (engines.Length == 0) throw new ArgumentException("a policy book needs at least one policy", nameof(policies));
        return new PolicyBook(engines, signer, geo);
    }

    public static PolicyBook Single(DetectionPolicy policy, CommandSigner signer, IGeoLookup? geo = null) => Of([policy], signer, geo);

    /// <summary>A new book with <paramref name="policy"/> added (replacing a version of the same name).</summary>
    public PolicyBook With(DetectionPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return Of(Versions.Where(p => p.Version != policy.Version).Append(policy), Signer, Geo);
    }

    /// <summary>A new book without the named version (never empty: the last version stays).</summary>
    public PolicyBook Without(string version) =>
        _engines.Length > 1 && _engines.Any(e => e.Policy.Version == version) ? Of(Versions.Where(p => p.Version != version), Signer, Geo) : this;

    /// <summary>The engine deciding events at <paramref name="eventTime"/>.</summary>
    public KeyRiskEngine For(long eventTime)
    {
        var chosen = _engines[0];
        foreach (var e in _engines)
        {
            if (e.Policy.EffectiveFrom <= eventTime) chosen = e;
            else break;
        }
        return chosen;
    }
}
