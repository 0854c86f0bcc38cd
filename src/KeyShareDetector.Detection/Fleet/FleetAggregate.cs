using System.Globalization;
using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Alerts;
using KeyShareDetector.Detection.Signals;
using KeyShareDetector.Detection.State;
using KeyShareDetector.Detection.Windows;

namespace KeyShareDetector.Detection.Fleet;

/// <summary>What one observation changed at the fleet level: findings for keys, and an alert for on-call.</summary>
public sealed record FleetOutcome(IReadOnlyList<FleetFinding> Findings, Alert? Alert)
{
    public static FleetOutcome None { get; } = new([], null);
}

/// <summary>
/// State of one IP, prefix, fingerprint or network across the fleet: distinct accounts (or, for new networks,
/// keys) per hopping window, and the keys involved, so that a finding can be sent back to each of them.
/// Stream time is per fleet key. Bounded: members beyond the cap are estimated, keys beyond it are not notified.
/// </summary>
public sealed class FleetAggregate
{
    private const byte FormatV1 = 1;
    private const byte FormatV2 = 2;

    private readonly Dictionary<string, KeySeen> _keys = new(StringComparer.Ordinal);
    private long _streamTime = long.MinValue;
    private long _expiredThrough = long.MinValue;
    private long _alertedWindowStart = long.MinValue;

    private FleetAggregate(FleetDimension dimension, string value, HoppingWindowSpec window, int cap)
    {
        Dimension = dimension;
        Value = value;
        Window = window;
        Members = new HoppingDistinctCounter(window, cap);
    }

    public static FleetAggregate For(FleetObservation first, CrossAccountRule cross, MassCompromiseRule mass)
    {
        ArgumentNullException.ThrowIfNull(cross);
        ArgumentNullException.ThrowIfNull(mass);
        return first.Dimension == FleetDimension.NewNetwork
            ? new FleetAggregate(first.Dimension, first.Value, mass.Window, mass.MaxTrackedKeys)
            : new FleetAggregate(first.Dimension, first.Value, cross.Window, cross.MaxTrackedAccounts);
    }

    public FleetDimension Dimension { get; }
    public string Value { get; }
    public HoppingWindowSpec Window { get; }
    /// <summary>Accounts (or, for new networks, keys) per hop bucket.</summary>
    public HoppingDistinctCounter Members { get; }

    public FleetOutcome OnObservation(FleetObservation o, CrossAccountRule cross, MassCompromiseRule mass)
    {
        ArgumentNullException.ThrowIfNull(cross);
        ArgumentNullException.ThrowIfNull(mass);
        _streamTime = Math.Max(_streamTime, o.Ts);
        long bucket = Window.BucketOf(o.Ts);
        if (Window.IsClosed(bucket, _streamTime)) return FleetOutcome.None;
        long newest = Window.BucketOf(_streamTime);
        if (newest != _expiredThrough)
        {
            long oldestLive = Math.DivRem(_streamTime - Window.SizeMs - Window.GraceMs, Window.HopMs, out long rem) - (rem < 0 ? 1 : 0) + 1;
            Members.Expire(oldestLive, newest);
            ForgetKeysBefore(Window.WindowStart(oldestLive));
            _expiredThrough = newest;
        }

        bool newNetwork = Dimension == FleetDimension.NewNetwork;
        Members.Add(newNetwork ? o.ApiKeyId : o.AccountId, bucket);
        int keyCap = newNetwork ? mass.MaxTrackedKeys : cross.MaxTrackedAccounts;
        if (_keys.TryGetValue(o.ApiKeyId, out var seen)) _keys[o.ApiKeyId] = seen with { LastSeen = Math.Max(seen.LastSeen, o.Ts) };
        else if (_keys.Count < keyCap) _keys[o.ApiKeyId] = new KeySeen(o.AccountId, o.Ts, long.MinValue);

        int threshold = Threshold(cross, mass);
        if (threshold <= 0) return FleetOutcome.None;
        for (long start = bucket - Window.BucketsPerWindow + 1; start <= bucket; start++)
        {
            if (Window.IsClosed(start, _streamTime)) continue;
            int count = Members.CountWindow(start);
            if (count < threshold) continue;
            return Fire(start, count, threshold, newNetwork ? mass.MaxKeysNotified : cross.MaxKeysNotified);
        }
        return FleetOutcome.None;
    }

    private int Threshold(CrossAccountRule cross, MassCompromiseRule mass) => Dimension switch
    {
        FleetDimension.Ip => cross.MinAccountsPerIp,
        FleetDimension.Prefix => cross.MinAccountsPerPrefix,
        FleetDimension.Fingerprint => cross.MinAccountsPerFingerprint,
        _ => mass.MinKeys,
    };

    private string Code => Dimension switch
    {
        FleetDimension.Ip => "CROSS_ACCOUNT_IP",
        FleetDimension.Prefix => "CROSS_ACCOUNT_PREFIX",
        FleetDimension.Fingerprint => "CROSS_ACCOUNT_FINGERPRINT",
        _ => "MASS_COMPROMISE",
    };

    private FleetOutcome Fire(long startBucket, int count, int threshold, int maxNotified)
    {
        long start = Window.WindowStart(startBucket);
        long end = Window.WindowEnd(startBucket);
        bool newNetwork = Dimension == FleetDimension.NewNetwork;
        var members = Members.MembersOfWindow(startBucket, Evidence.SubjectCap - 1);
        var subjects = new List<string>(Evidence.SubjectCap) { Value };
        subjects.AddRange(members);
        string what = Dimension switch
        {
            FleetDimension.Ip => "IP",
            FleetDimension.Prefix => "network",
            FleetDimension.Fingerprint => "client fingerprint",
            _ => "network new to each of them",
        };
        long minutes = (end - start) / 60_000;
        string summary = newNetwork
            ? string.Create(CultureInfo.InvariantCulture, $"{count} keys used from {Value}, a {what}, within {minutes} min")
            : string.Create(CultureInfo.InvariantCulture, $"{count} different accounts used the same {what} {Value} within {minutes} min");
        var reason = Evidence.Of(Code, summary,
            [(newNetwork ? "keys" : "accounts", count), ("threshold", threshold), ("window_start", start), ("window_end", end)],
            subjects);
        var finding = new SignalFinding(Code, (double)count / threshold, start, end, reason);

        // Tell each key seen in the window once per window length; keys are visited in id order.
        var notify = new List<FleetFinding>();
        foreach (var key in _keys.Keys.Order(StringComparer.Ordinal).ToList())
        {
            var k = _keys[key];
            if (k.LastSeen < start || k.LastNotified > end - Window.SizeMs) continue;
            if (notify.Count >= maxNotified) break;
            _keys[key] = k with { LastNotified = end };
            notify.Add(new FleetFinding(key, finding, _streamTime));
        }
        Alert? alert = null;
        if (newNetwork && start > _alertedWindowStart)
        {
            _alertedWindowStart = start + Window.SizeMs - Window.HopMs;
            alert = AlertFactory.ForMassCompromise(_streamTime, Value, count, start, end, notify.Select(n => n.ApiKeyId).ToList());
        }
        return notify.Count == 0 && alert is null ? FleetOutcome.None : new FleetOutcome(notify, alert);
    }

    private void ForgetKeysBefore(long horizon)
    {
        List<string>? dead = null;
        foreach (var (key, seen) in _keys)
        {
            if (seen.LastSeen < horizon && seen.LastNotified < horizon) (dead ??= []).Add(key);
        }
        if (dead is not null) foreach (var k in dead) _keys.Remove(k);
    }

    /// <summary>Format 1: the plain <see cref="BinaryWriter"/> layout (still read; <see cref="Encode"/> writes format 2).</summary>
    public void WriteTo(BinaryWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.Write(FormatV1);
        WriteBody(w, compact: null);
    }

    /// <summary>
    /// The entry in format 2: format 1's layout through <see cref="CompactBinaryWriter"/> (varints, times as deltas
    /// from the entry's stream time, each key and account id written once).
    /// </summary>
    public byte[] Encode()
    {
        using var ms = new MemoryStream(256);
        ms.WriteByte(FormatV2);
        using (var w = new CompactBinaryWriter(ms, leaveOpen: true)) WriteBody(w, w);
        return ms.ToArray();
    }

    /// <summary>Reads an entry <see cref="Encode"/> (format 2) or <see cref="WriteTo"/> (format 1) wrote.</summary>
    public static FleetAggregate Decode(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) throw new InvalidDataException("empty fleet state");
        if (data[0] == FormatV1) return ReadFrom(new BinaryReader(new MemoryStream(data.ToArray(), writable: false), System.Text.Encoding.UTF8));
        if (data[0] != FormatV2) throw new InvalidDataException($"unknown fleet state format {data[0]}");
        byte[] bytes = data.ToArray();
        using var r = new CompactBinaryReader(bytes, 1, bytes.Length - 1);
        return ReadBody(r, r);
    }

    private void WriteBody(BinaryWriter w, CompactBinaryWriter? compact)
    {
        w.Write((byte)Dimension);
        w.Write(Value);
        w.Write(Window.SizeMs);
        w.Write(Window.HopMs);
        w.Write(Window.GraceMs);
        w.Write(Members.MaxMembers);
        w.Write(_streamTime);
        if (compact is not null) compact.Base = _streamTime == long.MinValue ? 0 : _streamTime;
        w.Write(_expiredThrough);
        w.Write(_alertedWindowStart);
        Members.WriteTo(w);
        w.Write(_keys.Count);
        foreach (var (key, seen) in _keys)
        {
            w.Write(key);
            w.Write(seen.AccountId);
            w.Write(seen.LastSeen);
            w.Write(seen.LastNotified);
        }
    }

    /// <summary>
    /// True when the entry written in <paramref name="data"/> has seen nothing for two windows and its grace before
    /// <paramref name="now"/>: every member and key has expired and every notification horizon has passed, so a fresh
    /// aggregate would decide the next observation exactly as this one would. Reads only the header.
    /// </summary>
    public static bool IsDormant(ReadOnlySpan<byte> data, long now)
    {
        if (data.IsEmpty) throw new InvalidDataException("empty fleet state");
        byte format = data[0];
        if (format is not (FormatV1 or FormatV2)) throw new InvalidDataException($"unknown fleet state format {format}");
        using var ms = new MemoryStream(data.ToArray(), 1, data.Length - 1, writable: false);
        using var r = format == FormatV2 ? new CompactBinaryReader(ms) : new BinaryReader(ms, System.Text.Encoding.UTF8);
        r.ReadByte();
        r.ReadString();
        var window = new HoppingWindowSpec(r.ReadInt64(), r.ReadInt64(), r.ReadInt64());
        r.ReadInt32();
        long streamTime = r.ReadInt64();
        return streamTime < now - (2 * window.SizeMs) - window.GraceMs;
    }

    /// <summary>Reads an entry in format 1 (what <see cref="WriteTo"/> writes).</summary>
    public static FleetAggregate ReadFrom(BinaryReader r)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (r.ReadByte() != FormatV1) throw new InvalidDataException("unknown fleet state format");
        return ReadBody(r, compact: null);
    }

    private static FleetAggregate ReadBody(BinaryReader r, CompactBinaryReader? compact)
    {
        var dimension = (FleetDimension)r.ReadByte();
        string value = r.ReadString();
        var window = new HoppingWindowSpec(r.ReadInt64(), r.ReadInt64(), r.ReadInt64());
        var agg = new FleetAggregate(dimension, value, window, r.ReadInt32())
        {
            _streamTime = r.ReadInt64(),
        };
        if (compact is not null) compact.Base = agg._streamTime == long.MinValue ? 0 : agg._streamTime;
        agg._expiredThrough = r.ReadInt64();
        agg._alertedWindowStart = r.ReadInt64();
        agg.Members.ReadFrom(r);
        int n = r.ReadInt32();
        for (int i = 0; i < n; i++) agg._keys[r.ReadString()] = new KeySeen(r.ReadString(), r.ReadInt64(), r.ReadInt64());
        return agg;
    }

    private readonly record struct KeySeen(string AccountId, long LastSeen, long LastNotified);
}
