using System.Net;
using Confluent.SchemaRegistry;

namespace KeyShareDetector.Contracts.Tests.TestSupport;

/// <summary>
/// An in-memory Schema Registry: Confluent.SchemaRegistry 2.16 ships no mock client, and no registry runs here.
/// Implements what the wire formats use; ids start at 1 and are stable per (subject, schema text).
/// </summary>
internal sealed class FakeSchemaRegistryClient : ISchemaRegistryClient
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, Schema> _byId = [];
    private readonly Dictionary<(string Subject, string Schema), int> _ids = [];
    private int _nextId = 1;

    public int GetSchemaByIdCalls { get; private set; }

    /// <summary>When set, every call fails as an unreachable registry would.</summary>
    public bool Unreachable { get; set; }

    public IEnumerable<KeyValuePair<string, string>> Config => [];

    public IAuthenticationHeaderValueProvider AuthHeaderProvider => null!;

    public IWebProxy Proxy => null!;

    public int MaxCachedSchemas => 1000;

    /// <summary>Puts a schema under an explicit id, as another producer might have registered it.</summary>
    public void Add(int id, string subject, string schemaText, SchemaType type = SchemaType.Avro)
    {
        lock (_gate)
        {
            _byId[id] = new Schema(schemaText, type);
            _ids[(subject, schemaText)] = id;
            _nextId = Math.Max(_nextId, id + 1);
        }
    }

    public Task<int> RegisterSchemaAsync(string subject, Schema schema, bool normalize = false)
    {
        ThrowIfUnreachable();
        lock (_gate)
        {
            if (!_ids.TryGetValue((subject, schema.SchemaString), out int id))
            {
                id = _nextId++;
                _ids[(subject, schema.SchemaString)] = id;
                _byId[id] = new Schema(schema.SchemaString, schema.SchemaType);
            }

            return Task.FromResult(id);
        }
    }

    public Task<int> RegisterSchemaAsync(string subject, string avroSchema, bool normalize = false) =>
        RegisterSchemaAsync(subject, new Schema(avroSchema, SchemaType.Avro), normalize);

    public Task<int> GetSchemaIdAsync(string subject, Schema schema, bool normalize = false)
    {
        ThrowIfUnreachable();
        lock (_gate)
        {
            return _ids.TryGetValue((subject, schema.SchemaString), out int id)
                ? Task.FromResult(id)
                : Task.FromException<int>(new SchemaRegistryException("Schema not found", HttpStatusCode.NotFound, 40403));
        }
    }

    public Task<int> GetSchemaIdAsync(string subject, string avroSchema, bool normalize = false) =>
        GetSchemaIdAsync(subject, new Schema(avroSchema, SchemaType.Avro), normalize);

    public Task<Schema> GetSchemaAsync(int id, string format = null!)
    {
        ThrowIfUnreachable();
        lock (_gate)
        {
            GetSchemaByIdCalls++;
            return _byId.TryGetValue(id, out Schema? schema)
                ? Task.FromResult(schema)
                : Task.FromException<Schema>(new SchemaRegistryException("Schema not found", HttpStatusCode.NotFound, 40403));
        }
    }

    public Task<Schema> GetSchemaBySubjectAndIdAsync(string subject, int id, string format = null!) => GetSchemaAsync(id, format);

    public Task<RegisteredSchema> RegisterSchemaWithResponseAsync(string subject, Schema schema, bool normalize = false) => throw new NotSupportedException();

    public Task<Schema> GetSchemaByGuidAsync(string guid, string format = null!) => throw new NotSupportedException();

    public Task<RegisteredSchema> LookupSchemaAsync(string subject, Schema schema, bool ignoreDeletedSchemas, bool normalize = false) => throw new NotSupportedException();

    public Task<RegisteredSchema> GetRegisteredSchemaAsync(string subject, int version, bool ignoreDeletedSchemas = true) => throw new NotSupportedException();

    public Task<string> GetSchemaAsync(string subject, int version) => throw new NotSupportedException();

    public Task<RegisteredSchema> GetLatestSchemaAsync(string subject) => throw new NotSupportedException();

    public Task<RegisteredSchema> GetLatestWithMetadataAsync(string subject, IDictionary<string, string> metadata, bool ignoreDeletedSchemas) => throw new NotSupportedException();

    public Task<List<string>> GetAllSubjectsAsync()
    {
        lock (_gate)
        {
            return Task.FromResult(_ids.Keys.Select(k => k.Subject).Distinct().Order(StringComparer.Ordinal).ToList());
        }
    }

    public Task<List<int>> GetSubjectVersionsAsync(string subject) => throw new NotSupportedException();

    public Task<bool> IsCompatibleAsync(string subject, string avroSchema) => throw new NotSupportedException();

    public Task<bool> IsCompatibleAsync(string subject, Schema schema) => throw new NotSupportedException();

    public string ConstructKeySubjectName(string topic, string recordType = null!) => topic + "-key";

    public string ConstructValueSubjectName(string topic, string recordType = null!) => topic + "-value";

    public Task<Compatibility> GetCompatibilityAsync(string subject = null!) => throw new NotSupportedException();

    public Task<Compatibility> UpdateCompatibilityAsync(Compatibility compatibility, string subject = null!) => throw new NotSupportedException();

    public void ClearLatestCaches()
    {
    }

    public void ClearCaches()
    {
    }

    public Task<List<Association>> GetAssociationsByResourceNameAsync(
        string resourceName, string resourceNamespace, string resourceType, List<string> associationTypes, string lifecycle, int offset, int limit) =>
        throw new NotSupportedException();

    public Task<AssociationResponse> CreateAssociationAsync(AssociationCreateOrUpdateRequest request) => throw new NotSupportedException();

    public Task DeleteAssociationsAsync(string resourceId, string resourceType, List<string> associationTypes, bool cascadeLifecycle) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    private void ThrowIfUnreachable()
    {
        if (Unreachable)
        {
            throw new HttpRequestException("Connection refused (fake registry)");
        }
    }
}
