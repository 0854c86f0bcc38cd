namespace KeyShareDetector.Simulator;

/// <summary>Ground-truth population labels written beside simulated traffic.</summary>
public static class Populations
{
    public const string Retail = "retail";
    public const string Lent = "lent";

    public static bool IsAbusive(string population) => population is Lent;
}

/// <summary>Which population a simulated key belongs to, and from when (event time) it is abused.</summary>
public sealed record KeyLabel(string ApiKeyId, string AccountId, string Population, long? AbuseStartsAt);
