using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using KeyShareDetector.Contracts.Wire;

namespace KeyShareDetector.Contracts.Json;

/// <summary>
/// The JSON form of a <see cref="FeatureSnapshot"/>, written field by field: the same bytes as
/// <see cref="JsonWireFormat{T}"/> (snake_case names in declaration order, enum symbols, relaxed escaping), at a fraction
/// of its cost. The detector writes about one snapshot per two input records, and the generic path (a walk of the
/// source-generated metadata looking for forbidden nulls, then the serializer) was about 7 % of the stream thread.
/// </summary>
/// <remarks>
/// A snapshot with a null where the contract forbids one, or a number JSON cannot hold, goes to the generic path, which
/// raises the same <see cref="ContractException"/> it always did. FeatureSnapshotJsonTests holds the two to the same
/// bytes over generated snapshots: a field added to the record and not here fails it.
/// </remarks>
public static class FeatureSnapshotJson
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    private static readonly JsonEncodedText ApiKeyId = JsonEncodedText.Encode("api_key_id");
    private static readonly JsonEncodedText AccountId = JsonEncodedText.Encode("account_id");
    private static readonly JsonEncodedText Ts = JsonEncodedText.Encode("ts");
    private static readonly JsonEncodedText WindowStart = JsonEncodedText.Encode("window_start");
    private static readonly JsonEncodedText WindowEnd = JsonEncodedText.Encode("window_end");
    private static readonly JsonEncodedText PolicyVersion = JsonEncodedText.Encode("policy_version");
    private static readonly JsonEncodedText State = JsonEncodedText.Encode("state");
    private static readonly JsonEncodedText RiskScore = JsonEncodedText.Encode("risk_score");
    private static readonly JsonEncodedText Metrics = JsonEncodedText.Encode("metrics");
    private static readonly JsonEncodedText Findings = JsonEncodedText.Encode("findings");
    private static readonly JsonEncodedText LateRecords = JsonEncodedText.Encode("late_records");
    private static readonly JsonEncodedText CapsExceeded = JsonEncodedText.Encode("caps_exceeded");
    private static readonly JsonEncodedText Name = JsonEncodedText.Encode("name");
    private static readonly JsonEncodedText Value = JsonEncodedText.Encode("value");
    private static readonly JsonEncodedText Code = JsonEncodedText.Encode("code");
    private static readonly JsonEncodedText Summary = JsonEncodedText.Encode("summary");
    private static readonly JsonEncodedText Subjects = JsonEncodedText.Encode("subjects");

    // One buffer and writer per thread (a stream thread writes one snapshot at a time); only the result is allocated.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>The snapshot as UTF-8 JSON, byte for byte what <c>JsonWireFormat&lt;FeatureSnapshot&gt;</c> writes.</summary>
    /// <exception cref="ContractException">A required field is null, the state is not a symbol, or a number is not finite.</exception>
    public static byte[] Serialize(FeatureSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (!Writable(snapshot)) return JsonWireFormat<FeatureSnapshot>.Instance.Serialize(snapshot);
        try
        {
            return Write(snapshot);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // Whatever the writer refused (text it cannot encode) is the generic path's to report.
            return JsonWireFormat<FeatureSnapshot>.Instance.Serialize(snapshot);
        }
    }

    private static byte[] Write(FeatureSnapshot snapshot)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(2048);
        buffer.ResetWrittenCount();
        var w = t_writer;
        if (w is null) t_writer = w = new Utf8JsonWriter(buffer, Options);
        else w.Reset(buffer);
        w.WriteStartObject();
        w.WriteString(ApiKeyId, snapshot.ApiKeyId);
        w.WriteString(AccountId, snapshot.AccountId);
        w.WriteNumber(Ts, snapshot.Ts);
        w.WriteNumber(WindowStart, snapshot.WindowStart);
        w.WriteNumber(WindowEnd, snapshot.WindowEnd);
        w.WriteString(PolicyVersion, snapshot.PolicyVersion);
        w.WriteString(State, EnumSymbols<KeyState>.JsonNames[EnumSymbols<KeyState>.IndexOf(snapshot.State)]);
        w.WriteNumber(RiskScore, snapshot.RiskScore);
        w.WritePropertyName(Metrics);
        WriteMetrics(w, snapshot.Metrics);
        w.WriteStartArray(Findings);
        foreach (var reason in snapshot.Findings)
        {
            w.WriteStartObject();
            w.WriteString(Code, reason.Code);
            w.WriteString(Summary, reason.Summary);
            w.WritePropertyName(Metrics);
            WriteMetrics(w, reason.Metrics);
            w.WriteStartArray(Subjects);
            foreach (string subject in reason.Subjects) w.WriteStringValue(subject);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber(LateRecords, snapshot.LateRecords);
        w.WriteStartArray(CapsExceeded);
        foreach (string cap in snapshot.CapsExceeded) w.WriteStringValue(cap);
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteMetrics(Utf8JsonWriter w, IReadOnlyList<Metric> metrics)
    {
        w.WriteStartArray();
        foreach (var m in metrics)
        {
            w.WriteStartObject();
            w.WriteString(Name, m.Name);
            w.WriteNumber(Value, m.Value);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>Everything this writer would write is allowed: no forbidden null, a known state, finite numbers.</summary>
    private static bool Writable(FeatureSnapshot s)
    {
        if (s.ApiKeyId is null || s.AccountId is null || s.PolicyVersion is null) return false;
        if (EnumSymbols<KeyState>.IndexOf(s.State) < 0 || !double.IsFinite(s.RiskScore)) return false;
        if (!Writable(s.Metrics)) return false;
        foreach (var r in s.Findings)
        {
            if (r is null || r.Code is null || r.Summary is null || !Writable(r.Metrics)) return false;
            foreach (string subject in r.Subjects)
            {
                if (subject is null) return false;
            }
        }
        foreach (string cap in s.CapsExceeded)
        {
            if (cap is null) return false;
        }
        return true;
    }

    private static bool Writable(IReadOnlyList<Metric> metrics)
    {
        foreach (var m in metrics)
        {
            if (m is null || m.Name is null || !double.IsFinite(m.Value)) return false;
        }
        return true;
    }
}
