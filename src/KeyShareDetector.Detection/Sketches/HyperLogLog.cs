using System.Numerics;

namespace KeyShareDetector.Detection.Sketches;

/// <summary>
/// A HyperLogLog distinct-count sketch over 64-bit hashes, with 2^p one-byte registers
/// (p = 12: 4 KB, standard error 1.04 / sqrt(2^p) = 1.6%).
/// </summary>
/// <remarks>
/// <para>Registers are whole bytes rather than packed 6-bit fields: 33% more memory, but Add, Merge and the window
/// merges of <see cref="Windows.HoppingDistinctCounter"/> are plain byte maxima (vectorized), and the serialized
/// form stays simple.</para>
/// <para>Estimation: linear counting while it is the better estimator (below the HLL++ thresholds of Heule et al.,
/// 2013), otherwise Ertl's improved estimator (Ertl, 2017, "New cardinality estimation algorithms for HyperLogLog
/// sketches"), which corrects the small- and large-range bias of the original formula without empirical tables.
/// With 64-bit hashes there is no large-range (hash collision) correction to make.</para>
/// </remarks>
public sealed class HyperLogLog
{
    public const int MinPrecision = 4;
    public const int MaxPrecision = 16;
    public const int DefaultPrecision = 12;

    private const byte FormatV1 = 1;
    private const byte EncodingDense = 0;
    private const byte EncodingSparse = 1;

    // HLL++ (Heule, Nunkesser, Hall 2013, table of thresholds), for p = 4..16: below these, linear counting wins.
    private static readonly int[] LinearCountingThresholds =
        [10, 20, 40, 80, 220, 400, 900, 1800, 3100, 6500, 11500, 20000, 50000];

    private readonly byte[] _registers;

    /// <summary>An empty sketch with 2^<paramref name="precision"/> registers.</summary>
    public HyperLogLog(int precision = DefaultPrecision)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(precision, MinPrecision);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(precision, MaxPrecision);
        Precision = precision;
        _registers = new byte[1 << precision];
    }

    /// <summary>p: the sketch has 2^p registers.</summary>
    public int Precision { get; }

    /// <summary>2^p, also the sketch's size in bytes.</summary>
    public int RegisterCount => _registers.Length;

    /// <summary>True when nothing was added since creation or the last <see cref="Clear"/>.</summary>
    public bool IsEmpty => _registers.AsSpan().IndexOfAnyExcept((byte)0) < 0;

    /// <summary>Relative standard error of <see cref="Estimate"/> at precision <paramref name="precision"/>: 1.04 / sqrt(2^p).</summary>
    public static double StandardError(int precision) => 1.04 / Math.Sqrt(1 << precision);

    internal ReadOnlySpan<byte> Registers => _registers;

    /// <summary>Adds one hashed member; returns true when a register changed (the estimate may have moved).</summary>
    public bool Add(ulong hash)
    {
        int index = (int)(hash >> (64 - Precision));
        // The sentinel bit caps the rank at 64 - p + 1 when the remaining bits are all zero.
        ulong rest = (hash << Precision) | (1UL << (Precision - 1));
        byte rank = (byte)(BitOperations.LeadingZeroCount(rest) + 1);
        ref byte register = ref _registers[index];
        if (rank <= register) return false;
        register = rank;
        return true;
    }

    /// <summary>The estimated number of distinct hashes added.</summary>
    public double Estimate() => EstimateOf(_registers, Precision);

    /// <summary>Makes this sketch the union of itself and <paramref name="other"/> (register-wise maximum).</summary>
    public void Merge(HyperLogLog other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Precision != Precision)
        {
            throw new ArgumentException($"cannot merge a sketch of precision {other.Precision} into one of precision {Precision}", nameof(other));
        }
        MaxInto(_registers, other._registers);
    }

    /// <summary>Empties the sketch, keeping its memory.</summary>
    public void Clear() => Array.Clear(_registers);

    /// <summary>Makes this sketch a copy of <paramref name="other"/> (same precision).</summary>
    internal void CopyFrom(HyperLogLog other)
    {
        if (other.Precision != Precision) throw new ArgumentException("precisions differ", nameof(other));
        other._registers.CopyTo(_registers, 0);
    }

    /// <summary>
    /// Writes the sketch: format byte, precision, then either the 2^p registers (dense) or, when fewer than a third
    /// are set, (index, value) pairs of the set ones (sparse) — so an almost empty sketch costs a few bytes.
    /// </summary>
    public void WriteTo(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FormatV1);
        writer.Write((byte)Precision);
        int set = _registers.Length - _registers.AsSpan().Count((byte)0);
        if (set * 3 < _registers.Length)
        {
            writer.Write(EncodingSparse);
            writer.Write(set);
            for (int i = 0; i < _registers.Length; i++)
            {
                if (_registers[i] == 0) continue;
                writer.Write((ushort)i);
                writer.Write(_registers[i]);
            }
        }
        else
        {
            writer.Write(EncodingDense);
            writer.Write(_registers);
        }
    }

    /// <summary>Reads a sketch written by <see cref="WriteTo"/>.</summary>
    /// <exception cref="InvalidDataException">The data is not a sketch this version can read.</exception>
    public static HyperLogLog ReadFrom(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        byte format = reader.ReadByte();
        if (format != FormatV1) throw new InvalidDataException($"unknown HyperLogLog format {format}");
        int precision = reader.ReadByte();
        if (precision is < MinPrecision or > MaxPrecision) throw new InvalidDataException($"HyperLogLog precision {precision} is outside {MinPrecision}..{MaxPrecision}");
        var sketch = new HyperLogLog(precision);
        int maxRank = 64 - precision + 1;
        byte encoding = reader.ReadByte();
        if (encoding == EncodingDense)
        {
            byte[] dense = reader.ReadBytes(sketch._registers.Length);
            if (dense.Length != sketch._registers.Length) throw new EndOfStreamException("HyperLogLog registers are cut short");
            dense.CopyTo(sketch._registers, 0);
        }
        else if (encoding == EncodingSparse)
        {
            int set = reader.ReadInt32();
            if ((uint)set > (uint)sketch._registers.Length) throw new InvalidDataException($"HyperLogLog sparse count {set} is out of range");
            for (int i = 0; i < set; i++)
            {
                int index = reader.ReadUInt16();
                if (index >= sketch._registers.Length) throw new InvalidDataException($"HyperLogLog register index {index} is out of range");
                sketch._registers[index] = reader.ReadByte();
            }
        }
        else
        {
            throw new InvalidDataException($"unknown HyperLogLog encoding {encoding}");
        }
        if (sketch._registers.AsSpan().IndexOfAnyInRange((byte)(maxRank + 1), byte.MaxValue) >= 0)
        {
            throw new InvalidDataException($"HyperLogLog register above the maximum rank {maxRank}");
        }
        return sketch;
    }

    /// <summary>Register-wise maximum of <paramref name="source"/> into <paramref name="target"/> (same length).</summary>
    internal static void MaxInto(Span<byte> target, ReadOnlySpan<byte> source)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int width = Vector<byte>.Count;
            for (; i + width <= target.Length; i += width)
            {
                var max = Vector.Max(new Vector<byte>(target[i..]), new Vector<byte>(source[i..]));
                max.CopyTo(target[i..]);
            }
        }
        for (; i < target.Length; i++)
        {
            if (source[i] > target[i]) target[i] = source[i];
        }
    }

    /// <summary>The estimate for a register array of 2^<paramref name="precision"/> registers.</summary>
    internal static double EstimateOf(ReadOnlySpan<byte> registers, int precision)
    {
        int m = registers.Length;
        int q = 64 - precision;
        // Histogram of register values 0..q+1 (at most 61 entries): everything the estimators need.
        Span<int> histogram = stackalloc int[q + 2];
        histogram.Clear();
        foreach (byte r in registers) histogram[r]++;

        int zeros = histogram[0];
        if (zeros == m) return 0;
        if (zeros > 0)
        {
            double linear = m * Math.Log((double)m / zeros);
            if (linear <= LinearCountingThresholds[precision - MinPrecision]) return linear;
        }

        // Ertl 2017, algorithm 6 ("improved raw estimator").
        double z = m * Tau(1.0 - ((double)histogram[q + 1] / m));
        for (int k = q; k >= 1; k--)
        {
            z = 0.5 * (z + histogram[k]);
        }
        z += m * Sigma((double)zeros / m);
        return m / (2.0 * Math.Log(2.0)) * m / z;
    }

    private static double Sigma(double x)
    {
        if (x == 1.0) return double.PositiveInfinity;
        double y = 1.0;
        double z = x;
        double previous;
        do
        {
            x *= x;
            previous = z;
            z += x * y;
            y += y;
        }
        while (z != previous);
        return z;
    }

    private static double Tau(double x)
    {
        if (x == 0.0 || x == 1.0) return 0.0;
        double y = 1.0;
        double z = 1.0 - x;
        double previous;
        do
        {
            x = Math.Sqrt(x);
            previous = z;
            y *= 0.5;
            z -= (1.0 - x) * (1.0 - x) * y;
        }
        while (z != previous);
        return z / 3.0;
    }
}
