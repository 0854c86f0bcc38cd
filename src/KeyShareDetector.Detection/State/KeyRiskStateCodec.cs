using System.Text;
using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.Signals;
using KeyShareDetector.Detection.Signals.Spoofing;

namespace KeyShareDetector.Detection.State;

/// <summary>Versioned binary encoding of <see cref="KeyRiskState"/> for state stores and changelogs.</summary>
public static class KeyRiskStateCodec
{
    private const byte FormatV5 = 5;
    /// <summary>Format 6 adds the key's known clients to its fleet memory; format 5 state still reads (no clients known).</summary>
    private const byte FormatV6 = 6;
    /// <summary>Format 7 adds whether the fresh network came with a new client and its trade count; format 6 state reads with neither.</summary>
    private const byte FormatV7 = 7;
    /// <summary>
    /// Format 8 is format 7's layout written through <see cref="CompactBinaryWriter"/> (varints, timestamps as deltas
    /// from the key's stream time, each string once): the same fields, about a third of the bytes. Formats 5-7 still read.
    /// </summary>
    private const byte FormatV8 = 8;
    /// <summary>
    /// Format 9 is format 8 with the spoofing aggregate stored apart: its stream time, the oldest record it holds and
    /// its snapshot figures, then the rest encoded on its own (own string table, timestamps against its own base), so
    /// that a record that does not need the aggregate (an API call) neither decodes it nor encodes it again: the rest's
    /// bytes are written back as read. Formats 5-8 still read.
    /// </summary>
    private const byte FormatV9 = 9;

    /// <summary>The format <see cref="Encode(KeyRiskState)"/> writes.</summary>
    public const byte CurrentFormat = FormatV9;

    // The spoofing rest of a decoded aggregate, encoded before the state itself (the compact writer's string table and
    // buffer are per thread and in use while the state is written).
    [ThreadStatic]
    private static MemoryStream? t_spoofingScratch;

    public static byte[] Encode(KeyRiskState s)
    {
        using var ms = new MemoryStream(512);
        return Encode(s, ms);
    }

    /// <summary>
    /// Same bytes as <see cref="Encode(KeyRiskState)"/>, written through <paramref name="scratch"/> (emptied first), so
    /// a caller encoding many states reuses one grown buffer instead of regrowing a new one from 512 bytes each time.
    /// </summary>
    public static byte[] Encode(KeyRiskState s, MemoryStream scratch) => EncodeInPlace(s, scratch).ToArray();

    /// <summary>
    /// Same bytes as <see cref="Encode(KeyRiskState)"/>, left in <paramref name="scratch"/> (emptied first; must be an
    /// expandable stream) and returned as a view of its buffer, valid until the scratch is written again: for a caller
    /// that copies them on anyway (the stream stage prepends its applied-offsets header), one copy fewer per record.
    /// </summary>
    public static ArraySegment<byte> EncodeInPlace(KeyRiskState s, MemoryStream scratch) => EncodeInPlace(s, scratch, CurrentFormat);

    /// <summary>Formats <see cref="EncodeInPlace(KeyRiskState, MemoryStream, byte)"/> writes: the current one and the one before it.</summary>
    public static bool IsWritable(byte format) => format is FormatV8 or FormatV9;

    /// <summary>
    /// <see cref="EncodeInPlace(KeyRiskState, MemoryStream)"/> in <paramref name="format"/> (8 or 9): format 8 lets a
    /// deployment upgrade in two steps, so that no instance ever reads a format its version does not know (see the
    /// runbook, "Upgrading across a key state format").
    /// </summary>
    public static ArraySegment<byte> EncodeInPlace(KeyRiskState s, MemoryStream scratch, byte format)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(scratch);
        if (!IsWritable(format)) throw new ArgumentOutOfRangeException(nameof(format), format, "key state format 8 or 9");
        if (format == FormatV8)
        {
            scratch.SetLength(0);
            scratch.WriteByte(FormatV8);
            using (var w8 = new CompactBinaryWriter(scratch, leaveOpen: true))
            {
                WriteBody(w8, s, compact: w8, spoofing: null);
            }
            return new ArraySegment<byte>(scratch.GetBuffer(), 0, (int)scratch.Length);
        }
        var spoofing = SpoofingBody(s);
        scratch.SetLength(0);
        scratch.WriteByte(FormatV9);
        using (var w = new CompactBinaryWriter(scratch, leaveOpen: true))
        {
            WriteBody(w, s, compact: w, spoofing);
        }
        return new ArraySegment<byte>(scratch.GetBuffer(), 0, (int)scratch.Length);
    }

    /// <summary>Format 8: what a deployment writes while it upgrades (Detector:KeyStateFormat), and what tests check old states against.</summary>
    public static byte[] EncodeV8(KeyRiskState s)
    {
        using var ms = new MemoryStream(512);
        return EncodeInPlace(s, ms, FormatV8).ToArray();
    }

    /// <summary>The spoofing rest in format 9: as stored when the aggregate was not decoded, else encoded now.</summary>
    private static ArraySegment<byte> SpoofingBody(KeyRiskState s)
    {
        if (s.StoredSpoofing is { } stored) return stored.Body;
        var a = s.Spoofing;
        // Kept per thread unless a hostile key's aggregate grew it past 1 MB (as the compact writer's own buffer).
        var ms = t_spoofingScratch is { Capacity: <= 1 << 20 } kept ? kept : t_spoofingScratch = new MemoryStream(1024);
        ms.SetLength(0);
        using (var w = new CompactBinaryWriter(ms, leaveOpen: true))
        {
            // Its own base: the last processed record's time, which only moves when the rest changes too.
            long baseTs = a.ProcessedThrough == long.MinValue ? 0 : a.ProcessedThrough;
            w.Write(baseTs);
            w.Base = baseTs;
            a.WriteBodyTo(w);
        }
        return new ArraySegment<byte>(ms.GetBuffer(), 0, (int)ms.Length);
    }

    private static void WriteSpoofing(BinaryWriter w, KeyRiskState s, ArraySegment<byte> body)
    {
        var stored = s.StoredSpoofing;
        long streamTime = stored?.StreamTime ?? s.Spoofing.StreamTime;
        long? oldest = stored is not null ? stored.OldestHeldTs : s.Spoofing.OldestHeldTs;
        var f = stored?.Figures ?? SpoofingFigures.Of(s.Spoofing, s.SpoofingRule);
        w.Write(streamTime);
        w.Write(oldest.HasValue);
        if (oldest is { } o) w.Write(o);
        w.Write(f.Placed);
        w.Write(f.Cancelled);
        w.Write(f.OrderToTradeRatio);
        w.Write(f.CyclesInWindow);
        w.Write(f.CycleWindowMs);
        w.Write(f.CapExceeded);
        w.Write(body.Count);
        w.Write(body.AsSpan());
    }

    private static SpoofingSection ReadSpoofing(CompactBinaryReader r)
    {
        long streamTime = r.ReadInt64();
        long? oldest = r.ReadBoolean() ? r.ReadInt64() : null;
        var figures = new SpoofingFigures(r.ReadInt64(), r.ReadInt64(), r.ReadDouble(), r.ReadInt32(), r.ReadInt64(), r.ReadBoolean());
        int length = r.ReadInt32();
        if (length < 0) throw new InvalidDataException($"negative spoofing length {length} in key state");
        return new SpoofingSection(streamTime, oldest, figures, r.ReadSegment(length));
    }

    /// <summary>Format 7 (plain <see cref="BinaryWriter"/> layout), kept so tests can check that old states still read and
    /// decide alike, and the state bench can compare sizes and costs.</summary>
    public static byte[] EncodeV7(KeyRiskState s)
    {
        ArgumentNullException.ThrowIfNull(s);
        using var ms = new MemoryStream(512);
        ms.WriteByte(FormatV7);
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            WriteBody(w, s, compact: null, spoofing: null);
        }
        return ms.ToArray();
    }

    /// <summary>
    /// Bytes each part of <paramref name="s"/> takes in format 7 or 8 (<paramref name="format"/>), in layout order, the
    /// format byte included in the first: what the state bench reports (where a key's bytes go).
    /// </summary>
    public static IReadOnlyList<(string Part, int Bytes)> MeasureParts(KeyRiskState s, byte format)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (format is not (FormatV7 or FormatV8 or FormatV9)) throw new ArgumentOutOfRangeException(nameof(format), format, "format 7, 8 or 9");
        ArraySegment<byte>? spoofing = null;
        if (format == FormatV9) spoofing = new ArraySegment<byte>(SpoofingBody(s).ToArray());
        using var ms = new MemoryStream(512);
        ms.WriteByte(format);
        var parts = new List<(string, int)>();
        long last = 0;
        using var w = format >= FormatV8 ? new CompactBinaryWriter(ms, leaveOpen: true) : new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true);
        WriteBody(w, s, w as CompactBinaryWriter, spoofing, part =>
        {
            w.Flush();
            parts.Add((part, (int)(ms.Position - last)));
            last = ms.Position;
        });
        return parts;
    }

    private static void WriteBody(BinaryWriter w, KeyRiskState s, CompactBinaryWriter? compact, ArraySegment<byte>? spoofing, Action<string>? done = null)
    {
        w.Write(s.ApiKeyId);
        w.Write(s.AccountId);
        w.Write(s.StreamTime);
        // Format 8: later longs may be written as deltas from the key's stream time.
        if (compact is not null) compact.Base = s.StreamTime == long.MinValue ? 0 : s.StreamTime;
        w.Write(s.Events);
        w.Write(s.LateRecords);
        s.Ladder.WriteTo(w);
        w.Write(s.LastScore);
        w.Write(s.LastSnapshotBucket);
        done?.Invoke("header");
        WriteRegistry(w, s.Registry);
        done?.Invoke("registry");
        s.IpDiversity.WriteTo(w);
        done?.Invoke("ip_diversity");
        s.Unregistered.WriteTo(w);
        done?.Invoke("unregistered");
        s.Travel.WriteTo(w);
        done?.Invoke("travel");
        s.Sessions.WriteTo(w);
        done?.Invoke("sessions");
        s.Fingerprints.WriteTo(w);
        done?.Invoke("fingerprints");
        if (spoofing is { } body) WriteSpoofing(w, s, body);
        else s.Spoofing.WriteTo(w);
        done?.Invoke("spoofing");
        s.Fleet.WriteTo(w);
        done?.Invoke("fleet_memory");
        w.Write(s.Active.Count);
        foreach (var (_, a) in s.Active)
        {
            WriteFinding(w, a.Finding);
            w.Write(a.SeenAt);
        }
        done?.Invoke("active_findings");
    }

    /// <summary>The state in <paramref name="data"/>, read from a copy (the caller may reuse its buffer at once).</summary>
    public static KeyRiskState Decode(ReadOnlySpan<byte> data, DetectionPolicy policy) => Decode(new ArraySegment<byte>(data.ToArray()), policy);

    /// <summary>
    /// The state in <paramref name="data"/>, read in place (no copy of the bytes first). In format 9 the state keeps a
    /// view of <paramref name="data"/>'s array for its undecoded spoofing aggregate, so the array must not change while
    /// the state is in use: give it a stored value that is replaced, never rewritten (a state store's value), not a
    /// reused buffer such as <see cref="EncodeInPlace(KeyRiskState, MemoryStream)"/>'s scratch; otherwise use the
    /// <see cref="ReadOnlySpan{T}"/> overload, which copies.
    /// </summary>
    public static KeyRiskState Decode(ArraySegment<byte> data, DetectionPolicy policy) => Decode(data, policy, reuse: null);

    /// <summary>
    /// <see cref="Decode(ArraySegment{byte}, DetectionPolicy)"/>, read into <paramref name="reuse"/> when given (which is
    /// emptied first and returned): for a caller that decodes one key's state per record and is done with the previous
    /// one before the next (the per-key stream stage), so the aggregates' lists and tables are not built again for every
    /// record. Whatever <paramref name="reuse"/> held before, the state returned is the one <paramref name="data"/>
    /// holds, exactly as a new one would read it.
    /// </summary>
    public static KeyRiskState Decode(ArraySegment<byte> data, DetectionPolicy policy, KeyRiskState? reuse)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (data.Count == 0) throw new InvalidDataException("empty key state");
        byte format = data[0];
        if (format is not (FormatV5 or FormatV6 or FormatV7 or FormatV8 or FormatV9)) throw new InvalidDataException($"unknown key state format {format}");
        byte[] bytes = data.Array!;
        int start = data.Offset + 1, count = data.Count - 1;
        var compact = format >= FormatV8 ? new CompactBinaryReader(bytes, start, count) : null;
        using var r = compact ?? new BinaryReader(new MemoryStream(bytes, start, count, writable: false), Encoding.UTF8);
        string apiKeyId = r.ReadString();
        var s = reuse?.ResetForDecoding(apiKeyId, policy) ?? KeyRiskState.ForDecoding(apiKeyId, policy);
        s.AccountId = r.ReadString();
        s.StreamTime = r.ReadInt64();
        if (compact is not null) compact.Base = s.StreamTime == long.MinValue ? 0 : s.StreamTime;
        s.Events = r.ReadInt64();
        s.LateRecords = r.ReadInt64();
        s.Ladder.ReadFrom(r);
        s.LastScore = r.ReadDouble();
        s.LastSnapshotBucket = r.ReadInt64();

        s.Registry = ReadRegistry(r);
        s.IpDiversity = IpDiversityAggregate.Read(r, reuse?.IpDiversity);
        s.Unregistered.ReadFrom(r);
        s.Travel.ReadFrom(r);
        s.Sessions.ReadFrom(r);
        s.Fingerprints.ReadFrom(r);
        if (format == FormatV9) s.SetSpoofingSection(ReadSpoofing(compact!));
        else s.Spoofing = SpoofingAggregate.ReadFrom(r);
        s.Fleet.ReadFrom(r, withClients: format >= FormatV6, withFreshUse: format >= FormatV7);
        int n = r.ReadInt32();
        for (int i = 0; i < n; i++)
        {
            var f = ReadFinding(r);
            s.Active[f.Code] = new ActiveFinding(f, r.ReadInt64());
        }
        return s;
    }

    private static void WriteRegistry(BinaryWriter w, KeyRegistryRecord? reg)
    {
        w.Write(reg is not null);
        if (reg is null) return;
        w.Write(reg.ApiKeyId);
        w.Write(reg.AccountId);
        w.Write(reg.AllowedCidrs.Count);
        foreach (var c in reg.AllowedCidrs) w.Write(c);
        w.Write(reg.Permissions.Count);
        foreach (var p in reg.Permissions) w.Write((byte)p);
        w.Write((byte)reg.Status);
        w.Write(reg.CreatedAt);
        w.Write(reg.ExpiresAt ?? long.MinValue);
        w.Write(reg.PlatformId ?? "");
    }

    private static KeyRegistryRecord? ReadRegistry(BinaryReader r)
    {
        if (!r.ReadBoolean()) return null;
        string key = r.ReadString();
        string account = r.ReadString();
        var cidrs = new string[r.ReadInt32()];
        for (int i = 0; i < cidrs.Length; i++) cidrs[i] = r.ReadString();
        var perms = new Permission[r.ReadInt32()];
        for (int i = 0; i < perms.Length; i++) perms[i] = (Permission)r.ReadByte();
        var status = (KeyStatus)r.ReadByte();
        long created = r.ReadInt64();
        long expires = r.ReadInt64();
        string platform = r.ReadString();
        return new KeyRegistryRecord
        {
            ApiKeyId = key, AccountId = account, AllowedCidrs = cidrs, Permissions = perms, Status = status, CreatedAt = created,
            ExpiresAt = expires == long.MinValue ? null : expires, PlatformId = platform.Length == 0 ? null : platform,
        };
    }

    public static void WriteFinding(BinaryWriter w, SignalFinding f)
    {
        w.Write(f.Code);
        w.Write(f.Strength);
        w.Write(f.WindowStart);
        w.Write(f.WindowEnd);
        w.Write(f.Hard);
        WriteReason(w, f.Reason);
    }

    public static SignalFinding ReadFinding(BinaryReader r)
    {
        string code = r.ReadString();
        double strength = r.ReadDouble();
        long start = r.ReadInt64();
        long end = r.ReadInt64();
        bool hard = r.ReadBoolean();
        return new SignalFinding(code, strength, start, end, ReadReason(r), hard);
    }

    internal static void WriteReason(BinaryWriter w, Reason reason)
    {
        w.Write(reason.Code);
        w.Write(reason.Summary);
        w.Write(reason.Metrics.Count);
        foreach (var m in reason.Metrics)
        {
            w.Write(m.Name);
            w.Write(m.Value);
        }
        w.Write(reason.Subjects.Count);
        foreach (var s in reason.Subjects) w.Write(s);
    }

    internal static Reason ReadReason(BinaryReader r)
    {
        string code = r.ReadString();
        string summary = r.ReadString();
        var metrics = new Metric[r.ReadInt32()];
        for (int i = 0; i < metrics.Length; i++) metrics[i] = new Metric { Name = r.ReadString(), Value = r.ReadDouble() };
        var subjects = new string[r.ReadInt32()];
        for (int i = 0; i < subjects.Length; i++) subjects[i] = r.ReadString();
        return new Reason { Code = code, Summary = summary, Metrics = metrics, Subjects = subjects };
    }
}
