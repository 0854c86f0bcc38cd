namespace KeyShareDetector.Geo;

/// <summary>Geo settings cannot be used; one line per problem, each naming the setting.</summary>
public sealed class GeoConfigurationException : Exception
{
    public GeoConfigurationException()
        : this([])
    {
    }

    public GeoConfigurationException(string message)
        : this([message])
    {
    }

    public GeoConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    public GeoConfigurationException(IReadOnlyList<string> problems, Exception? innerException = null)
        : base(problems is null || problems.Count == 0 ? "Invalid geo configuration." : string.Join(Environment.NewLine, problems), innerException)
    {
        Problems = problems ?? [];
    }

    public IReadOnlyList<string> Problems { get; }
}
