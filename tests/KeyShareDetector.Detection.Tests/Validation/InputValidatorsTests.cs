using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.Validation;
using static KeyShareDetector.Detection.Tests.TestEvents;

namespace KeyShareDetector.Detection.Tests.Validation;

public class InputValidatorsTests
{
    private static readonly InputLimits Limits = new();

    private static readonly OrderEvent Order = new()
    {
        EventId = "e1", Ts = T0, ApiKeyId = "k", AccountId = "a", OrderId = "o1", Symbol = "KRW-BTC", Side = OrderSide.BUY,
        EventType = OrderEventType.PLACE, Price = 150_000_000, Quantity = 0.01, BestBid = 149_990_000, BestAsk = 150_010_000,
        Ip = "81.2.69.10", SessionId = "s1",
    };

    private static readonly KeyRegistryRecord Registry = new()
    {
        ApiKeyId = "k", AccountId = "a", AllowedCidrs = ["81.2.69.0/24", "2001:db8::/32"], Permissions = [Permission.READ, Permission.TRADE], CreatedAt = T0,
    };

    private static readonly KeyLifecycleEvent Lifecycle = new()
    {
        EventId = "l1", Ts = T0, ApiKeyId = "k", AccountId = "a", Kind = LifecycleKind.REAUTH_COMPLETED, CommandId = "c1",
    };

    [Fact]
    public void Good_records_pass()
    {
        Assert.Null(InputValidators.Order(Order, T0, Limits));
        Assert.Null(InputValidators.Registry(Registry, Limits));
        Assert.Null(InputValidators.Lifecycle(Lifecycle, T0, Limits));
    }

    /// <summary>Regression: these fields were never length-checked; the order session id is even kept in the key's state.</summary>
    [Fact]
    public void Oversized_fields_that_were_not_checked_are_rejected()
    {
        string huge = new('x', Limits.MaxIdLength + 1);
        Assert.Equal("FIELD_TOO_LONG", AccessEventValidator.Validate(Access("k", "81.2.69.10", T0) with { Method = huge }, T0, Limits)?.Code);
        Assert.Equal("FIELD_TOO_LONG", InputValidators.Order(Order with { SessionId = huge }, T0, Limits)?.Code);
        Assert.Equal("FIELD_TOO_LONG", InputValidators.Lifecycle(Lifecycle with { CommandId = huge }, T0, Limits)?.Code);
        Assert.Equal("FIELD_TOO_LONG", InputValidators.Registry(Registry with { AllowedCidrs = ["10.0.0.0/8" + new string(' ', 500)] }, Limits)?.Code);
    }

    /// <summary>Regression: a registry record with a million permission entries was accepted and kept in the key's state.</summary>
    [Fact]
    public void A_registry_record_with_more_permissions_than_the_entry_limit_is_rejected()
    {
        var many = Enumerable.Repeat(Permission.READ, Limits.MaxAllowlistEntries + 1).ToArray();
        Assert.Equal("FIELD_TOO_LONG", InputValidators.Registry(Registry with { Permissions = many }, Limits)?.Code);
        Assert.Null(InputValidators.Registry(Registry with { Permissions = many[..Limits.MaxAllowlistEntries] }, Limits));
    }

    [Theory]
    [InlineData("127.1")]
    [InlineData("010.0.0.1")]
    [InlineData("[::1]")]
    public void An_order_ip_another_reader_may_read_differently_is_rejected(string ip) =>
        Assert.Equal("INVALID_IP", InputValidators.Order(Order with { Ip = ip }, T0, Limits)?.Code);

    [Fact]
    public void An_allowlist_entry_with_a_leading_zero_is_an_invalid_cidr() =>
        Assert.Equal("INVALID_CIDR", InputValidators.Registry(Registry with { AllowedCidrs = ["010.0.0.0/8"] }, Limits)?.Code);

    /// <summary>Regression: price x quantity overflowed to infinity and the feature snapshot could not be written, which stopped the stream thread.</summary>
    [Theory]
    [InlineData(1e300, 1)]
    [InlineData(1, 1e300)]
    [InlineData(1.0000001e15, 1)]
    [InlineData(double.MaxValue, 1)]
    public void Order_amounts_above_the_limit_are_rejected(double price, double quantity) =>
        Assert.Equal("INVALID_NUMBER", InputValidators.Order(Order with { Price = price, Quantity = quantity }, T0, Limits)?.Code);

    [Fact]
    public void Order_amounts_at_the_limit_are_accepted_and_their_notional_is_finite()
    {
        var e = Order with { Price = Limits.MaxOrderAmount, Quantity = Limits.MaxOrderAmount, FilledQuantity = Limits.MaxOrderAmount };
        Assert.Null(InputValidators.Order(e, T0, Limits));
        Assert.True(double.IsFinite(e.Price * e.Quantity * 1e6));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(-1e-9)]
    [InlineData(2e15)]
    public void Best_bid_and_ask_follow_the_same_bounds(double value)
    {
        Assert.Equal("INVALID_NUMBER", InputValidators.Order(Order with { BestBid = value }, T0, Limits)?.Code);
        Assert.Equal("INVALID_NUMBER", InputValidators.Order(Order with { BestAsk = value }, T0, Limits)?.Code);
    }

    [Fact]
    public void A_policy_with_a_max_order_amount_whose_square_overflows_is_invalid()
    {
        var policy = DetectionPolicy.Default with { Limits = Limits with { MaxOrderAmount = 1e200 } };
        Assert.Contains(policy.Validate(), e => e.StartsWith("limits.maxOrderAmount", StringComparison.Ordinal));
    }
}
