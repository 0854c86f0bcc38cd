using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Detection.Signals;
using static KeyShareDetector.Detection.Tests.Signals.Ctx;

namespace KeyShareDetector.Detection.Tests.Signals;

public class ImpossibleTravelTests
{
    private static readonly ImpossibleTravelRule Rule = new();
    private const long Min = 60_000;

    private static List<SignalFinding> Run(params (GeoInfo Geo, long Ts)[] points)
    {
        var agg = new ImpossibleTravelAggregate();
        var findings = new List<SignalFinding>();
        foreach (var (geo, ts) in points) agg.OnAccess(Of("81.2.69.10", ts, geo), Rule, findings);
        return findings;
    }

    [Fact]
    public void Seoul_to_Frankfurt_distance_is_about_8500_km()
    {
        double km = ImpossibleTravelAggregate.HaversineKm(Places.Seoul.Latitude!.Value, Places.Seoul.Longitude!.Value, Places.Frankfurt.Latitude!.Value, Places.Frankfurt.Longitude!.Value);
        Assert.InRange(km, 8400, 8700);
    }

    [Fact]
    public void A_key_used_alternately_from_Seoul_and_Frankfurt_fires_once_the_jump_repeats()
    {
        var f = Run((Places.Seoul, T0), (Places.Frankfurt, T0 + Min), (Places.Seoul, T0 + (2 * Min)));
        var finding = Assert.Single(f);
        Assert.Equal("IMPOSSIBLE_TRAVEL", finding.Code);
        Assert.Equal(2, finding.Reason.Metrics.Single(m => m.Name == "jumps").Value);
    }

    [Fact]
    public void A_single_jump_does_not_fire()
    {
        Assert.Empty(Run((Places.Seoul, T0), (Places.Frankfurt, T0 + Min)));
    }

    [Fact]
    public void A_genuine_flight_from_Seoul_to_Tokyo_and_back_does_not_fire()
    {
        Assert.Empty(Run((Places.Seoul, T0), (Places.Tokyo, T0 + (150 * Min)), (Places.Seoul, T0 + (400 * Min))));
    }

    [Fact]
    public void Jumps_through_a_VPN_provider_are_discounted()
    {
        Assert.Empty(Run((Places.Seoul, T0), (Places.FrankfurtVpn, T0 + Min), (Places.Seoul, T0 + (2 * Min)), (Places.FrankfurtVpn, T0 + (3 * Min))));
    }

    [Fact]
    public void Short_hops_below_the_minimum_distance_are_GeoIP_noise()
    {
        Assert.Empty(Run((Places.Seoul, T0), (Places.Incheon, T0 + 1000), (Places.Seoul, T0 + 2000), (Places.Incheon, T0 + 3000)));
    }

    [Fact]
    public void An_out_of_order_point_is_compared_with_its_true_neighbours()
    {
        // Seoul at 0 and 2 min, Frankfurt arriving late for 1 min: two impossible jumps once sorted.
        var f = Run((Places.Seoul, T0), (Places.Seoul, T0 + (2 * Min)), (Places.Frankfurt, T0 + Min));
        Assert.Single(f);
    }

    [Fact]
    public void Jumps_older_than_the_lookback_do_not_add_up()
    {
        Assert.Empty(Run((Places.Seoul, T0), (Places.Frankfurt, T0 + Min), (Places.Frankfurt, T0 + Rule.LookbackMs + (2 * Min)), (Places.Frankfurt, T0 + Rule.LookbackMs + (3 * Min)), (Places.Seoul, T0 + Rule.LookbackMs + (4 * Min))));
    }
}
