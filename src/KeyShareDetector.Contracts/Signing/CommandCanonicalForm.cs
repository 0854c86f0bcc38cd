using System.Globalization;
using System.Text;

namespace KeyShareDetector.Contracts.Signing;

/// <summary>
/// The exact bytes a command signature covers (format <c>ksd-command-v1</c>). Independent of any JSON or Avro
/// library, so a backend in any language can rebuild it from the decoded fields.
/// </summary>
/// <remarks>
/// UTF-8 text, one <c>name=value</c> line per field, each line ended by <c>\n</c>, in this order:
/// <c>format</c> (always <c>ksd-command-v1</c>), <c>command_id</c>, <c>api_key_id</c>, <c>account_id</c>, <c>action</c>,
/// <c>issued_at</c>, <c>policy_version</c>, <c>risk_score</c>; then for each reason i (0-based):
/// <c>reasons[i].code</c>, <c>reasons[i].summary</c>, one <c>reasons[i].metrics[j]=NAME=NUMBER</c> line per metric
/// and one <c>reasons[i].subjects[j]</c> line per subject; then <c>previous_state</c>, <c>new_state</c>,
/// <c>expires_at</c>, <c>window_start</c>, <c>window_end</c>, <c>shadow</c> (<c>true</c>/<c>false</c>),
/// <c>signing_key_id</c>. The signature itself is not covered. Enums are their symbol names; longs are decimal;
/// doubles are the shortest text that round-trips (<c>R</c>, invariant culture: <c>0.97</c>, <c>135000</c>,
/// <c>1E-05</c>, <c>1E+20</c>). In every value <c>\</c> becomes <c>\\</c> and a line feed becomes <c>\n</c>, so a
/// value can never forge another line.
/// </remarks>
public static class CommandCanonicalForm
{
    /// <summary>The first line's value; a change of layout gets a new one.</summary>
    public const string Format = "ksd-command-v1";

    /// <summary>The canonical bytes of <paramref name="c"/>, whatever its <see cref="EnforcementCommand.Signature"/>.</summary>
    /// <exception cref="ArgumentException">A string field or list item of the command is null.</exception>
    public static byte[] Encode(EnforcementCommand c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var sb = new StringBuilder(512);
        Line(sb, "format", Format);
        Line(sb, "command_id", c.CommandId);
        Line(sb, "api_key_id", c.ApiKeyId);
        Line(sb, "account_id", c.AccountId);
        Line(sb, "action", c.Action.ToString());
        Line(sb, "issued_at", Num(c.IssuedAt));
        Line(sb, "policy_version", c.PolicyVersion);
        Line(sb, "risk_score", Num(c.RiskScore));
        for (int i = 0; i < c.Reasons.Count; i++)
        {
            string p = string.Create(CultureInfo.InvariantCulture, $"reasons[{i}].");
            var r = c.Reasons[i] ?? throw NullField(p.TrimEnd('.'));
            Line(sb, p + "code", r.Code);
            Line(sb, p + "summary", r.Summary);
            for (int j = 0; j < r.Metrics.Count; j++)
            {
                string name = string.Create(CultureInfo.InvariantCulture, $"{p}metrics[{j}]");
                var m = r.Metrics[j] ?? throw NullField(name);
                Line(sb, name, (m.Name ?? throw NullField(name + ".name")) + "=" + Num(m.Value));
            }
            for (int j = 0; j < r.Subjects.Count; j++)
            {
                Line(sb, string.Create(CultureInfo.InvariantCulture, $"{p}subjects[{j}]"), r.Subjects[j]);
            }
        }
        Line(sb, "previous_state", c.PreviousState.ToString());
        Line(sb, "new_state", c.NewState.ToString());
        Line(sb, "expires_at", Num(c.ExpiresAt));
        Line(sb, "window_start", Num(c.WindowStart));
        Line(sb, "window_end", Num(c.WindowEnd));
        Line(sb, "shadow", c.Shadow ? "true" : "false");
        Line(sb, "signing_key_id", c.SigningKeyId);
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static string Num(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    // Values are escaped so a newline inside a value cannot forge another line.
    private static void Line(StringBuilder sb, string name, string? value)
    {
        if (value is null) throw NullField(name);
        sb.Append(name).Append('=').Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n');
    }

    private static ArgumentException NullField(string name) => new($"command field '{name}' is null");
}
