using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace KeyShareDetector.Geo.Tests.Support;

/// <summary>
/// A small MaxMind DB (.mmdb) writer for tests, written from the MaxMind DB File Format Specification v2.0:
/// a binary search tree over the 128 bits of an IPv6 address (IPv4 networks live at ::a.b.c.d), 16 zero bytes,
/// the data section (maps, strings, doubles, unsigned ints, booleans, arrays; no pointers), then the metadata
/// map after the "\xAB\xCD\xEFMaxMind.com" marker. Insert less specific networks before more specific ones.
/// An ip_version 4 database has a 32-level tree of IPv4 networks only.
/// </summary>
internal sealed class MmdbWriter(string databaseType, int recordSize = 24, int ipVersion = 6)
{
    private static readonly byte[] MetadataMarker = [0xAB, 0xCD, 0xEF, .. "MaxMind.com"u8];
    private readonly Node _root = new();

    public string DatabaseType { get; } = databaseType;

    public int RecordSize { get; } = recordSize is 24 or 28 or 32 ? recordSize : throw new ArgumentOutOfRangeException(nameof(recordSize));

    public int IpVersion { get; } = ipVersion is 4 or 6 ? ipVersion : throw new ArgumentOutOfRangeException(nameof(ipVersion));

    public ulong BuildEpoch { get; init; } = 1_700_000_000;

    public int NodeCount { get; private set; }

    /// <summary>Maps every address of <paramref name="cidr"/> to <paramref name="value"/>.</summary>
    /// <param name="value">string, double, bool, ushort, uint, ulong, IReadOnlyDictionary&lt;string, object&gt; or object[].</param>
    public MmdbWriter Insert(string cidr, object value)
    {
        var network = IPNetwork.Parse(cidr);
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        network.BaseAddress.TryWriteBytes(bytes, out int written);
        UInt128 address;
        int prefix = network.PrefixLength;
        if (network.BaseAddress.AddressFamily == AddressFamily.InterNetwork)
        {
            address = BinaryPrimitives.ReadUInt32BigEndian(bytes[..written]);
            if (IpVersion == 6)
            {
                // IPv4 in an IPv6 tree is stored as-is: the first 96 bits are zero.
                prefix += 96;
            }
            else
            {
                address <<= 96; // the tree walks from the top bit
            }
        }
        else
        {
            if (IpVersion == 4) throw new ArgumentException("An ip_version 4 database holds IPv4 networks only.", nameof(cidr));
            address = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        }
        if (prefix == 0) throw new ArgumentException("A /0 network has no record to hold it.", nameof(cidr));

        var data = new Data(value);
        var node = _root;
        for (int depth = 0; depth < prefix; depth++)
        {
            int bit = (int)((address >> (127 - depth)) & 1);
            if (depth == prefix - 1)
            {
                if (node.Children[bit] is Node) throw new InvalidOperationException($"Insert {cidr} before the more specific networks inside it.");
                node.Children[bit] = data;
                break;
            }
            switch (node.Children[bit])
            {
                case Node next:
                    node = next;
                    break;
                case Data covering:
                    // A more specific network inside a less specific one: both halves start with the outer value.
                    var split = new Node();
                    split.Children[0] = covering;
                    split.Children[1] = covering;
                    node.Children[bit] = split;
                    node = split;
                    break;
                default:
                    var fresh = new Node();
                    node.Children[bit] = fresh;
                    node = fresh;
                    break;
            }
        }
        return this;
    }

    public void WriteTo(string path) => File.WriteAllBytes(path, Build());

    public byte[] Build()
    {
        // Number the nodes breadth first: the root is node 0.
        var nodes = new List<Node>();
        var index = new Dictionary<Node, int>(ReferenceEqualityComparer.Instance);
        var queue = new Queue<Node>([_root]);
        while (queue.Count > 0)
        {
            var n = queue.Dequeue();
            index[n] = nodes.Count;
            nodes.Add(n);
            foreach (var child in n.Children)
            {
                if (child is Node c) queue.Enqueue(c);
            }
        }
        NodeCount = nodes.Count;

        // Each distinct value is written once; records point at its offset.
        var data = new DataEncoder();
        var offsets = new Dictionary<Data, long>(ReferenceEqualityComparer.Instance);
        foreach (var n in nodes)
        {
            foreach (var child in n.Children)
            {
                if (child is Data d && !offsets.ContainsKey(d)) offsets[d] = data.Write(d.Value);
            }
        }

        using var file = new MemoryStream();
        foreach (var n in nodes)
        {
            WriteNode(file, Record(n.Children[0]), Record(n.Children[1]));
        }
        file.Write(new byte[16]);
        file.Write(data.ToArray());
        file.Write(MetadataMarker);
        file.Write(new DataEncoder().WriteAndGet(Metadata()));
        return file.ToArray();

        long Record(object? child) => child switch
        {
            Node c => index[c],
            Data d => NodeCount + 16 + offsets[d],
            _ => NodeCount, // "no data for this address"
        };
    }

    private Dictionary<string, object> Metadata() => new()
    {
        ["binary_format_major_version"] = (ushort)2,
        ["binary_format_minor_version"] = (ushort)0,
        ["build_epoch"] = BuildEpoch,
        ["database_type"] = DatabaseType,
        ["description"] = new Dictionary<string, object> { ["en"] = $"{DatabaseType} test database written by MmdbWriter" },
        ["ip_version"] = (ushort)IpVersion,
        ["languages"] = new object[] { "en" },
        ["node_count"] = (uint)NodeCount,
        ["record_size"] = (ushort)RecordSize,
    };

    private void WriteNode(Stream output, long left, long right)
    {
        long max = (1L << RecordSize) - 1;
        if (left > max || right > max) throw new InvalidOperationException($"A record does not fit in {RecordSize} bits.");
        Span<byte> node = stackalloc byte[RecordSize / 4];
        switch (RecordSize)
        {
            case 24:
                WriteBigEndian(node[..3], left);
                WriteBigEndian(node[3..], right);
                break;
            case 28:
                // | left 23..0 | left 27..24, right 27..24 | right 23..0 |
                WriteBigEndian(node[..3], left & 0xFFFFFF);
                node[3] = (byte)(((left >> 24) & 0xF) << 4 | ((right >> 24) & 0xF));
                WriteBigEndian(node[4..], right & 0xFFFFFF);
                break;
            default:
                WriteBigEndian(node[..4], left);
                WriteBigEndian(node[4..], right);
                break;
        }
        output.Write(node);
    }

    private static void WriteBigEndian(Span<byte> target, long value)
    {
        for (int i = target.Length - 1; i >= 0; i--, value >>= 8) target[i] = (byte)value;
    }

    private sealed class Node
    {
        public object?[] Children { get; } = new object?[2];
    }

    private sealed record Data(object Value);

    /// <summary>Encodes values as the spec's data fields: a control byte (type, size), then the payload.</summary>
    private sealed class DataEncoder
    {
        private const int Utf8String = 2, Double = 3, UInt16 = 5, UInt32 = 6, Map = 7, UInt64 = 9, Array = 11, Boolean = 14;
        private readonly MemoryStream _out = new();

        public byte[] ToArray() => _out.ToArray();

        public byte[] WriteAndGet(object value)
        {
            Write(value);
            return ToArray();
        }

        /// <summary>Writes one field; returns its offset from the start of this section.</summary>
        public long Write(object value)
        {
            long offset = _out.Position;
            switch (value)
            {
                case string s:
                    var utf8 = Encoding.UTF8.GetBytes(s);
                    Control(Utf8String, utf8.Length);
                    _out.Write(utf8);
                    break;
                case double d:
                    Control(Double, 8);
                    Span<byte> bits = stackalloc byte[8];
                    BinaryPrimitives.WriteDoubleBigEndian(bits, d);
                    _out.Write(bits);
                    break;
                case bool b:
                    Control(Boolean, b ? 1 : 0); // the size is the value; no payload
                    break;
                case ushort u16:
                    Unsigned(UInt16, u16);
                    break;
                case uint u32:
                    Unsigned(UInt32, u32);
                    break;
                case ulong u64:
                    Unsigned(UInt64, u64);
                    break;
                case IReadOnlyDictionary<string, object> map:
                    Control(Map, map.Count); // a map's size is its number of pairs
                    foreach (var (key, item) in map)
                    {
                        Write(key);
                        Write(item);
                    }
                    break;
                case object[] array:
                    Control(Array, array.Length);
                    foreach (var item in array) Write(item);
                    break;
                default:
                    throw new NotSupportedException($"No MaxMind DB encoding for {value.GetType()}.");
            }
            return offset;
        }

        private void Unsigned(int type, ulong value)
        {
            // Unsigned integers use as few bytes as they need; zero bytes means 0.
            int length = value == 0 ? 0 : (64 - System.Numerics.BitOperations.LeadingZeroCount(value) + 7) / 8;
            Control(type, length);
            for (int i = length - 1; i >= 0; i--) _out.WriteByte((byte)(value >> (8 * i)));
        }

        private void Control(int type, int size)
        {
            int sizeBits;
            int extraSize;
            int extraBytes;
            if (size < 29) (sizeBits, extraSize, extraBytes) = (size, 0, 0);
            else if (size < 29 + 256) (sizeBits, extraSize, extraBytes) = (29, size - 29, 1);
            else if (size < 285 + 65536) (sizeBits, extraSize, extraBytes) = (30, size - 285, 2);
            else (sizeBits, extraSize, extraBytes) = (31, size - 65821, 3);

            if (type <= 7)
            {
                _out.WriteByte((byte)((type << 5) | sizeBits));
            }
            else
            {
                // Extended type: zero in the type bits, the type minus 7 in the next byte.
                _out.WriteByte((byte)sizeBits);
                _out.WriteByte((byte)(type - 7));
            }
            for (int i = extraBytes - 1; i >= 0; i--) _out.WriteByte((byte)(extraSize >> (8 * i)));
        }
    }
}
