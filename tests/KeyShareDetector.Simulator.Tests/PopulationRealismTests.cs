using System.Net;
using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Detection.Net;
using KeyShareDetector.Detection.Signals;
using KeyShareDetector.Simulator;

namespace KeyShareDetector.Simulator.Tests;

/// <summary>Each population looks like its description, not like a caricature of it.</summary>
public class PopulationRealismTests
{
    private static readonly Scenario S = Scenarios.Small;
    private static readonly Dictionary<string, KeyLabel> Labels = Scenarios.Labels(S);

    private static IEnumerable<SimRecord> Of(string population) => S.Records.Where(r => Labels[r.Key].Population == population);

    private static GeoNetwork NetworkOf(string ip) =>
        BuiltInGeoTable.TryFindNetwork(IPAddress.Parse(ip), out var n) ? n : throw new InvalidOperationException(ip + " is in no network of the built-in table");

    [Fact]
    public void Every_address_is_in_a_network_of_the_built_in_geo_table()
    {
        foreach (var ip in S.Records.Select(r => r.Access?.Ip).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            Assert.True(BuiltInGeoTable.TryFindNetwork(IPAddress.Parse(ip), out _), ip);
        }
    }

    [Fact]
    public void The_exchange_refuses_requests_from_outside_a_keys_current_allowlist()
    {
        var allowlists = new Dictionary<string, CidrSet>(StringComparer.Ordinal);
        int refused = 0;
        foreach (var r in S.Records)
        {
            if (r.Registry is { } reg) allowlists[r.Key] = CidrSet.Parse(reg.AllowedCidrs);
            if (r.Access is not { } a) continue;
            var allow = allowlists[r.Key];
            if (allow.IsEmpty) continue;
            if (!allow.Contains(IPAddress.Parse(a.Ip)))
            {
                Assert.Equal(401, a.Status);
                refused++;
            }
        }
        Assert.True(refused > 0, "some requests come from outside allowlists (renumbered lines, travellers, attackers)");
    }

    [Fact]
    public void Most_keys_have_allowlists_and_some_legacy_keys_have_none()
    {
        var registries = S.Records.Where(r => r.Topic == SimTopic.Registry).GroupBy(r => r.Key).Select(g => g.First().Registry!).ToList();
        double withAllowlist = registries.Count(r => r.AllowedCidrs.Count > 0) / (double)registries.Count;
        Assert.InRange(withAllowlist, 0.6, 0.9);
        Assert.All(registries, r => Assert.InRange(r.AllowedCidrs.Count, 0, 10));
        Assert.Contains(registries, r => r.Permissions.Contains(Permission.WITHDRAW));
        Assert.Contains(registries, r => !r.Permissions.Contains(Permission.TRADE));
    }

    [Fact]
    public void Market_makers_quote_both_sides_at_the_touch_and_cancel_over_90_percent_without_large_orders()
    {
        var orders = Of(Populations.MarketMaker).Select(r => r.Order).OfType<OrderEvent>().ToList();
        var placed = orders.Where(o => o.EventType == OrderEventType.PLACE).ToList();
        int cancelled = orders.Count(o => o.EventType == OrderEventType.CANCEL);
        Assert.True(placed.Count > 1_000);
        Assert.True(cancelled > 0.9 * placed.Count, $"{cancelled} cancels of {placed.Count} orders");
        Assert.True(placed.Count(o => o.Side == OrderSide.BUY) > 0.4 * placed.Count);
        Assert.True(placed.Count(o => o.Side == OrderSide.SELL) > 0.4 * placed.Count);
        Assert.All(placed.Where(o => o.Side == OrderSide.BUY), o => Assert.True(o.Price <= o.BestBid!.Value));
        var notional = placed.Select(o => o.Price * o.Quantity).Order().ToList();
        double median = notional[notional.Count / 2];
        Assert.True(notional[^1] < 5 * median, "a market maker's quotes are of one size");
    }

    [Fact]
    public void Retail_mobile_data_churns_over_many_prefixes_inside_the_carrier_and_shares_cgnat_addresses()
    {
        var mobile = Of(Populations.Retail).Select(r => r.Access).OfType<AccessEvent>()
            .Where(a => NetworkOf(a.Ip).Name == "kr-mobile").ToList();
        var perKey = mobile.GroupBy(a => a.ApiKeyId).ToList();
        Assert.Contains(perKey, g => g.Select(a => IpPrefix.NetworkOf(a.Ip)).Distinct().Count() >= 3);
        Assert.True(mobile.Select(a => IpPrefix.NetworkOf(a.Ip)).Distinct().Count() > 100, "the carrier's pool spans many /24s");
        var sharedAddresses = mobile.Where(a => !a.Ip.Contains(':', StringComparison.Ordinal))
            .GroupBy(a => a.Ip).Count(g => g.Select(a => a.AccountId).Distinct().Count() >= 2);
        Assert.True(sharedAddresses > 10, $"{sharedAddresses} CGNAT addresses used by several accounts");
    }

    [Fact]
    public void Travellers_take_one_genuine_flight_between_korea_and_japan()
    {
        int flights = 0;
        foreach (var key in Of(Populations.Traveller).GroupBy(r => r.Key))
        {
            var accepted = key.Select(r => r.Access).OfType<AccessEvent>().Where(a => a.Status < 400).ToList();
            if (accepted.Count < 2) continue;
            // After the flight: the first access far from where the key was first used.
            var home = NetworkOf(accepted[0].Ip);
            int far = accepted.FindIndex(a => ImpossibleTravelAggregate.HaversineKm(home.Latitude, home.Longitude, NetworkOf(a.Ip).Latitude, NetworkOf(a.Ip).Longitude) > 300);
            if (far < 0) continue;
            // Before it, the flight: the longest silence; the access before it was at home.
            int gapAt = Enumerable.Range(1, far).MaxBy(i => accepted[i].Ts - accepted[i - 1].Ts);
            var before = accepted[gapAt - 1];
            var after = accepted[far];
            Assert.True(accepted[gapAt].Ts - before.Ts > 90 * 60_000, $"{key.Key}: no flight-long silence before reaching {NetworkOf(after.Ip).City}");
            var from = NetworkOf(before.Ip);
            var to = NetworkOf(after.Ip);
            Assert.NotEqual(from.Country, to.Country);
            double km = ImpossibleTravelAggregate.HaversineKm(from.Latitude, from.Longitude, to.Latitude, to.Longitude);
            double hours = (after.Ts - before.Ts) / 3_600_000.0;
            Assert.True(km / hours < 900, $"{key.Key}: {km:F0} km in {hours:F2} h is not a flight");
            flights++;
        }
        Assert.True(flights >= Scenarios.SmallOptions.Travellers * 0.4, $"{flights} flights");
    }

    [Fact]
    public void Platform_keys_are_registered_with_the_platforms_cidrs_and_used_from_them()
    {
        var registries = Of(Populations.PlatformUser).Select(r => r.Registry).OfType<KeyRegistryRecord>().ToList();
        Assert.All(registries, r => Assert.NotNull(r.PlatformId));
        Assert.All(registries, r => Assert.NotEmpty(r.AllowedCidrs));
        var cidrs = registries.ToDictionary(r => r.ApiKeyId, r => CidrSet.Parse(r.AllowedCidrs));
        Assert.All(Of(Populations.PlatformUser).Select(r => r.Access).OfType<AccessEvent>(), a => Assert.True(cidrs[a.ApiKeyId].Contains(IPAddress.Parse(a.Ip))));
        Assert.True(registries.Select(r => r.PlatformId).Distinct().Count() >= 2);
    }

    [Fact]
    public void Multi_server_bots_call_from_several_registered_cloud_servers()
    {
        foreach (var key in Of(Populations.MultiServerBot).GroupBy(r => r.Key))
        {
            var registry = key.First(r => r.Topic == SimTopic.Registry).Registry!;
            Assert.Contains(registry.AllowedCidrs, c => NetworkOf(IPNetwork.Parse(c).BaseAddress.ToString()).IsHosting);
            var servers = key.Select(r => r.Access).OfType<AccessEvent>().Where(a => NetworkOf(a.Ip).IsHosting).Select(a => a.Ip).Distinct().Count();
            Assert.True(servers >= 2, $"{key.Key} used {servers} servers");
        }
    }

    [Fact]
    public void Rotating_users_rotate_the_old_key_and_register_a_new_one()
    {
        var lifecycle = Of(Populations.RotatingUser).Select(r => r.Lifecycle).OfType<KeyLifecycleEvent>().ToList();
        int rotated = lifecycle.Count(e => e.Kind == LifecycleKind.KEY_ROTATED);
        int created = lifecycle.Count(e => e.Kind == LifecycleKind.KEY_CREATED);
        Assert.Equal(Scenarios.SmallOptions.RotatingUsers, rotated);
        Assert.Equal(rotated, created);
        foreach (var e in lifecycle.Where(e => e.Kind == LifecycleKind.KEY_ROTATED))
        {
            // After rotation the old key no longer works.
            Assert.All(S.Records.Where(r => r.Key == e.ApiKeyId && r.Access is not null && r.Ts >= e.Ts), r => Assert.Equal(401, r.Access!.Status));
        }
    }

    [Fact]
    public void A_lent_key_is_used_at_once_by_a_second_person_elsewhere_with_another_client()
    {
        foreach (var label in S.Labels.Where(l => l.Population == Populations.Lent))
        {
            var access = S.Records.Where(r => r.Key == label.ApiKeyId).Select(r => r.Access).OfType<AccessEvent>().ToList();
            var borrower = access.First(a => a.Ts == label.AbuseStartsAt);
            var owner = access.Where(a => a.UserAgent != borrower.UserAgent).ToList();
            Assert.NotEmpty(owner);
            Assert.Contains(owner, a => Math.Abs(a.Ts - borrower.Ts) < 20 * 60_000);
            var borrowerCity = NetworkOf(borrower.Ip);
            Assert.Contains(owner, a => NetworkOf(a.Ip).City != borrowerCity.City || NetworkOf(a.Ip).Kind != borrowerCity.Kind);
        }
    }

    [Fact]
    public void Leaked_keys_are_used_from_networks_their_owner_never_used_and_see_withdraw_attempts()
    {
        int withdrawals = 0;
        foreach (var label in S.Labels.Where(l => l.Population == Populations.Leaked))
        {
            var access = S.Records.Where(r => r.Key == label.ApiKeyId).Select(r => r.Access).OfType<AccessEvent>().ToList();
            var before = access.Where(a => a.Ts < label.AbuseStartsAt).Select(a => NetworkOf(a.Ip).Asn).ToHashSet();
            var attacker = access.First(a => a.Ts == label.AbuseStartsAt);
            Assert.DoesNotContain(NetworkOf(attacker.Ip).Asn, before);
            withdrawals += access.Count(a => a.Ts >= label.AbuseStartsAt && a.Method == "POST" && a.Endpoint.Contains("withdraws", StringComparison.Ordinal));
        }
        Assert.True(withdrawals > 0);
    }

    [Fact]
    public void Mass_leaked_keys_are_swept_within_minutes_from_a_few_addresses()
    {
        var labels = S.Labels.Where(l => l.Population == Populations.MassLeak).ToList();
        long span = labels.Max(l => l.AbuseStartsAt!.Value) - labels.Min(l => l.AbuseStartsAt!.Value);
        Assert.True(span < 15 * 60_000, $"the sweep took {span / 60_000.0:F1} min");
        var attackerIps = labels.Select(l => S.Records.First(r => r.Key == l.ApiKeyId && r.Ts == l.AbuseStartsAt && r.Access is not null).Access!.Ip).Distinct().Count();
        Assert.InRange(attackerIps, 1, 5);
    }

    [Fact]
    public void Spoofers_place_large_orders_next_to_the_touch_get_an_opposite_fill_and_cancel_within_seconds()
    {
        foreach (var label in S.Labels.Where(l => l.Population is Populations.Spoofer or Populations.CoordinatedSpoof))
        {
            var orders = S.Records.Where(r => r.Key == label.ApiKeyId).Select(r => r.Order).OfType<OrderEvent>().ToList();
            var normal = orders.Where(o => o.EventType == OrderEventType.PLACE && o.Ts < label.AbuseStartsAt).Select(o => o.Price * o.Quantity).Order().ToList();
            Assert.True(normal.Count >= 10, "enough ordinary orders before the abuse to know the key's usual size");
            double median = normal[normal.Count / 2];
            var large = orders.First(o => o.EventType == OrderEventType.PLACE && o.Ts >= label.AbuseStartsAt);
            Assert.True(large.Price * large.Quantity >= 5 * median);
            var cancel = orders.First(o => o.OrderId == large.OrderId && o.EventType == OrderEventType.CANCEL);
            Assert.True(cancel.Ts - large.Ts < 10_000);
        }
    }
}
