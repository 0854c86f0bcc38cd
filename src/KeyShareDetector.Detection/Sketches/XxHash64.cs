using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace KeyShareDetector.Detection.Sketches;

/// <summary>
/// xxHash64 (Yann Collet's XXH64, seed-compatible with the reference implementation): a fast, well-mixed,
/// deterministic 64-bit hash for sketch members.
/// </summary>
/// <remarks>
/// Sketches are persisted, so the hash of a member must be the same in every process, on every machine and in
/// every version: <see cref="string.GetHashCode()"/> is randomized per process and must not be used.
/// Strings are hashed as their UTF-16LE code units (no transcoding, no allocation).
/// </remarks>
public static class XxHash64
{
    private const ulong Prime1 = 0x9E3779B185EBCA87UL;
    private const ulong Prime2 = 0xC2B2AE3D27D4EB4FUL;
    private const ulong Prime3 = 0x165667B19E3779F9UL;
    private const ulong Prime4 = 0x85EBCA77C2B2AE63UL;
    private const ulong Prime5 = 0x27D4EB2F165667C5UL;

    /// <summary>The hash of a member string: xxHash64 of its UTF-16LE bytes.</summary>
    public static ulong HashString(string value, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(value);
        return HashChars(value.AsSpan(), seed);
    }

    /// <summary>xxHash64 of the UTF-16LE bytes of <paramref name="chars"/>.</summary>
    public static ulong HashChars(ReadOnlySpan<char> chars, ulong seed = 0) =>
        BitConverter.IsLittleEndian ? Hash(MemoryMarshal.AsBytes(chars), seed) : HashCharsPortably(chars, seed);

    /// <summary>xxHash64 of <paramref name="data"/>.</summary>
    public static ulong Hash(ReadOnlySpan<byte> data, ulong seed = 0)
    {
        int len = data.Length;
        int i = 0;
        ulong h;
        if (len >= 32)
        {
            ulong v1 = seed + Prime1 + Prime2;
            ulong v2 = seed + Prime2;
            ulong v3 = seed;
            ulong v4 = seed - Prime1;
            int limit = len - 32;
            do
            {
                v1 = Round(v1, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
                v2 = Round(v2, BinaryPrimitives.ReadUInt64LittleEndian(data[(i + 8)..]));
                v3 = Round(v3, BinaryPrimitives.ReadUInt64LittleEndian(data[(i + 16)..]));
                v4 = Round(v4, BinaryPrimitives.ReadUInt64LittleEndian(data[(i + 24)..]));
                i += 32;
            }
            while (i <= limit);
            h = BitOperations.RotateLeft(v1, 1) + BitOperations.RotateLeft(v2, 7)
                + BitOperations.RotateLeft(v3, 12) + BitOperations.RotateLeft(v4, 18);
            h = MergeRound(h, v1);
            h = MergeRound(h, v2);
            h = MergeRound(h, v3);
            h = MergeRound(h, v4);
        }
        else
        {
            h = seed + Prime5;
        }

        h += (ulong)len;
        for (; i + 8 <= len; i += 8)
        {
            h ^= Round(0, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
            h = (BitOperations.RotateLeft(h, 27) * Prime1) + Prime4;
        }
        if (i + 4 <= len)
        {
            h ^= BinaryPrimitives.ReadUInt32LittleEndian(data[i..]) * Prime1;
            h = (BitOperations.RotateLeft(h, 23) * Prime2) + Prime3;
            i += 4;
        }
        for (; i < len; i++)
        {
            h ^= data[i] * Prime5;
            h = BitOperations.RotateLeft(h, 11) * Prime1;
        }
        return Avalanche(h);
    }

    /// <summary>Big-endian hosts: copy the code units as UTF-16LE first so every host agrees on the hash.</summary>
    internal static ulong HashCharsPortably(ReadOnlySpan<char> chars, ulong seed)
    {
        int bytes = chars.Length * 2;
        byte[]? rented = null;
        Span<byte> buffer = bytes <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(bytes));
        for (int c = 0; c < chars.Length; c++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(buffer[(2 * c)..], chars[c]);
        }
        ulong h = Hash(buffer[..bytes], seed);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        return h;
    }

    private static ulong Round(ulong acc, ulong lane)
    {
        acc += lane * Prime2;
        acc = BitOperations.RotateLeft(acc, 31);
        return acc * Prime1;
    }

    private static ulong MergeRound(ulong acc, ulong v)
    {
        acc ^= Round(0, v);
        return (acc * Prime1) + Prime4;
    }

    private static ulong Avalanche(ulong h)
    {
        h ^= h >> 33;
        h *= Prime2;
        h ^= h >> 29;
        h *= Prime3;
        h ^= h >> 32;
        return h;
    }
}
