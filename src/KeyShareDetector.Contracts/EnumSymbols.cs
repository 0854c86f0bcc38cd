using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace KeyShareDetector.Contracts;

/// <summary>
/// The symbols of a contract enum in declaration order. The wire formats rely on the C# values being
/// 0..n-1 in that order (Avro encodes the index); the schema-agreement test checks it.
/// </summary>
internal static class EnumSymbols<TEnum>
    where TEnum : struct, Enum
{
    public static readonly string[] Names = Enum.GetNames<TEnum>();

    public static readonly byte[][] Utf8Names = Array.ConvertAll(Names, Encoding.UTF8.GetBytes);

    public static readonly JsonEncodedText[] JsonNames = Array.ConvertAll(Names, n => JsonEncodedText.Encode(n));

    public static readonly string Expected = string.Join(", ", Names);

    public static int Count => Names.Length;

    /// <summary>The index of a value, or -1 when the value is not one of the declared symbols.</summary>
    public static int IndexOf(TEnum value)
    {
        int index = Unsafe.As<TEnum, int>(ref value);
        return (uint)index < (uint)Names.Length ? index : -1;
    }

    public static TEnum FromIndex(int index) => Unsafe.As<int, TEnum>(ref index);
}
