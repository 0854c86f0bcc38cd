namespace KeyShareDetector.Detection.Fleet;

/// <summary>What a fleet-level observation is about.</summary>
public enum FleetDimension : byte
{
    /// <summary>An account used this IP.</summary>
    Ip = 1,
    /// <summary>An account used this /24 or /64.</summary>
    Prefix = 2,
    /// <summary>An account used this client fingerprint.</summary>
    Fingerprint = 3,
    /// <summary>A key with history was used from a network it had not used before.</summary>
    NewNetwork = 4,
}

/// <summary>
/// A small fact the per-key stage sends to the fleet stage, keyed by <see cref="FleetKey"/> (the IP, prefix,
/// fingerprint or network), so that facts about many keys meet in one place. De-duplicated per key and hop.
/// </summary>
public readonly record struct FleetObservation(FleetDimension Dimension, string Value, string ApiKeyId, string AccountId, long Ts)
{
    /// <summary>Partitioning key of the fleet stage.</summary>
    public string FleetKey => Dimension switch
    {
        FleetDimension.Ip => "ip:" + Value,
        FleetDimension.Prefix => "net:" + Value,
        FleetDimension.Fingerprint => "fp:" + Value,
        _ => "new:" + Value,
    };
}

/// <summary>A finding the fleet stage addressed to one key, at the event time of the observation that triggered it.</summary>
public readonly record struct FleetFinding(string ApiKeyId, Signals.SignalFinding Finding, long Ts);
