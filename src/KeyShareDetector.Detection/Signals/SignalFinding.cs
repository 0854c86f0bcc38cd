using KeyShareDetector.Contracts;

namespace KeyShareDetector.Detection.Signals;

/// <summary>
/// What one signal found for one key: a stable code, how strongly (1.0 = its threshold was just met, capped by
/// the policy), the event-time window it refers to, and the evidence a person can read.
/// </summary>
/// <param name="Code">Stable reason code, e.g. IP_DIVERSITY, IMPOSSIBLE_TRAVEL, SPOOF_CYCLE.</param>
/// <param name="Strength">Observed / threshold, >= 1 when the signal fires.</param>
/// <param name="Hard">Hard evidence the policy may let jump ladder steps (e.g. withdraw from an unregistered IP).</param>
public sealed record SignalFinding(string Code, double Strength, long WindowStart, long WindowEnd, Reason Reason, bool Hard = false);

/// <summary>Builds <see cref="Reason"/>s with capped subject lists, so evidence stays small.</summary>
public static class Evidence
{
    /// <summary>Most identifiers one reason lists.</summary>
    public const int SubjectCap = 16;

    public static Reason Of(string code, string summary, IEnumerable<(string Name, double Value)> metrics, IEnumerable<string>? subjects = null)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        return new Reason
        {
            Code = code,
            Summary = summary,
            Metrics = metrics.Select(m => new Metric { Name = m.Name, Value = Finite(m.Value) }).ToList(),
            Subjects = subjects is null ? [] : subjects.Take(SubjectCap).ToList(),
        };
    }

    /// <summary>
    /// The value, with infinities clamped to the largest finite doubles and NaN as 0. Evidence travels as JSON, which
    /// has neither; one such number in a command or snapshot would make it unwritable and stop the stream thread
    /// (a ratio over a fill of 1e-300 is enough).
    /// </summary>
    public static double Finite(double value) => double.IsNaN(value) ? 0 : Math.Clamp(value, double.MinValue, double.MaxValue);
}
