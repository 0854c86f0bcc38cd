using System.Globalization;
using System.Text;
using KeyShareDetector.Contracts;

namespace KeyShareDetector.Detection.Enforcement;

/// <summary>
/// The exact bytes a command signature covers: every field but the signature, one "name=value" line each,
/// in a fixed order, numbers in invariant round-trip form. Independent of any JSON or Avro library so a
/// backend in any language can rebuild it.
/// </summary>
public static class CommandCanonicalForm
{
    public static byte[] Encode(EnforcementCommand c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var sb = new StringBuilder(512);
        Line(sb, "format", "ksd-command-v1");
        Line(sb, "command_id", c.CommandId);
        Line(sb, "api_key_id", c.ApiKeyId);
        Line(sb, "account_id", c.AccountId);
        Line(sb, "action", c.Action.ToString());
        Line(sb, "issued_at", Num(c.IssuedAt));
        Line(sb, "policy_version", c.PolicyVersion);
        Line(sb, "risk_score", Num(c.RiskScore));
        for (int i = 0; i < c.Reasons.Count; i++)
        {
            var r = c.Reasons[i];
            string p = string.Create(CultureInfo.InvariantCulture, $"reasons[{i}].");
            Line(sb, p + "code", r.Code);
            Line(sb, p + "summary", r.Summary);
            for (int j = 0; j < r.Metrics.Count; j++)
            {
                Line(sb, string.Create(CultureInfo.InvariantCulture, $"{p}metrics[{j}]"), r.Metrics[j].Name + "=" + Num(r.Metrics[j].Value));
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
    private static void Line(StringBuilder sb, string name, string value) =>
        sb.Append(name).Append('=').Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n');
}
