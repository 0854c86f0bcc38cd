using System.Globalization;
using KeyShareDetector.Contracts;

namespace KeyShareDetector.Detection.Signals;

/// <summary>
/// Thresholds of the permission-probe rule: a request for a permission the key was never granted (a withdrawal on a
/// trade key), from a hosting/VPN network or from outside the exchange's home market and the owner's country. The
/// exchange refuses it (403); an owner's own app or script knows what their key may do, a stolen key's script tries.
/// </summary>
public sealed record PermissionProbeRule
{
    /// <summary>Weight of one probe (strength 1): at the warning score, so a probe alone warns and never revokes.</summary>
    public double Weight { get; init; } = 50;
    /// <summary>Permissions whose use without the grant is a probe. TRADE is left out: a read-only key's owner may press "buy" in an app.</summary>
    public IReadOnlyList<Permission> Permissions { get; init; } = [Permission.WITHDRAW];

    public IEnumerable<string> Validate()
    {
        if (Weight < 0) yield return "permissionProbe.weight: must be >= 0";
        if (Permissions is null) yield return "permissionProbe.permissions: must be a list";
    }
}

/// <summary>Decides a permission probe from one request and the key's registry record; keeps no state.</summary>
public static class PermissionProbe
{
    public const string Code = "PERMISSION_PROBE";

    /// <param name="ownerCountry">Country of the owner's registered traffic or allowlist, if known.</param>
    /// <param name="homeCountries">The exchange's home market.</param>
    public static void OnAccess(AccessContext ctx, KeyRegistryRecord? registry, string? ownerCountry, IReadOnlyList<string> homeCountries, PermissionProbeRule rule, List<SignalFinding> findings)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(homeCountries);
        ArgumentNullException.ThrowIfNull(findings);
        if (rule.Weight <= 0 || registry?.Permissions is not { } granted || ctx.Registered || ctx.PlatformTraffic) return;
        if (granted.Contains(ctx.Permission) || !rule.Permissions.Contains(ctx.Permission)) return;
        string? country = ctx.Geo.Country;
        bool abroad = country is not null && !homeCountries.Contains(country, StringComparer.Ordinal) &&
                      (ownerCountry is null || !string.Equals(ownerCountry, country, StringComparison.Ordinal));
        if (!ctx.Geo.IsHosting && !abroad) return;
        long ts = ctx.Event.Ts;
        findings.Add(new SignalFinding(Code, 1.0, ts, ts,
            Evidence.Of(Code,
                string.Create(CultureInfo.InvariantCulture,
                    $"{ctx.Permission} request on a key granted only {string.Join("/", granted.Distinct().Order())}, from {ctx.Network}{(ctx.Geo.IsHosting ? " (hosting/VPN)" : "")} in {country ?? "??"}; status {ctx.Event.Status?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}"),
                [("ts", ts)],
                [ctx.Event.Ip, ctx.Network, country ?? "??", ctx.Event.Method + " " + ctx.Event.Endpoint])));
    }
}
