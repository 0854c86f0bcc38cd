using Confluent.Kafka;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.SerDes;

namespace KeyShareDetector.Streams.Tests.Configuration;

public class StreamConfigSettingsTests
{
    private static StreamConfig<StringSerDes, StringSerDes> Config() => new();

    [Fact]
    public void Numeric_and_boolean_settings_given_as_text_are_set_with_their_type()
    {
        var config = Config();
        StreamConfigSettings.Apply(config, "fetch.wait.max.ms", "5");
        StreamConfigSettings.Apply(config, "socket.keepalive.enable", "true");
        StreamConfigSettings.Apply(config, "statistics.interval.ms", "1000");
        Assert.Equal(5, config["fetch.wait.max.ms"]);
        Assert.Equal(true, config["socket.keepalive.enable"]);
        Assert.Equal(1000, config["statistics.interval.ms"]);
    }

    [Fact]
    public void Text_settings_stay_text_even_when_they_look_like_numbers()
    {
        var config = Config();
        StreamConfigSettings.Apply(config, "client.id", "123");
        StreamConfigSettings.Apply(config, "main.consumer.fetch.wait.max.ms", "5");
        Assert.Equal("123", config["client.id"]);
        Assert.Equal("5", config["main.consumer.fetch.wait.max.ms"]);
    }

    [Fact]
    public void Security_settings_take_their_enum_values()
    {
        var config = Config();
        StreamConfigSettings.Apply(config, "security.protocol", "SASL_SSL");
        StreamConfigSettings.Apply(config, "sasl.mechanism", "scram-sha-512");
        Assert.Equal(SecurityProtocol.SaslSsl, config.SecurityProtocol);
        Assert.Equal(SaslMechanism.ScramSha512, config.SaslMechanism);
    }

    [Fact]
    public void A_value_of_the_wrong_type_fails_with_one_line_naming_the_setting_and_not_the_value()
    {
        var e = Assert.Throws<ArgumentException>(() => StreamConfigSettings.Apply(Config(), "fetch.wait.max.ms", "s3cret-soon"));
        Assert.Contains("fetch.wait.max.ms", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Throws<ArgumentException>(() => StreamConfigSettings.Apply(Config(), "security.protocol", "carrier-pigeon"));
    }

    [Fact]
    public void Problem_names_a_wrong_setting_in_one_line_without_its_value_and_accepts_a_prefixed_one()
    {
        Assert.Null(StreamConfigSettings.Problem("main.consumer.session.timeout.ms", "6000"));
        Assert.Null(StreamConfigSettings.Problem("session.timeout.ms", "6000"));
        string? problem = StreamConfigSettings.Problem("session.timeout.ms", "s3cret-soon");
        Assert.NotNull(problem);
        Assert.Contains("session.timeout.ms", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("Parameter", problem, StringComparison.Ordinal);
        Assert.NotNull(StreamConfigSettings.Problem("", "1"));
    }
}
