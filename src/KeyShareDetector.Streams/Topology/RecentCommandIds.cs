using System.Buffers.Binary;

namespace KeyShareDetector.Streams.Topology;

/// <summary>
/// The newest command ids the breaker has passed, so a command decided again (the per-key stage re-decided an input
/// whose state write was lost with a crashed transaction) is not published twice. Bounded: the oldest id is
/// forgotten past <see cref="Capacity"/>; a command is only decided again within a restart's catch-up, long
/// before that many other commands have passed.
/// </summary>
/// <remarks>
/// Each id is its own small entry in the breaker's store (<c>passed/{id}</c>), and a ring of <see cref="Capacity"/>
/// slots (<c>slot/{n}</c> → id) says which one to forget next; the count of ids ever passed, which picks the slot,
/// is kept with the breaker's state. Passing a command therefore writes about 100 bytes to the changelog, not the
/// whole list (format 1, up to the third session, rewrote all 1,024 ids, about 34 KB, per command: the breaker fell
/// behind its one-partition topic under a burst of commands).
/// </remarks>
public sealed class RecentCommandIds
{
    /// <summary>Ids remembered.</summary>
    public const int Capacity = 1024;

    /// <summary>Marks the list of ids written inline before the breaker's state (read once, to move it into entries).</summary>
    public const byte InlineFormat = 1;

    /// <summary>Marks the ring's position written before the breaker's state.</summary>
    public const byte RingFormat = 2;

    private const string IdPrefix = "passed/";
    private const string SlotPrefix = "slot/";

    private readonly Func<string, byte[]?> _get;
    private readonly Action<string, byte[]> _put;
    private readonly Action<string> _delete;

    /// <param name="get">Reads an entry of the breaker's store (null when absent).</param>
    /// <param name="put">Writes one.</param>
    /// <param name="delete">Deletes one.</param>
    /// <param name="passed">Ids passed so far (the ring's position, kept with the breaker's state).</param>
    public RecentCommandIds(Func<string, byte[]?> get, Action<string, byte[]> put, Action<string> delete, long passed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(passed);
        _get = get;
        _put = put;
        _delete = delete;
        Passed = passed;
    }

    /// <summary>Ids passed so far (each new one takes slot <c>Passed % Capacity</c>).</summary>
    public long Passed { get; private set; }

    public bool Contains(string commandId) => _get(IdPrefix + commandId) is not null;

    /// <summary>Remembers <paramref name="commandId"/>, forgetting the oldest past capacity; false when it was already remembered.</summary>
    public bool Add(string commandId)
    {
        ArgumentNullException.ThrowIfNull(commandId);
        if (Contains(commandId)) return false;
        int slot = (int)(Passed % Capacity);
        string slotKey = SlotPrefix + slot.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (_get(slotKey) is { } oldest) _delete(IdPrefix + System.Text.Encoding.UTF8.GetString(oldest));
        _put(slotKey, System.Text.Encoding.UTF8.GetBytes(commandId));
        var slotBytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(slotBytes, slot);
        _put(IdPrefix + commandId, slotBytes);
        Passed++;
        return true;
    }

    /// <summary>Writes the ring's position (what goes with the breaker's state).</summary>
    public void WritePosition(BinaryWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.Write(RingFormat);
        w.Write(Passed);
    }

    /// <summary>
    /// Reads the ring's position written by <see cref="WritePosition"/>, or a list of ids in the inline format, whose
    /// ids it then adds as entries, oldest first.
    /// </summary>
    public static RecentCommandIds ReadPosition(BinaryReader r, Func<string, byte[]?> get, Action<string, byte[]> put, Action<string> delete)
    {
        ArgumentNullException.ThrowIfNull(r);
        byte format = r.ReadByte();
        switch (format)
        {
            case RingFormat:
                return new RecentCommandIds(get, put, delete, r.ReadInt64());
            case InlineFormat:
                var ids = new RecentCommandIds(get, put, delete, 0);
                int n = r.ReadInt32();
                if (n < 0 || n > Capacity) throw new InvalidDataException($"recent command ids: {n} ids in the inline format (at most {Capacity})");
                for (int i = 0; i < n; i++) ids.Add(r.ReadString());
                return ids;
            default:
                throw new InvalidDataException($"unknown recent command ids format {format}");
        }
    }
}
