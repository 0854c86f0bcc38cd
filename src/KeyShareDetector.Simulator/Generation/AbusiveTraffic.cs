using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Geo;
using static KeyShareDetector.Simulator.Generation.LegitimateTraffic;

namespace KeyShareDetector.Simulator.Generation;

/// <summary>Generators of the abusive populations; each key's label says when its abuse starts.</summary>
internal static class AbusiveTraffic
{
    private const long Minute = 60_000;
    private const long Day = 86_400_000;

    private static GeneratedKey Label(KeyStream ks, string population, long abuseStartsAt) =>
        new(new KeyLabel(ks.Key, ks.Account, population, abuseStartsAt), ks);

    private enum LendMode { AddsBorrowerIp, AddsAfterRefusals, NoAllowlist }

    /// <summary>
    /// A key lent to someone in another city or country. The owner keeps using it; the borrower, on another device
    /// and network, uses it at the same time and trades differently. With an allowlist the owner adds the borrower's
    /// address (Upbit allows ten), before or after the borrower's first refused calls; legacy keys need nothing.
    /// </summary>
    public static GeneratedKey Lent(SimContext ctx, int index)
    {
        var ks = ctx.NewKey(Populations.Lent, index);
        var rng = ks.Rng;
        var ownerCity = rng.Chance(0.85) ? rng.Pick(Nets.KoreanCities) : rng.Pick(Nets.ForeignCities);
        bool tls = rng.Chance(0.5);
        var owner = Person.Create(rng, ownerCity, tls);
        var borrowerCity = BorrowerCity(rng, ownerCity);
        Software borrowerPc;
        do borrowerPc = rng.Pick(Softwares.HomeScripts);
        while (borrowerPc == owner.Pc.Software);
        var borrower = Person.Create(rng, borrowerCity, tls, pc: borrowerPc);
        // A second trading style: other symbols, other sizes, a faster hand.
        borrower.Style = new TradeStyle(
            TradeStyle.PickSymbols(rng, rng.Next(1, 3), thinShare: 0.5),
            owner.Style.MedianNotional * (rng.Chance(0.6) ? rng.Uniform(4, 12) : rng.Uniform(0.1, 0.3)),
            0.5, 0.4, 0.6, 0.3, 8_000, 40_000);

        var mode = rng.Pick([(LendMode.AddsBorrowerIp, 45.0), (LendMode.AddsAfterRefusals, 25.0), (LendMode.NoAllowlist, 30.0)]);
        long start = rng.Between(ctx.At(0.15), ctx.At(0.7));
        bool legacy = mode == LendMode.NoAllowlist;
        var perms = Perms(true, !legacy && rng.Chance(0.05));
        long created = ctx.Start - rng.Between(Day, 360 * Day);
        if (legacy)
        {
            ks.Registry([], perms, created, ctx.Start);
        }
        else
        {
            ks.Registry([Host(owner.Home)], perms, created, ctx.Start);
            long added = mode == LendMode.AddsBorrowerIp ? start - rng.Between(Minute, 10 * Minute) : start + rng.Between(2 * Minute, 8 * Minute);
            ks.Registry([Host(owner.Home), Host(borrower.Home)], perms, created, added);
            ks.Lifecycle(LifecycleKind.ALLOWLIST_CHANGED, added);
        }

        // The owner, as usual, and certainly around the time the borrower starts.
        if (rng.Chance(0.4))
        {
            Behaviour.Poller(ks, owner.Pc, Behaviour.Fixed(owner.Home), ctx.Start, ctx.End, ctx.Gap(60_000), owner.Style, 10 * Minute);
        }
        else if (legacy)
        {
            Behaviour.DesktopSessions(ks, owner, ctx.Start, ctx.End, 0.3, 0.05);
            Behaviour.AppSessions(ks, owner, ctx.Start, ctx.End, 0.45, mobileData: true, 0.05);
        }
        else
        {
            Behaviour.DesktopSessions(ks, owner, ctx.Start, ctx.End, 0.45, 0.05);
        }
        long overlapFrom = start - rng.Between(0, 15 * Minute);
        long overlapTo = start + rng.Between(25 * Minute, 70 * Minute);
        if (legacy && owner.City.Mobile is not null && rng.Chance(0.5))
        {
            Behaviour.Session(ks, owner.Phone, overlapFrom, overlapTo, Behaviour.MobileData(owner, owner.City.Mobile, rng), ctx.Gap(25_000), owner.Style, 0.05);
        }
        else
        {
            Behaviour.Session(ks, owner.Pc, overlapFrom, overlapTo, Behaviour.Fixed(owner.Home), ctx.Gap(25_000), owner.Style, 0.05);
        }

        // The borrower: from their own home (or, on a legacy key, also their phone's mobile data).
        bool phone = rng.Chance(0.4);
        var device = phone ? borrower.Phone : borrower.Pc;
        Func<long, Place> where = legacy && phone && borrower.City.Mobile is not null && rng.Chance(0.4)
            ? Behaviour.MobileData(borrower, borrower.City.Mobile, rng)
            : Behaviour.Fixed(borrower.Home);
        long firstEnd = start + rng.Between(20 * Minute, 90 * Minute);
        Behaviour.Session(ks, device, start, firstEnd, where, ctx.Gap(20_000), borrower.Style, 0.12);
        foreach (var (s, e) in Behaviour.Sessions(rng, firstEnd, ctx.End, 0.7, 15))
        {
            Behaviour.Session(ks, device, s, e, where, ctx.Gap(20_000), borrower.Style, 0.12);
        }
        return Label(ks, Populations.Lent, start);
    }

    private static City BorrowerCity(Random rng, City owner)
    {
        bool ownerKorean = Array.IndexOf(Nets.KoreanCities, owner) >= 0;
        if (rng.Chance(0.6))
        {
            // Another Korean city more than 100 km away (Seoul and Incheon are neighbours).
            if (!ownerKorean) return rng.Pick(Nets.KoreanCities);
            return owner == Nets.Busan ? (rng.Chance(0.7) ? Nets.Seoul : Nets.Incheon) : Nets.Busan;
        }
        City city;
        do city = rng.Pick(Nets.ForeignCities);
        while (city == owner);
        return city;
    }

    private static readonly (GeoNetwork, double)[] AttackerNetworks =
    [
        (Nets.VpnHongKong, 20), (Nets.VpnLondon, 10), (Nets.VultrNewYork, 12), (Nets.Hetzner, 8), (Nets.Ovh, 8),
        (Nets.AzureAmsterdam, 6), (Nets.DigitalOceanFrankfurt, 6), (Nets.AwsSeoul, 6),
        // Residential and mobile proxies: rented home connections abroad.
        (Nets.SaoPauloHome, 8), (Nets.HcmcHome, 8), (Nets.LagosMobile, 8),
    ];

    private static Place AttackerPlace(GeoNetwork network, Random rng) => network.Kind switch
    {
        NetworkKind.Residential => Nets.Home(network, rng),
        NetworkKind.Mobile => Nets.Mobile(network, rng, v6: false),
        _ => Nets.Hosting(network, rng),
    };

    /// <summary>
    /// A key leaked to an attacker (phished, pasted in a repository, stolen from a bot's config): the owner goes on as
    /// usual; the attacker calls from VPNs, rented servers or residential proxies abroad, checks balances and the
    /// key's permissions, tries withdrawals and pumps a thin coin. Allowlisted keys answer 401, which scripts ignore.
    /// A few attackers only probe once and leave.
    /// </summary>
    public static GeneratedKey Leaked(SimContext ctx, int index)
    {
        var ks = ctx.NewKey(Populations.Leaked, index);
        var rng = ks.Rng;
        var city = rng.Chance(0.9) ? rng.Pick(Nets.KoreanCities) : rng.Pick(Nets.ForeignCities);
        bool tls = rng.Chance(0.5);
        var owner = Person.Create(rng, city, tls);
        bool allowlisted = rng.Chance(0.75);
        var perms = Perms(rng.Chance(0.9), allowlisted && rng.Chance(0.25));
        long created = ctx.Start - rng.Between(Day, 360 * Day);
        ks.Registry(allowlisted ? [Host(owner.Home)] : [], perms, created, ctx.Start);
        double tradeChance = perms.Contains(Permission.TRADE) ? 0.04 : 0;
        if (allowlisted)
        {
            Behaviour.DesktopSessions(ks, owner, ctx.Start, ctx.End, 0.45, tradeChance);
            if (rng.Chance(0.3)) Behaviour.Poller(ks, owner.Pc, Behaviour.Fixed(owner.Home), ctx.Start, ctx.End, ctx.Gap(90_000), owner.Style, 15 * Minute);
        }
        else
        {
            if (rng.Chance(0.35)) Behaviour.DesktopSessions(ks, owner, ctx.Start, ctx.End, 0.3, tradeChance);
            Behaviour.AppSessions(ks, owner, ctx.Start, ctx.End, 0.45, mobileData: true, tradeChance);
        }

        long start = rng.Between(ctx.At(0.15), ctx.At(0.75));
        var attacker = new Device(rng.Pick(Softwares.Attackers), rng, tls);
        var first = rng.Pick(AttackerNetworks);
        int ipCount = rng.Chance(0.4) ? 1 : rng.Next(2, 5);
        var places = new List<Place>();
        for (int i = 0; i < ipCount; i++) places.Add(AttackerPlace(i == 0 || rng.Chance(0.7) ? first : rng.Pick(AttackerNetworks), rng));

        if (rng.Chance(0.06))
        {
            // A probe: one balance check or three, then nothing.
            int probes = rng.Next(1, 4);
            for (int i = 0; i < probes; i++) ks.Access(start + (i * rng.Between(1_000, 20_000)), attacker, places[0], Call.Accounts);
            return Label(ks, Populations.Leaked, start);
        }
        int pump = rng.Pick(Market.ThinSymbols);
        Raid(ctx, ks, attacker, places, start, pump);
        if (rng.Chance(0.4))
        {
            var later = new List<Place> { AttackerPlace(rng.Pick(AttackerNetworks), rng) };
            Raid(ctx, ks, attacker, later, start + rng.Between(20 * Minute, 90 * Minute), pump);
        }
        return Label(ks, Populations.Leaked, start);
    }

    /// <summary>The attacker's script: reads, withdrawal attempts, a pump of a thin coin; the proxy rotates now and then.</summary>
    private static void Raid(SimContext ctx, KeyStream ks, Device attacker, List<Place> places, long start, int pump)
    {
        var rng = ks.Rng;
        int ip = 0;
        Place Next()
        {
            if (places.Count > 1 && rng.Chance(0.3)) ip = (ip + 1) % places.Count;
            return places[ip];
        }
        long t = start;
        foreach (var call in (ReadOnlySpan<Call>)[Call.Accounts, Call.ApiKeys, Call.WithdrawChance])
        {
            ks.Access(t, attacker, Next(), call);
            t += 300 + (long)rng.Exp(2_500);
        }
        if (rng.Chance(0.7))
        {
            int attempts = rng.Next(1, 4);
            for (int i = 0; i < attempts; i++)
            {
                ks.Access(t, attacker, Next(), rng.Chance(0.8) ? Call.WithdrawCoin : Call.WithdrawKrw, 201);
                t += 500 + (long)rng.Exp(4_000);
            }
        }
        long end = t + rng.Between(2 * Minute, 15 * Minute);
        double tradeChance = 0.25;
        while (t < end)
        {
            if (rng.Chance(tradeChance)) Trading.Take(ks, t, attacker, Next(), pump, OrderSide.BUY, rng.LogNormal(2_000_000, 0.6));
            else ks.Access(t, attacker, Next(), rng.Chance(0.6) ? Call.Accounts : Call.OrdersList);
            t += 500 + (long)rng.Exp(ctx.Gap(8_000));
        }
    }

    private const int MassLeakIncidentSize = 120;

    /// <summary>
    /// Many keys leaked at once (3Commas-like) and swept within minutes from a few rented servers: even incidents
    /// are a platform's keys (allowlisted to its CIDRs, so the attacker's calls are refused), odd ones legacy keys
    /// of an open-source bot's users (no allowlist, the calls succeed). Each key gets balance checks and pump buys.
    /// </summary>
    public static GeneratedKey MassLeak(SimContext ctx, int index)
    {
        int count = ctx.Options.MassLeak;
        int incidents = Math.Max(1, (int)Math.Round(count / (double)MassLeakIncidentSize));
        int incident = (int)((long)index * incidents / count);
        int firstOfIncident = (int)(((long)incident * count + incidents - 1) / incidents);
        int firstOfNext = (int)(((long)(incident + 1) * count + incidents - 1) / incidents);
        int size = firstOfNext - firstOfIncident;
        int position = index - firstOfIncident;

        var g = ctx.GroupRng(Populations.MassLeak, incident);
        bool platformLeak = incident % 2 == 0;
        long leak = g.Between(ctx.At(0.3), ctx.At(0.7));
        var hosts = new[] { Nets.AzureAmsterdam, Nets.Ovh, Nets.Hetzner, Nets.VultrNewYork, Nets.DigitalOceanFrankfurt };
        var network = g.Pick(hosts);
        int ipCount = g.Next(2, 6);
        var places = new List<Place>();
        for (int i = 0; i < ipCount; i++) places.Add(Nets.Hosting(i > 0 && g.Chance(0.3) ? g.Pick(hosts) : network, g));
        var software = g.Pick(Softwares.Attackers);
        double skew = g.Normal(0, 300);
        int pump = g.Pick(Market.ThinSymbols);
        // The sweep takes minutes; in a short scenario it is squeezed so that every key is hit before the end.
        long sweep = Math.Min(Math.Min(12 * Minute, size * 8_000L), (ctx.End - leak) * 3 / 4);

        var ks = ctx.NewKey(Populations.MassLeak, index);
        var rng = ks.Rng;
        bool tls = rng.Chance(0.5);
        if (platformLeak)
        {
            var platform = Platforms[1];
            ks.Registry([platform.Cidr], Perms(true, false), ctx.Start - rng.Between(Day, 300 * Day), ctx.Start, platform.Id);
            PlatformActivity(ctx, ks, platform, ctx.Start, ctx.End);
        }
        else
        {
            var owner = Person.Create(rng, rng.Pick(Nets.UserCities), tls, pc: Softwares.CcxtPython);
            ks.Registry([], Perms(true, false), ctx.Start - rng.Between(Day, 300 * Day), ctx.Start);
            Behaviour.Poller(ks, owner.Pc, Behaviour.Fixed(owner.Home), ctx.Start, ctx.End, ctx.Gap(60_000), TradeStyle.Bot(rng), 15 * Minute);
        }

        long start = leak + (sweep * position / Math.Max(1, size)) + rng.Between(0, 20_000);
        var attacker = new Device(software, skew, tls);
        var place = rng.Pick(places);
        ks.Access(start, attacker, place, Call.Accounts);
        long t = start + rng.Between(2_000, 15_000);
        int buys = rng.Next(1, 5);
        for (int i = 0; i < buys; i++)
        {
            Trading.Take(ks, t, attacker, place, pump, OrderSide.BUY, rng.LogNormal(1_500_000, 0.5));
            t += rng.Between(5_000, 45_000);
        }
        if (rng.Chance(0.3)) ks.Access(t, attacker, place, Call.WithdrawCoin, 201);
        return Label(ks, Populations.MassLeak, start);
    }

    /// <summary>Mid-priced alts: liquid enough to trade, thin enough for a wall to move.</summary>
    private static readonly int[] SpoofTargets = [3, 4, 5, 6, 7, 8];

    /// <summary>A trader's normal flow the spoofing is hidden in: registered home PC or servers, small orders near the touch.</summary>
    private sealed record Trader(Device Device, Place Place, TradeStyle Style, int Symbol);

    /// <remarks>
    /// Orders come every few minutes, faster when the abuse starts early, so that the key has placed at least a dozen
    /// ordinary orders (its usual size) before <paramref name="abuseStart"/>.
    /// </remarks>
    private static Trader NormalTrader(SimContext ctx, KeyStream ks, long abuseStart, Place? office = null, Device? machine = null, int? symbolOverride = null)
    {
        var rng = ks.Rng;
        bool tls = rng.Chance(0.5);
        Place place;
        Device device;
        if (office is not null && machine is not null)
        {
            place = office;
            device = machine;
            ks.Registry([Host(place)], Perms(true, false), ctx.Start - rng.Between(Day, 300 * Day), ctx.Start);
        }
        else if (rng.Chance(0.6))
        {
            var person = Person.Create(rng, rng.Pick(Nets.UserCities), tls, pc: rng.Chance(0.5) ? Softwares.CcxtPython : Softwares.DesktopTerminal);
            place = person.Home;
            device = person.Pc;
            ks.Registry([Host(place)], Perms(true, false), ctx.Start - rng.Between(Day, 300 * Day), ctx.Start);
        }
        else
        {
            long block = Nets.ServerBlock(Nets.AwsSeoul, rng);
            place = new Place(Nets.AwsSeoul, Nets.V4At(Nets.AwsSeoul, block + 1 + rng.Next(14)));
            device = new Device(rng.Pick(Softwares.ServerBots), rng, tls);
            ks.Registry([Nets.V4Cidr(Nets.AwsSeoul, block, 28)], Perms(true, false), ctx.Start - rng.Between(Day, 300 * Day), ctx.Start);
        }
        int symbol = rng.Chance(0.6) ? rng.Pick(Market.ThinSymbols) : rng.Pick(SpoofTargets);
        if (symbolOverride is { } fixedSymbol) symbol = fixedSymbol;
        var style = new TradeStyle([symbol], rng.LogNormal(600_000, 0.5), 0.3, 0.1, 0.45, 0.45, 15_000, 30_000);
        // An algorithm: it polls its orders and balances every 20 s or so, and trades every few minutes.
        double orderEvery = Math.Clamp((abuseStart - ctx.Start) / 15.0, 20_000, 3 * Minute);
        Behaviour.Poller(ks, device, Behaviour.Fixed(place), ctx.Start, ctx.End, ctx.Gap(Math.Min(20_000, orderEvery)), style, orderEvery);
        return new Trader(device, place, style, symbol);
    }

    /// <summary>Spoofing bursts: cycle times within bursts of a few minutes, quiet spells between; one side per burst.</summary>
    private static List<(long At, OrderSide Side)> Bursts(SimContext ctx, Random rng, long from)
    {
        var list = new List<(long, OrderSide)>();
        long t = from;
        while (t < ctx.End)
        {
            long end = t + rng.Between(2 * Minute, 6 * Minute);
            var side = rng.Chance(0.75) ? OrderSide.BUY : OrderSide.SELL;
            while (t < end)
            {
                list.Add((t, side));
                t += 2_000 + (long)rng.Exp(ctx.Gap(7_000));
            }
            t = end + rng.Between(20 * Minute, 60 * Minute);
        }
        return list;
    }

    /// <summary>
    /// One spoofing cycle: large order(s) at or next to the touch on one side, a small order on the other side
    /// filled within a second or two, the large order(s) cancelled right after. Returns the first placement time.
    /// </summary>
    private static long Cycle(KeyStream ks, Trader tr, long t, OrderSide side, bool fill, double largeMin, double largeMax)
    {
        var rng = ks.Rng;
        var (bid, ask) = ks.Market.Touch(tr.Symbol, t);
        double tick = Market.Tick(bid);
        int larges = rng.Chance(0.7) ? 1 : 2;
        var placed = new List<(string Id, double Price, double Qty)>();
        long at = t;
        for (int j = 0; j < larges; j++)
        {
            double price = Market.Round(side == OrderSide.BUY ? bid - (rng.Chance(0.6) ? 0 : tick) : ask + (rng.Chance(0.6) ? 0 : tick));
            double qty = Market.Quantity(tr.Style.MedianNotional * rng.Uniform(largeMin, largeMax), price);
            if (Trading.Place(ks, at, tr.Device, tr.Place, tr.Symbol, side, price, qty) is { } id) placed.Add((id, price, qty));
            at += rng.Next(20, 200);
        }
        long done = t + rng.Between(1_500, 3_000);
        if (fill)
        {
            // The real order on the other side, filled by the traders the wall attracted.
            long fillPlace = t + rng.Between(400, 2_200);
            var opposite = side == OrderSide.BUY ? OrderSide.SELL : OrderSide.BUY;
            var (b2, a2) = ks.Market.Touch(tr.Symbol, fillPlace);
            double price = opposite == OrderSide.SELL ? a2 : b2;
            double qty = Market.Quantity(tr.Style.MedianNotional * rng.Uniform(0.4, 1.2), price);
            if (Trading.Place(ks, fillPlace, tr.Device, tr.Place, tr.Symbol, opposite, price, qty) is { } fid)
            {
                done = fillPlace + rng.Between(80, 900);
                ks.Order(done, fid, tr.Symbol, opposite, OrderEventType.FILL, price, qty, qty, tr.Place, tr.Device.Session);
            }
        }
        long cancel = done + rng.Between(150, 1_500);
        foreach (var (id, price, qty) in placed)
        {
            Trading.Cancel(ks, cancel, tr.Device, tr.Place, id, tr.Symbol, side, price, qty, 0);
            cancel += rng.Next(5, 80);
        }
        return t;
    }

    /// <summary>A trader who, from some point on, runs spoofing cycles in bursts.</summary>
    public static GeneratedKey Spoofer(SimContext ctx, int index)
    {
        var ks = ctx.NewKey(Populations.Spoofer, index);
        var rng = ks.Rng;
        long from = rng.Between(ctx.At(0.2), ctx.At(0.7));
        var trader = NormalTrader(ctx, ks, from);
        long first = long.MaxValue;
        foreach (var (at, side) in Bursts(ctx, rng, from))
        {
            first = Math.Min(first, Cycle(ks, trader, at, side, fill: true, 6, 20));
        }
        return Label(ks, Populations.Spoofer, first == long.MaxValue ? from : first);
    }

    /// <summary>
    /// A trader who from some point on layers: three to six orders at successive levels on one side placed within a
    /// second or so, a small order on the other side filled, then every layer cancelled together.
    /// </summary>
    public static GeneratedKey Layering(SimContext ctx, int index)
    {
        var ks = ctx.NewKey(Populations.Layering, index);
        var rng = ks.Rng;
        long start = rng.Between(ctx.At(0.2), ctx.At(0.7));
        var tr = NormalTrader(ctx, ks, start);
        long t = start;
        while (t < ctx.End)
        {
            var side = rng.Chance(0.7) ? OrderSide.BUY : OrderSide.SELL;
            var (bid, ask) = ks.Market.Touch(tr.Symbol, t);
            double tick = Market.Tick(bid);
            int levels = rng.Next(3, 7);
            int stepTicks = Math.Max(1, (int)Math.Round(bid * rng.Uniform(0.0005, 0.002) / tick));
            var placed = new List<(string Id, double Price, double Qty)>();
            long at = t;
            for (int k = 1; k <= levels; k++)
            {
                double price = Market.Round(side == OrderSide.BUY ? bid - (k * stepTicks * tick) : ask + (k * stepTicks * tick));
                double qty = Market.Quantity(tr.Style.MedianNotional * rng.Uniform(2, 6), price);
                if (Trading.Place(ks, at, tr.Device, tr.Place, tr.Symbol, side, price, qty) is { } id) placed.Add((id, price, qty));
                at += rng.Next(30, 250);
            }
            var opposite = side == OrderSide.BUY ? OrderSide.SELL : OrderSide.BUY;
            long fillPlace = at + rng.Between(500, 2_500);
            var (b2, a2) = ks.Market.Touch(tr.Symbol, fillPlace);
            double fp = opposite == OrderSide.SELL ? a2 : b2;
            double fq = Market.Quantity(tr.Style.MedianNotional * rng.Uniform(0.5, 1.5), fp);
            long done = fillPlace + 600;
            if (Trading.Place(ks, fillPlace, tr.Device, tr.Place, tr.Symbol, opposite, fp, fq) is { } fid)
            {
                done = fillPlace + rng.Between(80, 900);
                ks.Order(done, fid, tr.Symbol, opposite, OrderEventType.FILL, fp, fq, fq, tr.Place, tr.Device.Session);
            }
            long cancel = done + rng.Between(100, 1_000);
            foreach (var (id, price, qty) in placed)
            {
                Trading.Cancel(ks, cancel, tr.Device, tr.Place, id, tr.Symbol, side, price, qty, 0);
                cancel += rng.Next(5, 60);
            }
            t += rng.Between(3 * Minute, 15 * Minute);
        }
        return Label(ks, Populations.Layering, start);
    }

    /// <summary>
    /// A ring of accounts run by one operator from one office line and one machine: in each group cycle every
    /// account shows a large order on the same side of the same book, most of them sell a little into the move,
    /// and all cancel together.
    /// </summary>
    public static GeneratedKey CoordinatedSpoof(SimContext ctx, int index)
    {
        int size = ctx.Options.CoordinatedGroupSize;
        int groups = Math.Max(1, ctx.Options.CoordinatedSpoof / size);
        int group = Math.Min(index / size, groups - 1);
        var g = ctx.GroupRng(Populations.CoordinatedSpoof, group);
        var office = Nets.Home(g.Chance(0.7) ? Nets.SeoulHome : Nets.BusanHome, g);
        var software = g.Pick(Softwares.HomeScripts);
        double skew = g.Normal(0, 600);
        bool tls = g.Chance(0.5);
        long from = g.Between(ctx.At(0.2), ctx.At(0.65));
        var cycles = Bursts(ctx, g, from);
        int symbol = g.Chance(0.6) ? g.Pick(Market.ThinSymbols) : g.Pick(SpoofTargets);

        var ks = ctx.NewKey(Populations.CoordinatedSpoof, index);
        var rng = ks.Rng;
        var trader = NormalTrader(ctx, ks, from, office, new Device(software, skew, tls), symbol);
        long first = long.MaxValue;
        foreach (var (at, side) in cycles)
        {
            first = Math.Min(first, Cycle(ks, trader, at + rng.Next(0, 400), side, fill: rng.Chance(0.75), 6, 15));
        }
        return Label(ks, Populations.CoordinatedSpoof, first == long.MaxValue ? from : first);
    }
}
