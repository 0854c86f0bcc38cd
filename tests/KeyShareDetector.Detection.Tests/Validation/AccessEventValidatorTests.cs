using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.Validation;
using static KeyShareDetector.Detection.Tests.TestEvents;

namespace KeyShareDetector.Detection.Tests.Validation;

public class AccessEventValidatorTests
{
    private static readonly InputLimits Limits = new();

    [Fact]
    public void A_good_event_passes() =>
        Assert.Null(AccessEventValidator.Validate(Access("k", "2001:db8::1", T0), T0, Limits));

    [Theory]
    [InlineData("999.1.1.1")]
    [InlineData("not-an-ip")]
    [InlineData("")]
    [InlineData("127.1")]
    [InlineData("010.0.0.1")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("[::1]")]
    [InlineData("fe80::1%eth0")]
    public void Invalid_ips_are_rejected(string ip) =>
        Assert.Equal("INVALID_IP", AccessEventValidator.Validate(Access("k", ip, T0), T0, Limits)?.Code);

    [Fact]
    public void Timestamps_far_in_the_future_are_rejected() =>
        Assert.Equal("TS_OUT_OF_RANGE", AccessEventValidator.Validate(Access("k", "1.2.3.4", 9_000_000_000_000), 9_000_000_000_000, Limits)?.Code);

    [Fact]
    public void A_payload_time_far_from_the_record_time_is_rejected() =>
        Assert.Equal("TS_SKEW", AccessEventValidator.Validate(Access("k", "1.2.3.4", T0), T0 + (2 * 86_400_000L), Limits)?.Code);

    [Fact]
    public void Oversized_ids_are_rejected() =>
        Assert.Equal("FIELD_TOO_LONG", AccessEventValidator.Validate(Access(new string('k', 500), "1.2.3.4", T0), T0, Limits)?.Code);
}
