namespace KeyShareDetector.Detection.Geo;

/// <summary>Two ranges given to <see cref="IpRangeTable.Builder"/> share an address; the tags say which.</summary>
public sealed class IpRangeOverlapException : Exception
{
    public IpRangeOverlapException()
    {
    }

    public IpRangeOverlapException(string message)
        : base(message)
    {
    }

    public IpRangeOverlapException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public IpRangeOverlapException(string message, long firstTag, long secondTag)
        : base(message)
    {
        FirstTag = firstTag;
        SecondTag = secondTag;
    }

    /// <summary>Tag of the range that starts first.</summary>
    public long FirstTag { get; }

    /// <summary>Tag of the range that starts inside it.</summary>
    public long SecondTag { get; }
}
