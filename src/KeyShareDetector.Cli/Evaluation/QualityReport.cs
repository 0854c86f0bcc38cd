using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using KeyShareDetector.Contracts;
using KeyShareDetector.Simulator;

namespace KeyShareDetector.Cli.Evaluation;

/// <summary>Detection quality for one population.</summary>
public sealed record PopulationQuality(
    string Population,
    bool Abusive,
    int Keys,
    int KeysActioned,
    int Warn,
    int Reauth,
    int Revoke,
    /// <summary>Legitimate keys actioned (0 for abusive populations).</summary>
    int FalsePositives,
    /// <summary>Abusive keys actioned / abusive keys (null for legitimate populations).</summary>
    double? Recall,
    /// <summary>Event time from the abuse start to the key's first command, ms (abusive populations).</summary>
    long? MedianTimeToDetectMs,
    long? P95TimeToDetectMs,
    /// <summary>Lead reason codes of the keys' first commands, most frequent first ("CODE:count, ...").</summary>
    string TopReasons = "");

/// <summary>Per-population outcome of a labelled run plus the headline numbers the acceptance criteria name.</summary>
public sealed record QualityReport(
    IReadOnlyList<PopulationQuality> Populations,
    int Keys,
    int Events,
    int Commands,
    double PrecisionAnyAction,
    double PrecisionRevoke,
    double RecallAbusive,
    long? MedianTimeToDetectMs)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Scores commands against ground truth. Only the first command per key counts for time-to-detect.</summary>
    public static QualityReport Compute(IReadOnlyList<KeyLabel> labels, IReadOnlyList<EnforcementCommand> commands, int events)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(commands);
        var byKey = commands.Where(c => !c.Shadow).GroupBy(c => c.ApiKeyId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(c => c.IssuedAt).ThenBy(c => c.CommandId, StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
        var rows = new List<PopulationQuality>();
        var allTtd = new List<long>();
        foreach (var group in labels.GroupBy(l => l.Population, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            bool abusive = Simulator.Populations.IsAbusive(group.Key);
            int actioned = 0, warn = 0, reauth = 0, revoke = 0;
            var ttd = new List<long>();
            var reasons = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var label in group)
            {
                if (!byKey.TryGetValue(label.ApiKeyId, out var list)) continue;
                actioned++;
                string lead = list[0].Reasons.Count > 0 ? list[0].Reasons[0].Code : "-";
                reasons[lead] = reasons.GetValueOrDefault(lead) + 1;
                warn += list.Count(c => c.Action == EnforcementAction.WARN);
                reauth += list.Count(c => c.Action == EnforcementAction.REAUTH);
                revoke += list.Count(c => c.Action == EnforcementAction.REVOKE);
                if (abusive && label.AbuseStartsAt is { } start) ttd.Add(Math.Max(0, list[0].IssuedAt - start));
            }
            ttd.Sort();
            allTtd.AddRange(ttd);
            int keys = group.Count();
            rows.Add(new PopulationQuality(group.Key, abusive, keys, actioned, warn, reauth, revoke,
                abusive ? 0 : actioned,
                abusive ? (keys == 0 ? null : Math.Round((double)actioned / keys, 4)) : null,
                Percentile(ttd, 0.5), Percentile(ttd, 0.95),
                string.Join(", ", reasons.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(3).Select(kv => $"{kv.Key}:{kv.Value}"))));
        }
        allTtd.Sort();
        int actionedTotal = rows.Sum(r => r.KeysActioned);
        int truePositives = rows.Where(r => r.Abusive).Sum(r => r.KeysActioned);
        var labelled = labels.ToDictionary(l => l.ApiKeyId, l => Simulator.Populations.IsAbusive(l.Population), StringComparer.Ordinal);
        var revokedKeys = byKey.Where(kv => kv.Value.Any(c => c.Action == EnforcementAction.REVOKE)).Select(kv => kv.Key).ToList();
        int revokedAbusive = revokedKeys.Count(k => labelled.GetValueOrDefault(k));
        int abusiveKeys = rows.Where(r => r.Abusive).Sum(r => r.Keys);
        return new QualityReport(rows, labels.Count, events, commands.Count,
            actionedTotal == 0 ? 1.0 : Math.Round((double)truePositives / actionedTotal, 4),
            revokedKeys.Count == 0 ? 1.0 : Math.Round((double)revokedAbusive / revokedKeys.Count, 4),
            abusiveKeys == 0 ? 1.0 : Math.Round((double)truePositives / abusiveKeys, 4),
            Percentile(allTtd, 0.5));
    }

    private static long? Percentile(List<long> sorted, double q) =>
        sorted.Count == 0 ? null : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Plain-text table (the CLI renders it with Spectre; this form is for logs and files).</summary>
    public string ToText()
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"population",-18} {"abusive",7} {"keys",7} {"actioned",8} {"WARN",6} {"REAUTH",6} {"REVOKE",6} {"FP",5} {"recall",7} {"ttd p50",9} {"ttd p95",9}");
        foreach (var r in Populations)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{r.Population,-18} {(r.Abusive ? "yes" : "no"),7} {r.Keys,7} {r.KeysActioned,8} {r.Warn,6} {r.Reauth,6} {r.Revoke,6} {r.FalsePositives,5} {Fmt(r.Recall),7} {Secs(r.MedianTimeToDetectMs),9} {Secs(r.P95TimeToDetectMs),9}");
        }
        sb.AppendLine(CultureInfo.InvariantCulture, $"keys {Keys}, events {Events}, commands {Commands}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"recall (abusive, any action) {RecallAbusive:F4}; precision any action {PrecisionAnyAction:F4}; precision REVOKE {PrecisionRevoke:F4}; median time-to-detect {Secs(MedianTimeToDetectMs)}");
        return sb.ToString();
    }

    internal static string Fmt(double? v) => v is { } x ? x.ToString("F3", CultureInfo.InvariantCulture) : "-";

    internal static string Secs(long? ms) => ms is { } x ? (x / 1000.0).ToString("F1", CultureInfo.InvariantCulture) + " s" : "-";
}
