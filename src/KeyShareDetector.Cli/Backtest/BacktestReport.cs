using System.Globalization;
using System.Net;
using System.Text;
using KeyShareDetector.Cli.Evaluation;
using KeyShareDetector.Contracts;
using ScottPlot;

namespace KeyShareDetector.Cli.Backtest;

/// <summary>What the HTML report shows.</summary>
public sealed record BacktestReportData(
    string CandidatePolicies,
    string? BaselinePolicies,
    int Events,
    IReadOnlyList<EnforcementCommand> Candidate,
    IReadOnlyList<EnforcementCommand>? Baseline,
    IReadOnlyList<Alert> Alerts,
    PolicyDiff? Diff,
    QualityReport? Quality,
    QualityReport? BaselineQuality);

/// <summary>
/// A self-contained HTML report: every chart is a PNG drawn with ScottPlot and embedded as a data: URI; no scripts,
/// fonts or style sheets are fetched, so it opens offline.
/// </summary>
public static class BacktestReport
{
    /// <summary>Width of one bucket of the commands-over-time chart: 10 minutes of event time.</summary>
    public const long BucketMs = 10 * 60_000;
    private const int Width = 900;
    private const int Height = 420;

    private static readonly Dictionary<EnforcementAction, Color> ActionColors = new()
    {
        [EnforcementAction.WARN] = Colors.Gold,
        [EnforcementAction.REAUTH] = Colors.DarkOrange,
        [EnforcementAction.REVOKE] = Colors.Crimson,
    };

    /// <summary>The charts, in report order: title and PNG bytes.</summary>
    public static IReadOnlyList<(string Title, byte[] Png)> Charts(BacktestReportData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var charts = new List<(string, byte[])>
        {
            ("Commands over time by action (candidate, per 10 min of event time)", CommandsOverTime(data.Candidate)),
            ("Risk score at issue", RiskHistogram(data.Candidate, data.Baseline)),
            ("Top reason codes (candidate)", TopReasons(data.Candidate)),
        };
        if (data.Quality is not null) charts.Add(("Keys actioned per population", Populations(data.Quality, data.BaselineQuality)));
        return charts;
    }

    public static string Html(BacktestReportData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>keyshare backtest</title>\n<style>")
            .Append("body{font-family:sans-serif;margin:2em;max-width:960px}table{border-collapse:collapse;margin:1em 0}")
            .Append("td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}th{background:#f3f3f3}td:first-child{text-align:left}img{max-width:100%;border:1px solid #ddd}")
            .Append("</style></head><body>\n<h1>keyshare backtest</h1>\n");
        sb.Append("<p>candidate policy: <b>").Append(E(data.CandidatePolicies)).Append("</b>");
        if (data.BaselinePolicies is not null) sb.Append("; baseline policy: <b>").Append(E(data.BaselinePolicies)).Append("</b>");
        sb.Append(CultureInfo.InvariantCulture, $"; {data.Events:N0} events; {data.Candidate.Count:N0} commands; {data.Alerts.Count:N0} alerts</p>\n");

        sb.Append("<h2>Commands by action</h2>\n<table><tr><th>action</th><th>candidate</th>");
        if (data.Baseline is not null) sb.Append("<th>baseline</th>");
        sb.Append("</tr>\n");
        foreach (var action in Enum.GetValues<EnforcementAction>())
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{action}</td><td>{data.Candidate.Count(c => c.Action == action)}</td>");
            if (data.Baseline is not null) sb.Append(CultureInfo.InvariantCulture, $"<td>{data.Baseline.Count(c => c.Action == action)}</td>");
            sb.Append("</tr>\n");
        }
        sb.Append("</table>\n");

        if (data.Diff is { } d)
        {
            sb.Append("<h2>Candidate vs baseline</h2>\n<table><tr><th></th><th>baseline</th><th>candidate</th></tr>\n")
                .Append(CultureInfo.InvariantCulture, $"<tr><td>commands</td><td>{d.BaselineCommands}</td><td>{d.CandidateCommands}</td></tr>\n")
                .Append(CultureInfo.InvariantCulture, $"<tr><td>keys actioned</td><td>{d.BaselineKeysActioned}</td><td>{d.CandidateKeysActioned}</td></tr>\n</table>\n")
                .Append(CultureInfo.InvariantCulture, $"<p>newly actioned {d.NewlyActioned.Count}, no longer actioned {d.NoLongerActioned.Count}, action changed {d.ActionChanged.Count} (keys listed in diff.json)</p>\n");
        }

        if (data.Quality is { } q)
        {
            sb.Append("<h2>Per-population quality (candidate)</h2>\n<table><tr><th>population</th><th>abusive</th><th>keys</th><th>actioned</th><th>WARN</th><th>REAUTH</th><th>REVOKE</th><th>false pos.</th><th>recall</th><th>ttd p50</th></tr>\n");
            foreach (var r in q.Populations)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(r.Population)}</td><td>{(r.Abusive ? "yes" : "no")}</td><td>{r.Keys}</td><td>{r.KeysActioned}</td><td>{r.Warn}</td><td>{r.Reauth}</td><td>{r.Revoke}</td><td>{r.FalsePositives}</td><td>{QualityReport.Fmt(r.Recall)}</td><td>{QualityReport.Secs(r.MedianTimeToDetectMs)}</td></tr>\n");
            }
            sb.Append("</table>\n").Append(CultureInfo.InvariantCulture,
                $"<p>recall (abusive, any action) {q.RecallAbusive:F4}; precision any action {q.PrecisionAnyAction:F4}; precision REVOKE {q.PrecisionRevoke:F4}</p>\n");
        }

        sb.Append("<h2>Charts</h2>\n");
        foreach (var (title, png) in Charts(data))
        {
            sb.Append("<h3>").Append(E(title)).Append("</h3>\n<img alt=\"").Append(E(title)).Append("\" src=\"data:image/png;base64,")
                .Append(Convert.ToBase64String(png)).Append("\">\n");
        }
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);

    private static byte[] CommandsOverTime(IReadOnlyList<EnforcementCommand> commands)
    {
        using var plot = new Plot();
        plot.Title("Commands over time by action");
        plot.XLabel("event time (UTC, start of 10 min bucket)");
        plot.YLabel("commands");
        var live = commands;
        if (live.Count > 0)
        {
            long first = live.Min(c => c.IssuedAt) / BucketMs;
            long last = live.Max(c => c.IssuedAt) / BucketMs;
            int n = (int)(last - first + 1);
            var stacked = new double[n];
            var bars = new List<Bar>();
            foreach (var action in Enum.GetValues<EnforcementAction>())
            {
                var counts = new double[n];
                foreach (var c in live.Where(c => c.Action == action)) counts[(int)((c.IssuedAt / BucketMs) - first)]++;
                for (int i = 0; i < n; i++)
                {
                    if (counts[i] == 0) continue;
                    bars.Add(new Bar { Position = i, ValueBase = stacked[i], Value = stacked[i] + counts[i], FillColor = ActionColors[action] });
                    stacked[i] += counts[i];
                }
                plot.Legend.ManualItems.Add(new LegendItem { LabelText = action.ToString(), FillColor = ActionColors[action] });
            }
            plot.Add.Bars(bars);
            int step = Math.Max(1, n / 8);
            var ticks = Enumerable.Range(0, n).Where(i => i % step == 0).ToArray();
            plot.Axes.Bottom.SetTicks(ticks.Select(i => (double)i).ToArray(),
                ticks.Select(i => DateTimeOffset.FromUnixTimeMilliseconds((first + i) * BucketMs).ToString("MM-dd HH:mm", CultureInfo.InvariantCulture)).ToArray());
            plot.ShowLegend(Alignment.UpperRight);
        }
        plot.Axes.Margins(bottom: 0);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    private static byte[] RiskHistogram(IReadOnlyList<EnforcementCommand> candidate, IReadOnlyList<EnforcementCommand>? baseline)
    {
        using var plot = new Plot();
        plot.Title("Risk-score distribution of commands");
        plot.XLabel("risk score (bins of 10)");
        plot.YLabel("commands");
        const double bin = 10;
        var series = new List<(string Name, IReadOnlyList<EnforcementCommand> Commands, Color Color)> { ("candidate", candidate, Colors.SteelBlue) };
        if (baseline is not null) series.Add(("baseline", baseline, Colors.Gray));
        double max = series.SelectMany(s => s.Commands).Select(c => c.RiskScore).DefaultIfEmpty(0).Max();
        int bins = Math.Max(1, (int)Math.Floor(max / bin) + 1);
        double width = 0.8 / series.Count;
        var bars = new List<Bar>();
        for (int s = 0; s < series.Count; s++)
        {
            var counts = new double[bins];
            foreach (var c in series[s].Commands) counts[Math.Clamp((int)Math.Floor(c.RiskScore / bin), 0, bins - 1)]++;
            for (int i = 0; i < bins; i++)
            {
                bars.Add(new Bar { Position = i - 0.4 + (width * (s + 0.5)), Value = counts[i], Size = width, FillColor = series[s].Color });
            }
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[s].Name, FillColor = series[s].Color });
        }
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, bins).Select(i => (double)i).ToArray(),
            Enumerable.Range(0, bins).Select(i => (i * bin).ToString("F0", CultureInfo.InvariantCulture)).ToArray());
        plot.ShowLegend(Alignment.UpperRight);
        plot.Axes.Margins(bottom: 0);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    private static byte[] TopReasons(IReadOnlyList<EnforcementCommand> commands)
    {
        using var plot = new Plot();
        plot.Title("Top reason codes");
        plot.YLabel("commands citing the reason");
        var top = commands.SelectMany(c => c.Reasons.Select(r => r.Code).Distinct(StringComparer.Ordinal))
            .GroupBy(c => c, StringComparer.Ordinal).Select(g => (Code: g.Key, Count: g.Count()))
            .OrderByDescending(x => x.Count).ThenBy(x => x.Code, StringComparer.Ordinal).Take(10).ToList();
        if (top.Count > 0)
        {
            plot.Add.Bars(top.Select((t, i) => new Bar { Position = i, Value = t.Count, FillColor = Colors.SteelBlue }).ToList());
            plot.Axes.Bottom.SetTicks(top.Select((_, i) => (double)i).ToArray(), top.Select(t => t.Code).ToArray());
            plot.Axes.Bottom.TickLabelStyle.Rotation = -30;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        }
        plot.Axes.Margins(bottom: 0);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    private static byte[] Populations(QualityReport candidate, QualityReport? baseline)
    {
        using var plot = new Plot();
        plot.Title("Keys actioned per population");
        plot.YLabel("keys");
        var series = new List<(string Name, QualityReport Report, Color Color)> { ("keys", candidate, Colors.LightGray), ("actioned (candidate)", candidate, Colors.SteelBlue) };
        if (baseline is not null) series.Add(("actioned (baseline)", baseline, Colors.Gray));
        var names = candidate.Populations.Select(p => p.Population).ToList();
        double width = 0.8 / series.Count;
        var bars = new List<Bar>();
        for (int s = 0; s < series.Count; s++)
        {
            for (int i = 0; i < names.Count; i++)
            {
                var row = series[s].Report.Populations.FirstOrDefault(p => p.Population == names[i]);
                double value = row is null ? 0 : s == 0 ? row.Keys : row.KeysActioned;
                bars.Add(new Bar { Position = i - 0.4 + (width * (s + 0.5)), Value = value, Size = width, FillColor = series[s].Color });
            }
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[s].Name, FillColor = series[s].Color });
        }
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks(names.Select((_, i) => (double)i).ToArray(), names.ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = -30;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plot.ShowLegend(Alignment.UpperRight);
        plot.Axes.Margins(bottom: 0);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }
}
