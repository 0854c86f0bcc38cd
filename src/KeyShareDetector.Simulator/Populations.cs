namespace KeyShareDetector.Simulator;

/// <summary>Ground-truth population labels written beside simulated traffic.</summary>
public static class Populations
{
    // Legitimate look-alikes: each resembles some abuse on one signal and must not be actioned.

    /// <summary>Retail web/mobile users: home broadband, mobile IP churn inside the carrier ASN (CGNAT), households.</summary>
    public const string Retail = "retail";
    /// <summary>Retail users who take one genuine flight (Seoul to Tokyo, mostly) during the scenario.</summary>
    public const string Traveller = "traveller";
    /// <summary>Market makers: two-sided quotes replaced every few seconds, more than 90% cancelled, no spoof cycles.</summary>
    public const string MarketMaker = "market_maker";
    /// <summary>One owner's bot on several servers in registered cloud CIDRs.</summary>
    public const string MultiServerBot = "multi_server_bot";
    /// <summary>A key delegated to a registered copy-trading / bot platform, used from its published CIDRs.</summary>
    public const string PlatformUser = "platform_user";
    /// <summary>Users who rotate their key (old and new key both carry this label) and re-authenticate.</summary>
    public const string RotatingUser = "rotating_user";

    // Abusive.

    /// <summary>A key lent to another person in another city or country: interleaved use, a second trading style.</summary>
    public const string Lent = "lent";
    /// <summary>A key leaked to an attacker: new networks and countries, withdraw attempts.</summary>
    public const string Leaked = "leaked";
    /// <summary>One of many keys leaked at once and used from a few new IPs (3Commas-like).</summary>
    public const string MassLeak = "mass_leak";
    /// <summary>Repeated place-large, opposite fill, cancel-large cycles.</summary>
    public const string Spoofer = "spoofer";
    /// <summary>Several successive price levels placed together, an opposite fill, all cancelled together.</summary>
    public const string Layering = "layering";
    /// <summary>Spoofing cycles run in step across several accounts by one operator.</summary>
    public const string CoordinatedSpoof = "coordinated_spoof";

    /// <summary>Every population, legitimate ones first, in a fixed order.</summary>
    public static IReadOnlyList<string> All { get; } =
        [Retail, Traveller, MarketMaker, MultiServerBot, PlatformUser, RotatingUser, Lent, Leaked, MassLeak, Spoofer, Layering, CoordinatedSpoof];

    public static bool IsAbusive(string population) =>
        population is Lent or Leaked or MassLeak or Spoofer or Layering or CoordinatedSpoof;

    /// <summary>The spoofing populations (order-flow abuse rather than key sharing).</summary>
    public static bool IsSpoofing(string population) => population is Spoofer or Layering or CoordinatedSpoof;
}

/// <summary>Which population a simulated key belongs to, and from when (event time) it is abused.</summary>
public sealed record KeyLabel(string ApiKeyId, string AccountId, string Population, long? AbuseStartsAt);
