using System.Globalization;
using Confluent.Kafka;
using Streamiz.Kafka.Net;

namespace KeyShareDetector.Streams;

/// <summary>
/// Puts a librdkafka setting given as text (configuration files and environment variables only have text) onto a
/// Streamiz <see cref="StreamConfig"/>, whose indexer maps known keys onto typed properties and refuses text for the
/// numeric, boolean and enum ones.
/// </summary>
public static class StreamConfigSettings
{
    /// <exception cref="ArgumentException">The value does not fit the setting; the message names the setting, never the value of a secret.</exception>
    public static void Apply(StreamConfig config, string key, string value)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        switch (key)
        {
            case "security.protocol":
                config.SecurityProtocol = Enum.TryParse<SecurityProtocol>(value.Replace("_", "", StringComparison.Ordinal), ignoreCase: true, out var protocol)
                    ? protocol
                    : throw new ArgumentException($"Kafka setting {key} must be one of {string.Join(", ", Enum.GetNames<SecurityProtocol>())}", nameof(value));
                return;
            case "sasl.mechanism":
                config.SaslMechanism = value.ToUpperInvariant() switch
                {
                    "PLAIN" => SaslMechanism.Plain,
                    "SCRAM-SHA-256" => SaslMechanism.ScramSha256,
                    "SCRAM-SHA-512" => SaslMechanism.ScramSha512,
                    "OAUTHBEARER" => SaslMechanism.OAuthBearer,
                    "GSSAPI" => SaslMechanism.Gssapi,
                    _ => throw new ArgumentException($"Kafka setting {key} '{value}' is not supported (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER, GSSAPI)", nameof(value)),
                };
                return;
        }
        try
        {
            config[key] = value;
            return;
        }
        catch (ArgumentException)
        {
            // A typed property: try the value as a number or a flag below.
        }
        foreach (var typed in Candidates(value))
        {
            try
            {
                config[key] = typed;
                return;
            }
            catch (ArgumentException)
            {
                // Not this type either.
            }
        }
        throw new ArgumentException($"Kafka setting {key} has a value of the wrong type (expected a number, true/false or one of its named values)", nameof(value));
    }

    /// <summary>Why this setting cannot be put on a stream configuration, or null when it can (checked on a throwaway one).</summary>
    public static string? Problem(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (key.Length == 0) return "an empty setting name";
        try
        {
            Apply(new StreamConfig(), key, value);
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message.Split(" (Parameter", 2)[0];
        }
    }

    private static IEnumerable<object> Candidates(string value)
    {
        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i)) yield return i;
        if (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l)) yield return l;
        if (bool.TryParse(value, out bool b)) yield return b;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)) yield return d;
    }
}
