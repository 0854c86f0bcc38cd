using KeyShareDetector.Contracts;

namespace KeyShareDetector.Streams.Topology;

/// <summary>An input record after parsing and validation: either a usable event or a dead letter.</summary>
/// <remarks><see cref="NeedsRekey"/>: the record had no key, so it may sit on another partition than the rest of
/// its key's records; it goes through an internal repartition topic keyed by its api key id.</remarks>
public sealed record InboundRecord(AccessEvent? Access, DeadLetter? DeadLetter, bool NeedsRekey = false)
{
    public static InboundRecord Ok(AccessEvent e, bool needsRekey) => new(e, null, needsRekey);

    public static InboundRecord Dead(DeadLetter d) => new(null, d);
}
