using System.Reflection;
using System.Text.Json;
using Avro;
using Avro.Generic;
using Avro.IO;

namespace KeyShareDetector.Contracts.Tests.TestSupport;

/// <summary>
/// The reference side of the interop tests: Apache.Avro's generic reader and writer with the embedded .avsc, and a
/// reflection mapping between GenericRecord and the C# records that follows only the naming rule (snake_case).
/// Nothing here shares code with the hand-written codecs under test.
/// </summary>
internal static class GenericAvro
{
    public static byte[] Write(object value)
    {
        RecordSchema schema = ContractSchemas.For(value.GetType());
        using var stream = new MemoryStream();
        new GenericDatumWriter<GenericRecord>(schema).Write(ToGeneric(value, schema), new BinaryEncoder(stream));
        return stream.ToArray();
    }

    public static object Read(Type type, byte[] body)
    {
        RecordSchema schema = ContractSchemas.For(type);
        using var stream = new MemoryStream(body);
        GenericRecord record = new GenericDatumReader<GenericRecord>(schema, schema).Read(null!, new BinaryDecoder(stream));
        Assert.Equal(stream.Length, stream.Position);
        return FromGeneric(record, type);
    }

    public static byte[] WriteWith(Schema schema, GenericRecord record)
    {
        using var stream = new MemoryStream();
        new GenericDatumWriter<GenericRecord>(schema).Write(record, new BinaryEncoder(stream));
        return stream.ToArray();
    }

    public static GenericRecord ToGeneric(object value, RecordSchema schema)
    {
        var record = new GenericRecord(schema);
        foreach (Field field in schema.Fields)
        {
            PropertyInfo property = PropertyFor(value.GetType(), field.Name);
            record.Add(field.Name, ToGenericValue(property.GetValue(value), field.Schema));
        }

        return record;
    }

    public static object FromGeneric(GenericRecord record, Type type)
    {
        object value = Activator.CreateInstance(type)!;
        foreach (Field field in record.Schema.Fields)
        {
            PropertyInfo property = PropertyFor(type, field.Name);
            property.SetValue(value, FromGenericValue(record[field.Name], property.PropertyType));
        }

        return value;
    }

    public static PropertyInfo PropertyFor(Type type, string fieldName) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Single(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name) == fieldName);

    private static object? ToGenericValue(object? value, Schema schema) => schema switch
    {
        UnionSchema union => value is null ? null : ToGenericValue(value, union.Schemas.Single(s => s.Tag != Schema.Type.Null)),
        EnumSchema e => new GenericEnum(e, value!.ToString()),
        ArraySchema a => ((System.Collections.IEnumerable)value!).Cast<object>().Select(item => ToGenericValue(item, a.ItemSchema)).ToArray(),
        RecordSchema r => ToGeneric(value!, r),
        _ => value,
    };

    private static object? FromGenericValue(object? value, Type type)
    {
        if (value is null)
        {
            return null;
        }

        Type target = Nullable.GetUnderlyingType(type) ?? type;
        if (target.IsEnum)
        {
            return Enum.Parse(target, ((GenericEnum)value).Value);
        }

        if (target.IsGenericType && target.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            Type itemType = target.GetGenericArguments()[0];
            var items = (object[])value;
            var array = Array.CreateInstance(itemType, items.Length);
            for (int i = 0; i < items.Length; i++)
            {
                array.SetValue(FromGenericValue(items[i], itemType), i);
            }

            return array;
        }

        return value is GenericRecord nested ? FromGeneric(nested, target) : value;
    }
}
