using System.Globalization;
using System.Text;
using System.Text.Json;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;

namespace KeyShareDetector.Cli.Backtest;

/// <summary>Deterministic JSONL forms of a run's outputs: the same outputs in any arrival order give the same bytes.</summary>
public static class BacktestOutput
{
    /// <summary>Commands by issued_at, then command_id, each as its JSON wire form; exact duplicates (a retried write) once.</summary>
    public static IReadOnlyList<EnforcementCommand> Sort(IEnumerable<EnforcementCommand> commands) =>
        DistinctByJson(commands.OrderBy(c => c.IssuedAt).ThenBy(c => c.CommandId, StringComparer.Ordinal), c => ContractCodecs.Command.SerializeJson(c));

    /// <summary>Alerts by ts, then alert_id; exact duplicates once.</summary>
    public static IReadOnlyList<Alert> Sort(IEnumerable<Alert> alerts) =>
        DistinctByJson(alerts.OrderBy(a => a.Ts).ThenBy(a => a.AlertId, StringComparer.Ordinal), a => ContractCodecs.Alert.SerializeJson(a));

    public static byte[] CommandsJsonl(IEnumerable<EnforcementCommand> commands) => Jsonl(Sort(commands), c => ContractCodecs.Command.SerializeJson(c));

    public static byte[] AlertsJsonl(IEnumerable<Alert> alerts) => Jsonl(Sort(alerts), a => ContractCodecs.Alert.SerializeJson(a));

    private static List<T> DistinctByJson<T>(IEnumerable<T> sorted, Func<T, byte[]> json)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var list = new List<T>();
        foreach (var item in sorted)
        {
            if (seen.Add(Convert.ToBase64String(json(item)))) list.Add(item);
        }
        return list;
    }

    private static byte[] Jsonl<T>(IEnumerable<T> items, Func<T, byte[]> json)
    {
        using var ms = new MemoryStream();
        foreach (var item in items)
        {
            ms.Write(json(item));
            ms.WriteByte((byte)'\n');
        }
        return ms.ToArray();
    }
}

/// <summary>One key whose outcome differs between the baseline and the candidate policy.</summary>
public sealed record KeyDiff(string ApiKeyId, string? Baseline, string? Candidate);

/// <summary>How the candidate's commands differ from the baseline's, per key (the strongest action each sent).</summary>
public sealed record PolicyDiff(
    int BaselineCommands,
    int CandidateCommands,
    int BaselineKeysActioned,
    int CandidateKeysActioned,
    IReadOnlyList<KeyDiff> NewlyActioned,
    IReadOnlyList<KeyDiff> NoLongerActioned,
    IReadOnlyList<KeyDiff> ActionChanged)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static PolicyDiff Compute(IReadOnlyList<EnforcementCommand> baseline, IReadOnlyList<EnforcementCommand> candidate)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        var b = Strongest(baseline);
        var c = Strongest(candidate);
        var newly = c.Keys.Where(k => !b.ContainsKey(k)).Order(StringComparer.Ordinal).Select(k => new KeyDiff(k, null, c[k].ToString())).ToList();
        var gone = b.Keys.Where(k => !c.ContainsKey(k)).Order(StringComparer.Ordinal).Select(k => new KeyDiff(k, b[k].ToString(), null)).ToList();
        var changed = c.Keys.Where(k => b.TryGetValue(k, out var a) && a != c[k]).Order(StringComparer.Ordinal)
            .Select(k => new KeyDiff(k, b[k].ToString(), c[k].ToString())).ToList();
        return new PolicyDiff(baseline.Count, candidate.Count, b.Count, c.Count, newly, gone, changed);
    }

    private static Dictionary<string, EnforcementAction> Strongest(IEnumerable<EnforcementCommand> commands) =>
        commands.GroupBy(x => x.ApiKeyId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Max(x => x.Action), StringComparer.Ordinal);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public string ToText()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"",-24} {"baseline",10} {"candidate",10}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"commands",-24} {BaselineCommands,10} {CandidateCommands,10}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"keys actioned",-24} {BaselineKeysActioned,10} {CandidateKeysActioned,10}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"newly actioned {NewlyActioned.Count}, no longer actioned {NoLongerActioned.Count}, action changed {ActionChanged.Count}");
        foreach (var (title, rows) in new[] { ("newly actioned", NewlyActioned), ("no longer actioned", NoLongerActioned), ("action changed", ActionChanged) })
        {
            foreach (var r in rows.Take(20)) sb.AppendLine(CultureInfo.InvariantCulture, $"  {title,-20} {r.ApiKeyId,-24} {r.Baseline ?? "-",-8} -> {r.Candidate ?? "-"}");
            if (rows.Count > 20) sb.AppendLine(CultureInfo.InvariantCulture, $"  {title,-20} ... {rows.Count - 20} more in diff.json");
        }
        return sb.ToString();
    }
}
