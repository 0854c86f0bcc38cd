using System.Globalization;

namespace KeyShareDetector.Integration.Tests.Support;

/// <summary>
/// The size knob of the reliability tests (issue 9): `make test` runs them at factor 1, sized for the CI budget;
/// `make soak` sets KSD_SOAK to a larger factor and KSD_SOAK_RESULTS to a file that collects one figures line per
/// test (events, faults, duration, missing, duplicated), which it prints at the end. Shared by file link with the
/// Detection tests (HostileKeyTests), so it depends on nothing but the BCL.
/// </summary>
public static class SoakScale
{
    public const string FactorVariable = "KSD_SOAK";
    public const string ResultsVariable = "KSD_SOAK_RESULTS";

    /// <summary>Tests in the soak set carry [Trait(Trait, Category)]; `make soak` runs exactly those.</summary>
    public const string Trait = "Category";
    public const string Category = "Soak";

    private static readonly Lock Gate = new();

    /// <summary>How many times the CI size the tests run at: KSD_SOAK (a whole number >= 1), 1 when unset.</summary>
    public static int Factor
    {
        get
        {
            string? text = Environment.GetEnvironmentVariable(FactorVariable);
            if (string.IsNullOrWhiteSpace(text)) return 1;
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int f) && f >= 1
                ? f
                : throw new InvalidOperationException($"{FactorVariable} must be a whole number >= 1 (the soak size factor)");
        }
    }

    /// <summary>A count sized for CI, times <see cref="Factor"/>.</summary>
    public static int Of(int ciSize) => checked(ciSize * Factor);

    /// <summary>A deadline sized for CI, times <see cref="Factor"/>.</summary>
    public static TimeSpan Of(TimeSpan ciDeadline) => ciDeadline * Factor;

    /// <summary>
    /// The figures line of one test run; appended to KSD_SOAK_RESULTS when set. Pass null for a figure the test
    /// does not have (printed "n/a").
    /// </summary>
    public static string Record(string test, long events, long faults, TimeSpan duration, long? missing, long? duplicated)
    {
        static string Figure(long? n) => n?.ToString(CultureInfo.InvariantCulture) ?? "n/a";
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{test,-28} events={events,-9} faults={faults,-7} duration={duration.TotalSeconds,7:F1}s missing={Figure(missing),-4} duplicated={Figure(duplicated),-4} factor={Factor}");
        string? path = Environment.GetEnvironmentVariable(ResultsVariable);
        if (!string.IsNullOrEmpty(path))
        {
            lock (Gate) File.AppendAllText(path, line + Environment.NewLine);
        }
        return line;
    }
}
