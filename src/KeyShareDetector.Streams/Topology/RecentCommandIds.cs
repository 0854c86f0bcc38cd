namespace KeyShareDetector.Streams.Topology;

/// <summary>
/// The newest command ids the breaker has passed, so a command decided again (the per-key stage re-decided an input
/// whose state write was lost with a crashed transaction) is not published twice. Bounded: the oldest id is
/// forgotten past <see cref="Capacity"/>; a command is only decided again within a restart's catch-up, long
/// before that many other commands have passed.
/// </summary>
public sealed class RecentCommandIds
{
    /// <summary>Ids remembered.</summary>
    public const int Capacity = 1024;

    private const byte Format = 1;
    private readonly Queue<string> _order = new();
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);

    public int Count => _order.Count;

    public bool Contains(string commandId) => _ids.Contains(commandId);

    /// <summary>Remembers <paramref name="commandId"/>; false when it was already remembered.</summary>
    public bool Add(string commandId)
    {
        if (!_ids.Add(commandId)) return false;
        _order.Enqueue(commandId);
        if (_order.Count > Capacity) _ids.Remove(_order.Dequeue());
        return true;
    }

    public void WriteTo(BinaryWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.Write(Format);
        w.Write(_order.Count);
        foreach (var id in _order) w.Write(id);
    }

    public static RecentCommandIds ReadFrom(BinaryReader r)
    {
        ArgumentNullException.ThrowIfNull(r);
        byte format = r.ReadByte();
        if (format != Format) throw new InvalidDataException($"unknown recent command ids format {format}");
        var ids = new RecentCommandIds();
        int n = r.ReadInt32();
        for (int i = 0; i < n; i++) ids.Add(r.ReadString());
        return ids;
    }
}
