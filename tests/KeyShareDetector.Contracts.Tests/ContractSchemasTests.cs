using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Avro;
using Newtonsoft.Json.Linq;

namespace KeyShareDetector.Contracts.Tests;

/// <summary>
/// The .avsc files and the C# records must agree field by field, so adding a property without updating the schema
/// (or the other way round) fails here. The rule: field name = snake_case of the property name, same order,
/// nullable property = ["null", T] with default null, required property = no default, other properties = a
/// default equal to the C# initializer.
/// </summary>
public sealed class ContractSchemasTests
{
    public static TheoryData<string> TypeNames => [.. ContractSchemas.Types.Select(t => t.Name).Order(StringComparer.Ordinal)];

    private static Type TypeNamed(string name) => ContractSchemas.Types.Single(t => t.Name == name);

    [Theory]
    [MemberData(nameof(TypeNames))]
    public void The_avsc_agrees_with_the_csharp_record_in_names_order_types_nullability_and_defaults(string typeName)
    {
        Type type = TypeNamed(typeName);

        AssertRecordAgrees(ContractSchemas.For(type), type, typeName);
    }

    [Theory]
    [MemberData(nameof(TypeNames))]
    public void Every_schema_field_and_record_has_a_doc(string typeName)
    {
        RecordSchema schema = ContractSchemas.For(TypeNamed(typeName));

        foreach (RecordSchema record in RecordsIn(schema))
        {
            Assert.False(string.IsNullOrWhiteSpace(record.Documentation), $"record {record.Name} has no doc");
            foreach (Field field in record.Fields)
            {
                Assert.False(string.IsNullOrWhiteSpace(field.Documentation), $"{record.Name}.{field.Name} has no doc");
            }
        }
    }

    [Fact]
    public void Every_avsc_file_in_the_repository_is_embedded_and_mapped_to_a_type()
    {
        string schemasDir = Path.Combine(RepositoryRoot(), "schemas");
        string[] files = [.. Directory.GetFiles(schemasDir, "*.avsc").Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

        string[] mapped = [.. ContractSchemas.Types.Select(t => ContractSchemas.GetResourceName(t)["schemas/".Length..]).Order(StringComparer.Ordinal)];

        Assert.Equal(files, mapped);
        Assert.Equal(8, mapped.Length);
        foreach (Type type in ContractSchemas.Types)
        {
            Assert.Equal(
                File.ReadAllText(Path.Combine(schemasDir, ContractSchemas.GetResourceName(type)["schemas/".Length..])),
                ContractSchemas.GetSchemaText(type));
        }
    }

    [Theory]
    [MemberData(nameof(TypeNames))]
    public void The_single_object_fingerprint_is_the_crc64_avro_of_the_parsing_canonical_form(string typeName)
    {
        Type type = TypeNamed(typeName);
        RecordSchema schema = ContractSchemas.For(type);
        long ours = (long)typeof(ContractSchemas).GetMethod(nameof(ContractSchemas.Fingerprint))!.MakeGenericMethod(type).Invoke(null, null)!;

        Assert.Equal(Crc64Avro(Encoding.UTF8.GetBytes(SchemaNormalization.ToParsingForm(schema))), ours);
    }

    [Fact]
    public void Asking_for_the_schema_of_a_type_outside_the_contract_names_the_known_types()
    {
        var ex = Assert.Throws<ArgumentException>(() => ContractSchemas.GetResourceName(typeof(Metric)));

        Assert.Contains("AccessEvent", ex.Message, StringComparison.Ordinal);
    }

    private static void AssertRecordAgrees(RecordSchema schema, Type type, string path)
    {
        Assert.Equal(type.Name, schema.Name);
        Assert.Equal(ContractSchemas.Namespace, schema.Namespace);

        PropertyInfo[] properties = [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).OrderBy(p => p.MetadataToken)];
        Assert.Equal(
            properties.Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name)),
            schema.Fields.Select(f => f.Name));

        object defaults = Activator.CreateInstance(type)!;
        var nullability = new NullabilityInfoContext();
        foreach ((PropertyInfo property, Field field) in properties.Zip(schema.Fields))
        {
            string where = $"{path}.{field.Name}";
            bool required = property.IsDefined(typeof(RequiredMemberAttribute));
            NullabilityInfo info = nullability.Create(property);
            Type? underlying = Nullable.GetUnderlyingType(property.PropertyType);

            if (underlying is not null || info.ReadState == NullabilityState.Nullable)
            {
                Assert.False(required, $"{where}: a nullable property should not be required");
                var union = Assert.IsType<UnionSchema>(field.Schema, exactMatch: false);
                Assert.Equal(2, union.Count);
                Assert.Equal(Schema.Type.Null, union.Schemas[0].Tag);
                Assert.True(field.DefaultValue is { Type: JTokenType.Null }, $"{where}: a nullable field needs \"default\": null");
                AssertTypeAgrees(union.Schemas[1], underlying ?? property.PropertyType, info, where);
                continue;
            }

            Assert.False(field.Schema is UnionSchema, $"{where}: a non-nullable property must not be a union");
            AssertTypeAgrees(field.Schema, property.PropertyType, info, where);
            if (required)
            {
                Assert.True(field.DefaultValue is null, $"{where}: a required property must have no default in the schema");
            }
            else
            {
                Assert.True(field.DefaultValue is not null, $"{where}: a property with a C# default needs the same default in the schema");
                AssertDefaultAgrees(field.DefaultValue, property.GetValue(defaults), where);
            }
        }
    }

    private static void AssertTypeAgrees(Schema schema, Type type, NullabilityInfo info, string where)
    {
        if (type.IsEnum)
        {
            var e = Assert.IsType<EnumSchema>(schema);
            Assert.Equal(type.Name, e.Name);
            Assert.Equal(ContractSchemas.Namespace, e.Namespace);
            Assert.Equal(Enum.GetNames(type), e.Symbols);
            Assert.Equal(Enumerable.Range(0, e.Count), Enum.GetValues(type).Cast<object>().Select(Convert.ToInt32));
            return;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            var array = Assert.IsType<ArraySchema>(schema);
            NullabilityInfo item = info.GenericTypeArguments[0];
            Assert.True(item.ReadState != NullabilityState.Nullable, $"{where}: list items must not be nullable");
            AssertTypeAgrees(array.ItemSchema, type.GetGenericArguments()[0], item, where + "[]");
            return;
        }

        if (type.IsClass && type != typeof(string) && type != typeof(byte[]))
        {
            AssertRecordAgrees(Assert.IsType<RecordSchema>(schema), type, where);
            return;
        }

        Schema.Type expected = type switch
        {
            _ when type == typeof(string) => Schema.Type.String,
            _ when type == typeof(long) => Schema.Type.Long,
            _ when type == typeof(int) => Schema.Type.Int,
            _ when type == typeof(double) => Schema.Type.Double,
            _ when type == typeof(bool) => Schema.Type.Boolean,
            _ when type == typeof(byte[]) => Schema.Type.Bytes,
            _ => throw new InvalidOperationException($"{where}: no Avro mapping for {type}; extend the contract rules"),
        };
        Assert.True(schema is PrimitiveSchema && schema.Tag == expected, $"{where}: expected Avro {expected}, found {schema}");
    }

    private static void AssertDefaultAgrees(JToken avroDefault, object? csharpDefault, string where)
    {
        switch (csharpDefault)
        {
            case System.Collections.IEnumerable list when csharpDefault is not string:
                Assert.Equal(JTokenType.Array, avroDefault.Type);
                Assert.Equal(list.Cast<object>().Count(), avroDefault.Count());
                break;
            case Enum e:
                Assert.Equal(e.ToString(), avroDefault.Value<string>());
                break;
            case double d:
                Assert.Equal(d, avroDefault.Value<double>());
                break;
            case long l:
                Assert.Equal(JTokenType.Integer, avroDefault.Type);
                Assert.Equal(l, avroDefault.Value<long>());
                break;
            case int i:
                Assert.Equal(JTokenType.Integer, avroDefault.Type);
                Assert.Equal(i, avroDefault.Value<int>());
                break;
            case bool b:
                Assert.Equal(b, avroDefault.Value<bool>());
                break;
            case string s:
                Assert.Equal(s, avroDefault.Value<string>());
                break;
            default:
                Assert.Fail($"{where}: cannot compare the default {csharpDefault}; extend the contract rules");
                break;
        }
    }

    private static IEnumerable<RecordSchema> RecordsIn(Schema schema) => schema switch
    {
        RecordSchema r => [r, .. r.Fields.SelectMany(f => RecordsIn(f.Schema))],
        UnionSchema u => u.Schemas.SelectMany(RecordsIn),
        ArraySchema a => RecordsIn(a.ItemSchema),
        _ => [],
    };

    /// <summary>CRC-64-AVRO as the Avro specification writes it out ("Schema Fingerprints").</summary>
    private static long Crc64Avro(byte[] data)
    {
        const ulong Empty = 0xc15d213aa4d7a795UL;
        var table = new ulong[256];
        for (int i = 0; i < 256; i++)
        {
            ulong fp = (ulong)i;
            for (int j = 0; j < 8; j++)
            {
                fp = (fp >> 1) ^ (Empty & (0 - (fp & 1)));
            }

            table[i] = fp;
        }

        ulong result = Empty;
        foreach (byte b in data)
        {
            result = (result >> 8) ^ table[(int)(result ^ b) & 0xff];
        }

        return unchecked((long)result);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KeyShareDetector.sln")) && Directory.Exists(Path.Combine(dir.FullName, "schemas")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No repository root (KeyShareDetector.sln + schemas/) above {AppContext.BaseDirectory}");
    }
}
