namespace KeyShareDetector.Detection.Geo;

/// <summary>A geo data file cannot be used: the message names the file and, where there is one, the line.</summary>
public sealed class GeoDataException : Exception
{
    public GeoDataException()
    {
    }

    public GeoDataException(string message)
        : base(message)
    {
    }

    public GeoDataException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public GeoDataException(string file, int? line, string problem, Exception? innerException = null)
        : base(line is int l ? $"{file}:{l}: {problem}" : $"{file}: {problem}", innerException)
    {
        File = file;
        Line = line;
    }

    /// <summary>The file (or source name) at fault.</summary>
    public string? File { get; }

    /// <summary>1-based line number, when one line is at fault.</summary>
    public int? Line { get; }
}
