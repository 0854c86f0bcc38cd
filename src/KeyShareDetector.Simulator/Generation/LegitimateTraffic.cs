using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Geo;

namespace KeyShareDetector.Simulator.Generation;

/// <summary>Generators of the legitimate populations: each looks like some abuse on one signal, as real users do.</summary>
internal static class LegitimateTraffic
{
    private const long Minute = 60_000;
    private const long Day = 86_400_000;

    public static IReadOnlyList<Permission> Perms(bool trade, bool withdraw) =>
        (trade, withdraw) switch
        {
            (true, true) => [Permission.READ, Permission.TRADE, Permission.WITHDRAW],
            (true, false) => [Permission.READ, Permission.TRADE],
            (false, true) => [Permission.READ, Permission.WITHDRAW],
            _ => [Permission.READ],
        };

    public static string Host(Place p) => p.IsV6 ? p.Ip + "/128" : p.Ip + "/32";

    private static GeneratedKey Label(KeyStream ks, string population) => new(new KeyLabel(ks.Key, ks.Account, population, null), ks);

    /// <summary>
    /// Retail: an allowlisted home address (Upbit requires one) used by a PC program and the phone on home Wi-Fi,
    /// or a legacy key without allowlist used by the phone app on mobile data (CGNAT addresses shared with other
    /// subscribers, churning over many /24s of the carrier) and home Wi-Fi. Some households share one address;
    /// some office workers trade from the office first; a few are renumbered by their ISP and fix their allowlist.
    /// </summary>
    public static GeneratedKey Retail(SimContext ctx, int index)
    {
        var ks = ctx.NewKey(Populations.Retail, index);
        var rng = ks.Rng;
        var household = ctx.GroupRng(Populations.Retail, index / 3);
        bool shared = household.Chance(0.06);
        var city = shared ? household.Pick(Nets.UserCities) : rng.Pick(Nets.UserCities);
        Place? sharedHome = shared ? Nets.Home(city.Home, household) : null;
        bool office = rng.Chance(0.2);
        var p = Person.Create(rng, city, rng.Chance(0.5), sharedHome, office: office);
        bool legacy = rng.Chance(0.25);
        bool trade = rng.Chance(0.85);
        bool withdraw = !legacy && rng.Chance(0.06);
        var perms = Perms(trade, withdraw);
        long created = ctx.Start - rng.Between(Day, 360 * Day);
        double tradeChance = trade ? 0.04 : 0;

        if (legacy)
        {
            ks.Registry([], perms, created, ctx.Start);
            if (rng.Chance(0.35)) Behaviour.DesktopSessions(ks, p, ctx.Start, ctx.End, 0.25, tradeChance);
            Behaviour.AppSessions(ks, p, ctx.Start, ctx.End, 0.45, mobileData: true, tradeChance);
            if (rng.Chance(0.08))
            {
                // A script left running at home while its owner is out with the phone.
                Behaviour.Poller(ks, p.Pc, Behaviour.Fixed(p.Home), ctx.Start, ctx.End, ctx.Gap(180_000), p.Style, 15 * Minute);
            }
            if (rng.Chance(0.04))
            {
                // A session through a commercial VPN.
                var vpn = Nets.Hosting(rng.Chance(0.5) ? Nets.VpnLondon : Nets.VpnHongKong, rng);
                long s = rng.Between(ctx.Start, ctx.End - (20 * Minute));
                Behaviour.Session(ks, rng.Chance(0.5) ? p.Phone : p.Pc, s, s + rng.Between(3 * Minute, 20 * Minute), Behaviour.Fixed(vpn), ctx.Gap(25_000), p.Style, tradeChance);
            }
            return Label(ks, Populations.Retail);
        }

        var cidrs = new List<string> { Host(p.Home) };
        if (p.Office is not null) cidrs.Add(Host(p.Office));
        ks.Registry(cidrs, perms, created, ctx.Start);
        Func<long, Place> home = Behaviour.Fixed(p.Home);
        if (rng.Chance(0.02))
        {
            // The ISP renumbers the home line: requests fail (401) until the owner updates the allowlist.
            long at = rng.Between(ctx.At(0.1), ctx.At(0.8));
            long fixedAt = at + rng.Between(3 * Minute, 40 * Minute);
            var newHome = p.NewHomeAddress(rng);
            var updated = new List<string> { Host(newHome) };
            if (p.Office is not null) updated.Add(Host(p.Office));
            ks.Registry(updated, perms, created, fixedAt);
            ks.Lifecycle(LifecycleKind.ALLOWLIST_CHANGED, fixedAt);
            home = t => t < at ? p.Home : newHome;
        }

        long homeFrom = ctx.Start;
        if (p.Office is not null)
        {
            // At the office in the morning (the scenario starts 09:00 KST), home in the evening.
            long leave = ctx.At(rng.Uniform(0.4, 0.6));
            Behaviour.DesktopSessions(ks, p, ctx.Start, leave, 0.5, tradeChance, Behaviour.Fixed(p.Office));
            homeFrom = leave + rng.Between(30 * Minute, 90 * Minute);
        }
        Behaviour.DesktopSessions(ks, p, homeFrom, ctx.End, 0.4, tradeChance, home);
        if (rng.Chance(0.3))
        {
            Behaviour.AppSessions(ks, p, homeFrom, ctx.End, 0.3, mobileData: false, tradeChance, home);
            if (p.City.Mobile is not null && rng.Chance(0.5))
            {
                // Opening the app on mobile data: "IP not allowed" (401) after a request or two, and the user gives up.
                long s = rng.Between(ctx.Start, ctx.End);
                GiveUp(ks, p.Phone, s, Behaviour.MobileData(p, p.City.Mobile, rng)(s));
            }
        }
        if (rng.Chance(0.12))
        {
            // A home script left running: polls balances and trades now and then.
            Behaviour.Poller(ks, p.Pc, home, ctx.Start, ctx.End, ctx.Gap(180_000), p.Style, 15 * Minute);
        }
        return Label(ks, Populations.Retail);
    }

    private enum MobileAbroad { Roaming, LocalEsim, WifiOnly }

    /// <summary>A person opening the app where the key's allowlist refuses it: a request or three (401), then they stop.</summary>
    public static void GiveUp(KeyStream ks, Device device, long at, Place place)
    {
        var rng = ks.Rng;
        int tries = rng.Next(1, 4);
        for (int i = 0; i < tries; i++) ks.Access(at + (i * rng.Between(2_000, 15_000)), device, place, rng.Pick(Call.Reads));
    }

    /// <summary>
    /// A traveller: home sessions, the airport, one genuine flight (Seoul or Busan to Tokyo, some Tokyo residents to
    /// Seoul), then the hotel's Wi-Fi and mobile data abroad: home-routed roaming (addresses of the home carrier,
    /// geolocated at home) or a local eSIM. Allowlisted travellers add the hotel's address after a few refusals.
    /// </summary>
    public static GeneratedKey Traveller(SimContext ctx, int index)
    {
        var ks = ctx.NewKey(Populations.Traveller, index);
        var rng = ks.Rng;
        bool japanese = rng.Chance(0.2);
        var homeCity = japanese ? Nets.Tokyo : rng.Chance(0.75) ? Nets.Seoul : Nets.Busan;
        var dest = japanese ? Nets.Seoul : Nets.Tokyo;
        var p = Person.Create(rng, homeCity, rng.Chance(0.5));
        bool allowlisted = rng.Chance(0.3);
        var perms = Perms(rng.Chance(0.85), false);
        long created = ctx.Start - rng.Between(Day, 360 * Day);

        // The scenario starts at 09:00 KST: a morning flight, on the way to the airport already.
        long depart = ctx.Start + rng.Between(5 * Minute, 75 * Minute);
        // Gate to gate: Seoul-Tokyo about 2 h 20 min, Busan-Tokyo about 1 h 55 min.
        long flight = homeCity == Nets.Busan ? rng.Between(105 * Minute, 125 * Minute) : rng.Between(130 * Minute, 155 * Minute);
        long arrive = depart + flight;
        var hotel = Nets.Home(dest.Home, rng);
        var mode = allowlisted ? MobileAbroad.WifiOnly : rng.Pick([(MobileAbroad.Roaming, 55.0), (MobileAbroad.LocalEsim, 35.0), (MobileAbroad.WifiOnly, 10.0)]);
        GeoNetwork abroadCarrier = mode == MobileAbroad.Roaming ? homeCity.Mobile! : dest.Mobile!;

        long landed = arrive + rng.Between(8 * Minute, 20 * Minute);
        long hotelFirst = landed + rng.Between(10 * Minute, 40 * Minute);
        if (allowlisted)
        {
            ks.Registry([Host(p.Home)], perms, created, ctx.Start);
            long added = hotelFirst + rng.Between(30_000, 3 * Minute);
            ks.Registry([Host(p.Home), Host(hotel)], perms, created, added);
            ks.Lifecycle(LifecycleKind.ALLOWLIST_CHANGED, added);
            hotelFirst = added + rng.Between(10_000, 60_000);
        }
        else
        {
            ks.Registry([], perms, created, ctx.Start);
        }
        double tradeChance = perms.Count > 1 ? 0.03 : 0;

        // On the way to the airport and at the gate, on mobile data (the carrier geolocates the phone at its gateway).
        var homeCarrier = Behaviour.MobileData(p, homeCity.Mobile!, rng);
        if (allowlisted)
        {
            GiveUp(ks, p.Phone, rng.Between(ctx.Start + (5 * Minute), depart - (10 * Minute)), homeCarrier(depart));
        }
        else
        {
            foreach (var (s, e) in Behaviour.Sessions(rng, ctx.Start, depart - (10 * Minute), 2.0, 5))
            {
                Behaviour.Session(ks, p.Phone, s, e, homeCarrier, ctx.Gap(20_000), p.Style, tradeChance);
            }
            long gate = depart - rng.Between(12 * Minute, 30 * Minute);
            Behaviour.Session(ks, p.Phone, gate, gate + rng.Between(2 * Minute, 8 * Minute), homeCarrier, ctx.Gap(20_000), p.Style, tradeChance);
        }

        // Landed: the arrival hall (mobile data abroad, or the airport's Wi-Fi), then the city and the hotel.
        if (allowlisted)
        {
            // Roaming: "IP not allowed" after a try or two. At the hotel the same, until the owner adds its address.
            GiveUp(ks, p.Phone, landed, Behaviour.MobileData(p, homeCity.Mobile!, rng)(landed));
            GiveUp(ks, p.Phone, hotelFirst - rng.Between(2 * Minute, 4 * Minute), hotel);
        }
        else
        {
            var arrival = mode == MobileAbroad.WifiOnly ? Behaviour.Fixed(Nets.Home(dest.Home, rng)) : Behaviour.MobileData(p, abroadCarrier, rng);
            Behaviour.Session(ks, p.Phone, landed, landed + rng.Between(2 * Minute, 10 * Minute), arrival, ctx.Gap(20_000), p.Style, tradeChance);
        }
        var wifi = Behaviour.Fixed(hotel);
        foreach (var (s, e) in Behaviour.Sessions(rng, allowlisted ? hotelFirst : landed + (10 * Minute), ctx.End, 2.0, 6))
        {
            bool onMobile = mode != MobileAbroad.WifiOnly && rng.Chance(0.5);
            var first = onMobile ? Behaviour.MobileData(p, abroadCarrier, rng) : wifi;
            if (mode != MobileAbroad.WifiOnly && rng.Chance(0.12))
            {
                long switchAt = rng.Between(s, e);
                var second = onMobile ? wifi : Behaviour.MobileData(p, abroadCarrier, rng);
                Behaviour.Session(ks, p.Phone, s, e, t => t < switchAt ? first(t) : second(t), ctx.Gap(20_000), p.Style, tradeChance);
            }
            else
            {
                Behaviour.Session(ks, p.Phone, s, e, first, ctx.Gap(20_000), p.Style, tradeChance);
            }
        }
        return Label(ks, Populations.Traveller);
    }

    /// <summary>
    /// A market maker on registered servers next to the exchange: both sides of one or two books quoted at the
    /// touch (up to <see cref="ScenarioOptions.MarketMakerLevels"/> levels), replaced every few seconds in batches,
    /// so well over 90% of its orders are cancelled; equal sizes, so nothing is "large".
    /// </summary>
    public static GeneratedKey MarketMaker(SimContext ctx, int index)
    {
        var ks = ctx.NewKey(Populations.MarketMaker, index);
        var rng = ks.Rng;
        long block = Nets.ServerBlock(Nets.AwsSeoul, rng);
        var cidrs = new List<string> { Nets.V4Cidr(Nets.AwsSeoul, block, 28) };
        if (rng.Chance(0.4)) cidrs.Add(Nets.V4Cidr(Nets.AwsTokyo, Nets.ServerBlock(Nets.AwsTokyo, rng), 28));
        bool tls = rng.Chance(0.5);
        int serverCount = rng.Next(2, 5);
        var servers = new (Device Device, Place Place)[serverCount];
        for (int i = 0; i < serverCount; i++)
        {
            servers[i] = (new Device(Softwares.MarketMakerEngine, rng, tls), new Place(Nets.AwsSeoul, Nets.V4At(Nets.AwsSeoul, block + 1 + (i * 3))));
        }
        ks.Registry(cidrs, Perms(true, false), ctx.Start - rng.Between(30 * Day, 360 * Day), ctx.Start);

        foreach (var (device, place) in servers)
        {
            Behaviour.Poller(ks, device, Behaviour.Fixed(place), ctx.Start, ctx.End, ctx.Gap(30_000), null, 0);
        }
        int symbolCount = rng.Chance(0.5) ? 2 : 1;
        var symbols = TradeStyle.PickSymbols(rng, symbolCount, thinShare: 0);
        int levels = rng.Next(1, ctx.Options.MarketMakerLevels + 1);
        foreach (int symbol in symbols)
        {
            Quote(ks, servers, symbol, levels, rng.LogNormal(8_000_000, 0.4), ctx.Gap(20_000), rng.Next(1, 3), ctx.Start + rng.Between(0, 60_000), ctx.End);
        }
        return Label(ks, Populations.MarketMaker);
    }

    private sealed record RestingQuote(string Id, OrderSide Side, double Price, double Quantity, long PlacedAt, double Filled);

    private static void Quote(KeyStream ks, (Device Device, Place Place)[] servers, int symbol, int levels, double size, double meanGapMs, int spacingTicks, long from, long to)
    {
        var rng = ks.Rng;
        var open = new List<RestingQuote>();
        int turn = 0;
        long t = from;
        while (t < to)
        {
            long next = t + 600 + (long)rng.Exp(meanGapMs);
            var (device, place) = servers[turn++ % servers.Length];
            // Cancel whatever rests, in one batch call, then place the new ladder in one batch call.
            if (open.Count > 0)
            {
                if (!ks.Access(t, device, place, Call.CancelOpen)) return;
                foreach (var q in open)
                {
                    ks.Order(t + rng.Next(1, 6), q.Id, symbol, q.Side, OrderEventType.CANCEL, q.Price, q.Quantity, q.Filled, place, null);
                }
                open.Clear();
            }
            long placeAt = t + rng.Next(8, 25);
            if (!ks.Access(placeAt, device, place, Call.PlaceOrder, 201)) return;
            // The quotes reach the book a couple of ms after the call, priced off the book as it is then.
            var (bid, ask) = ks.Market.Touch(symbol, placeAt + 2);
            double tick = Market.Tick(bid);
            foreach (var side in (ReadOnlySpan<OrderSide>)[OrderSide.BUY, OrderSide.SELL])
            {
                for (int level = 0; level < levels; level++)
                {
                    double price = Market.Round(side == OrderSide.BUY ? bid - (level * spacingTicks * tick) : ask + (level * spacingTicks * tick));
                    double quantity = Market.Quantity(size * rng.Uniform(0.85, 1.15), price);
                    string id = ks.NewOrderId();
                    ks.Order(placeAt + 2, id, symbol, side, OrderEventType.PLACE, price, quantity, 0, place, null);
                    // The touch trades through now and then: a fill before the next replacement.
                    double fillChance = level == 0 ? 0.07 : 0.015;
                    if (rng.Chance(fillChance) && next - placeAt > 50)
                    {
                        long fillAt = rng.Between(placeAt + 20, next - 10);
                        bool full = rng.Chance(0.6);
                        double filled = full ? quantity : Math.Round(quantity * rng.Uniform(0.1, 0.9), 8);
                        ks.Order(fillAt, id, symbol, side, OrderEventType.FILL, price, quantity, filled, place, null);
                        if (!full) open.Add(new RestingQuote(id, side, price, quantity, placeAt, filled));
                    }
                    else
                    {
                        open.Add(new RestingQuote(id, side, price, quantity, placeAt, 0));
                    }
                }
            }
            t = next;
        }
    }

    private static readonly (GeoNetwork, double)[] BotRegions =
    [
        (Nets.AwsSeoul, 50), (Nets.AwsTokyo, 20), (Nets.GcpSingapore, 10), (Nets.DigitalOceanFrankfurt, 5),
        (Nets.Hetzner, 5), (Nets.VultrNewYork, 5), (Nets.Ovh, 5),
    ];

    /// <summary>
    /// One owner's bot on two to six servers in one to three cloud regions, all registered (/28 blocks), the same
    /// program everywhere (each server's clock a little off in its own way); the owner sometimes looks in from home.
    /// </summary>
    public static GeneratedKey MultiServerBot(SimContext ctx, int index)
    {
        var ks = ctx.NewKey(Populations.MultiServerBot, index);
        var rng = ks.Rng;
        var software = rng.Pick(Softwares.ServerBots);
        bool tls = rng.Chance(0.5);
        int regions = rng.Next(1, 4);
        var cidrs = new List<string>();
        var servers = new List<(Device, Place)>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        for (int r = 0; r < regions; r++)
        {
            var network = rng.Pick(BotRegions);
            if (!used.Add(network.Name)) continue;
            long block = Nets.ServerBlock(network, rng);
            cidrs.Add(Nets.V4Cidr(network, block, 28));
            int count = servers.Count == 0 ? rng.Next(2, 4) : rng.Next(1, 4);
            for (int i = 0; i < count; i++)
            {
                servers.Add((new Device(software, rng, tls), new Place(network, Nets.V4At(network, block + 1 + (i * 4) + rng.Next(4)))));
            }
        }
        var owner = Person.Create(rng, rng.Pick(Nets.UserCities), tls);
        bool ownerLooks = rng.Chance(0.4);
        if (ownerLooks) cidrs.Add(Host(owner.Home));
        ks.Registry(cidrs, Perms(true, rng.Chance(0.05)), ctx.Start - rng.Between(7 * Day, 360 * Day), ctx.Start);

        var style = TradeStyle.Bot(rng);
        foreach (var (device, place) in servers)
        {
            Behaviour.Poller(ks, device, Behaviour.Fixed(place), ctx.Start, ctx.End, ctx.Gap(rng.Uniform(240_000, 480_000)), style, 15 * Minute);
        }
        if (ownerLooks) Behaviour.DesktopSessions(ks, owner, ctx.Start, ctx.End, 0.25, 0);
        return Label(ks, Populations.MultiServerBot);
    }

    /// <summary>A registered platform: its published CIDRs, the workers that call the exchange for its users, its client.</summary>
    internal sealed record Platform(string Id, GeoNetwork Network, long BlockOffset, int PrefixLength, int Workers, Software Software, bool CopyTrading)
    {
        public string Cidr => Nets.V4Cidr(Network, BlockOffset, PrefixLength);
        public string WorkerIp(int worker) => Nets.V4At(Network, BlockOffset + 10 + (worker * 7));
    }

    public static readonly Platform[] Platforms =
    [
        new("tradebot", Nets.BotVendor, 0, 22, 24, Softwares.Tradebot, true),
        new("copyhub", Nets.AwsTokyo, 200 * 256, 24, 12, Softwares.CopyHub, true),
        new("gridmaster", Nets.GcpSingapore, 64 * 256, 24, 8, Softwares.GridMaster, false),
    ];

    private static readonly (int, double)[] PlatformShares = [(0, 50), (1, 30), (2, 20)];

    /// <summary>
    /// A key delegated to a registered platform: allowlisted to its published CIDRs, called by its workers (shared by
    /// every user of the platform) to poll balances and to copy the leader's trades or run a grid.
    /// </summary>
    public static GeneratedKey PlatformUser(SimContext ctx, int index)
    {
        var ks = ctx.NewKey(Populations.PlatformUser, index);
        var platform = Platforms[ks.Rng.Pick(PlatformShares)];
        ks.Registry([platform.Cidr], Perms(true, false), ctx.Start - ks.Rng.Between(Day, 300 * Day), ctx.Start, platform.Id);
        PlatformActivity(ctx, ks, platform, ctx.Start, ctx.End);
        return Label(ks, Populations.PlatformUser);
    }

    /// <summary>What a platform does with one user's key between two event times.</summary>
    public static void PlatformActivity(SimContext ctx, KeyStream ks, Platform platform, long from, long to)
    {
        var rng = ks.Rng;
        bool tls = rng.Chance(0.5);
        // The platform's workers are shared by all its users: their clocks come from the platform's own stream.
        var workerRng = ctx.GroupRng(Populations.PlatformUser, Array.IndexOf(Platforms, platform));
        var workers = new (Device, Place)[platform.Workers];
        for (int w = 0; w < workers.Length; w++)
        {
            workers[w] = (new Device(platform.Software, workerRng.Normal(0, 4), tls), new Place(platform.Network, platform.WorkerIp(w)));
        }
        long t = from + (long)rng.Exp(ctx.Gap(240_000));
        while (t < to)
        {
            var (device, place) = workers[rng.Next(workers.Length)];
            ks.Access(t, device, place, rng.Chance(0.7) ? Call.Accounts : Call.OrdersList);
            t += 20_000 + (long)rng.Exp(ctx.Gap(240_000));
        }
        if (platform.CopyTrading)
        {
            // The leader's trades (the platform's schedule); this follower copies most of them within seconds.
            double notional = rng.LogNormal(200_000, 0.8);
            long lt = ctx.Start + (long)workerRng.Exp(12 * Minute);
            while (lt < ctx.End)
            {
                int symbol = workerRng.Pick(Market.LiquidSymbols);
                var side = workerRng.Chance(0.5) ? OrderSide.BUY : OrderSide.SELL;
                if (lt >= from && lt < to && rng.Chance(0.6))
                {
                    var (device, place) = workers[rng.Next(workers.Length)];
                    Trading.Take(ks, lt + rng.Between(300, 4_000), device, place, symbol, side, notional * rng.Uniform(0.9, 1.1));
                }
                lt += 60_000 + (long)workerRng.Exp(12 * Minute);
            }
        }
        else
        {
            Grid(ctx, ks, workers, from, to);
        }
    }

    /// <summary>A grid bot: resting orders a percent or so apart, filled as the price crosses them, re-centred now and then.</summary>
    private static void Grid(SimContext ctx, KeyStream ks, (Device, Place)[] workers, long from, long to)
    {
        var rng = ks.Rng;
        int symbol = rng.Pick(Market.LiquidSymbols);
        int levels = rng.Next(3, 6);
        double spacing = rng.Uniform(0.004, 0.012);
        double notional = rng.LogNormal(150_000, 0.6);
        long t = from + rng.Between(0, 10 * Minute);
        while (t < to)
        {
            long recentre = t + rng.Between(60 * Minute, 150 * Minute);
            var (device, place) = workers[rng.Next(workers.Length)];
            double mid = ks.Market.Mid(symbol, t);
            var orders = new List<(string Id, OrderSide Side, double Price, double Qty, bool Open)>();
            for (int i = 1; i <= levels; i++)
            {
                foreach (var side in (ReadOnlySpan<OrderSide>)[OrderSide.BUY, OrderSide.SELL])
                {
                    double raw = side == OrderSide.BUY ? mid * (1 - (i * spacing)) : mid * (1 + (i * spacing));
                    double price = Market.Round(Math.Round(raw / Market.Tick(raw)) * Market.Tick(raw));
                    double qty = Market.Quantity(notional, price);
                    long at = t + (i * 150);
                    if (Trading.Place(ks, at, device, place, symbol, side, price, qty) is { } id) orders.Add((id, side, price, qty, true));
                }
            }
            // Fills as the price crosses a level (checked each minute); the grid is re-centred at the end.
            long end = Math.Min(recentre, to);
            for (long c = t + 60_000; c < end; c += 60_000)
            {
                double m = ks.Market.Mid(symbol, c);
                for (int i = 0; i < orders.Count; i++)
                {
                    var o = orders[i];
                    if (!o.Open) continue;
                    bool crossed = o.Side == OrderSide.BUY ? m <= o.Price : m >= o.Price;
                    if (!crossed) continue;
                    ks.Order(c + rng.Next(0, 60_000), o.Id, symbol, o.Side, OrderEventType.FILL, o.Price, o.Qty, o.Qty, place, null);
                    orders[i] = o with { Open = false };
                }
            }
            if (recentre < to)
            {
                var (d2, p2) = workers[rng.Next(workers.Length)];
                foreach (var o in orders)
                {
                    if (o.Open) Trading.Cancel(ks, recentre + rng.Next(0, 400), d2, p2, o.Id, symbol, o.Side, o.Price, o.Qty, 0);
                }
            }
            t = recentre + 1_000;
        }
    }

    /// <summary>
    /// A user who rotates their key: the old key is rotated (KEY_ROTATED), a new one registered (KEY_CREATED) and the
    /// program moves over; a forgotten second program keeps calling the old key for a while (401); some owners
    /// complete a periodic re-authentication.
    /// </summary>
    public static IReadOnlyList<GeneratedKey> RotatingUser(SimContext ctx, int index)
    {
        var a = ctx.NewKey(Populations.RotatingUser, index, 0);
        var b = ctx.NewKey(Populations.RotatingUser, index, 1, account: a.Account);
        var rng = a.Rng;
        var p = Person.Create(rng, rng.Pick(Nets.UserCities), rng.Chance(0.5));
        bool bot = rng.Chance(0.4);
        var cidrs = new List<string>();
        var devices = new List<(Device, Place)>();
        if (bot)
        {
            long block = Nets.ServerBlock(Nets.AwsSeoul, rng);
            cidrs.Add(Nets.V4Cidr(Nets.AwsSeoul, block, 28));
            var software = rng.Pick(Softwares.ServerBots);
            for (int i = 0; i < 2; i++) devices.Add((new Device(software, rng, p.Pc.Tls is not null), new Place(Nets.AwsSeoul, Nets.V4At(Nets.AwsSeoul, block + 2 + i))));
        }
        else
        {
            cidrs.Add(Host(p.Home));
            devices.Add((p.Pc, p.Home));
            devices.Add((new Device(rng.Pick(Softwares.HomeScripts), rng, p.Pc.Tls is not null), p.Home));
        }
        var perms = Perms(true, false);
        long rotate = rng.Between(ctx.At(0.2), ctx.At(0.8));
        a.Registry(cidrs, perms, ctx.Start - rng.Between(30 * Day, 360 * Day), ctx.Start);
        a.Lifecycle(LifecycleKind.KEY_ROTATED, rotate);
        a.ClosedAt = rotate;
        b.Registry(cidrs, perms, rotate, rotate + 1);
        b.Lifecycle(LifecycleKind.KEY_CREATED, rotate + 2);
        long resume = rotate + rng.Between(20_000, 5 * Minute);

        var style = bot ? TradeStyle.Bot(rng) : p.Style;
        var (main, mainPlace) = devices[0];
        var (other, otherPlace) = devices[1];
        double gap = ctx.Gap(bot ? 90_000 : 60_000);
        Behaviour.Poller(a, main, Behaviour.Fixed(mainPlace), ctx.Start, rotate, gap, style, 10 * Minute);
        Behaviour.Poller(b, main, Behaviour.Fixed(mainPlace), resume, ctx.End, gap, style, 10 * Minute);
        if (rng.Chance(0.25))
        {
            // The second program was not updated: it keeps calling the old key until someone notices.
            long noticed = rotate + rng.Between(Minute, 15 * Minute);
            Behaviour.Poller(a, other, Behaviour.Fixed(otherPlace), ctx.Start, noticed, gap * 2, null, 0);
            Behaviour.Poller(b, other, Behaviour.Fixed(otherPlace), noticed + 30_000, ctx.End, gap * 2, null, 0);
        }
        if (rng.Chance(0.35))
        {
            long at = rng.Between(ctx.Start, ctx.End);
            (at < rotate ? a : b).Lifecycle(LifecycleKind.REAUTH_COMPLETED, at);
        }
        return [Label(a, Populations.RotatingUser), Label(b, Populations.RotatingUser)];
    }
}
