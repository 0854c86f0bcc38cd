using System.Text;
using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Policy;

namespace KeyShareDetector.Detection.State;

/// <summary>Versioned binary encoding of <see cref="KeyRiskState"/> for state stores and changelogs.</summary>
public static class KeyRiskStateCodec
{
    private const byte FormatV1 = 1;

    public static byte[] Encode(KeyRiskState s)
    {
        ArgumentNullException.ThrowIfNull(s);
        using var ms = new MemoryStream(256);
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(FormatV1);
            w.Write(s.ApiKeyId);
            w.Write(s.AccountId);
            w.Write(s.StreamTime);
            w.Write(s.ExpiredThroughBucket);
            w.Write(s.Events);
            w.Write(s.LateRecords);
            w.Write((byte)s.Ladder);
            s.IpDiversity.Ips.WriteTo(w);
            s.IpDiversity.Prefixes.WriteTo(w);
        }
        return ms.ToArray();
    }

    public static KeyRiskState Decode(ReadOnlySpan<byte> data, DetectionPolicy policy)
    {
        using var ms = new MemoryStream(data.ToArray(), writable: false);
        using var r = new BinaryReader(ms, Encoding.UTF8);
        byte format = r.ReadByte();
        if (format != FormatV1) throw new InvalidDataException($"unknown key state format {format}");
        var s = new KeyRiskState(r.ReadString(), policy)
        {
            AccountId = r.ReadString(),
            StreamTime = r.ReadInt64(),
            ExpiredThroughBucket = r.ReadInt64(),
            Events = r.ReadInt64(),
            LateRecords = r.ReadInt64(),
            Ladder = (KeyState)r.ReadByte(),
        };
        s.IpDiversity.Ips.ReadFrom(r);
        s.IpDiversity.Prefixes.ReadFrom(r);
        return s;
    }
}
