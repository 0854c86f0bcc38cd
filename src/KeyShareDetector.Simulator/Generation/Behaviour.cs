using System.Globalization;
using KeyShareDetector.Detection.Geo;

namespace KeyShareDetector.Simulator.Generation;

/// <summary>
/// A person behind a key: where they live (a fixed home broadband address), their office, their phone (on home
/// Wi-Fi or mobile data) and their PC program, and how they trade.
/// </summary>
internal sealed class Person
{
    private Person(City city, Place home, Place? office, Device pc, Device phone, bool mobileV6, TradeStyle style)
    {
        City = city;
        Home = home;
        Office = office;
        Pc = pc;
        Phone = phone;
        MobileV6 = mobileV6;
        Style = style;
    }

    public City City { get; }
    public Place Home { get; }
    public Place? Office { get; }
    public Device Pc { get; }
    public Device Phone { get; }
    /// <summary>The carrier gives this phone IPv6 (its own /64 per attachment) rather than a shared CGNAT IPv4.</summary>
    public bool MobileV6 { get; }
    public TradeStyle Style { get; set; }
    /// <summary>When the person sits at the home PC (so their phone is on home Wi-Fi, not mobile data).</summary>
    public List<(long Start, long End)> AtDesk { get; } = [];

    public bool IsAtDesk(long from, long to)
    {
        foreach (var (s, e) in AtDesk)
        {
            if (s < to && from < e) return true;
        }
        return false;
    }

    public static Person Create(Random rng, City city, bool tlsCaptured, Place? home = null, Software? pc = null, bool office = false)
    {
        var homePlace = home ?? Nets.Home(city.Home, rng);
        var officePlace = office ? Nets.Home(city.Home, rng) : null;
        var pcDevice = new Device(pc ?? rng.Pick(Softwares.HomeScripts), rng, tlsCaptured);
        var phone = new Device(rng.Pick(Softwares.Phones), rng, tlsCaptured);
        return new Person(city, homePlace, officePlace, pcDevice, phone, rng.Chance(0.3), TradeStyle.Retail(rng));
    }

    /// <summary>A person who moved house (or whose ISP renumbered them): same devices, another home address.</summary>
    public Place NewHomeAddress(Random rng) => Nets.Home(City.Home, rng);
}

/// <summary>How people and scripts use a key over time: sessions, polling, IP churn on mobile data.</summary>
internal static class Behaviour
{
    /// <summary>Sessions as (start, end): starts a Poisson process of <paramref name="perHour"/>, log-normal lengths.</summary>
    public static List<(long Start, long End)> Sessions(Random rng, long from, long to, double perHour, double medianMinutes)
    {
        var list = new List<(long, long)>();
        if (perHour <= 0 || to <= from) return list;
        double meanGap = 3_600_000 / perHour;
        long t = from + (long)rng.Exp(meanGap);
        while (t < to)
        {
            long length = (long)Math.Clamp(rng.LogNormal(medianMinutes * 60_000, 0.7), 45_000, 120 * 60_000);
            long end = Math.Min(to, t + length);
            list.Add((t, end));
            t = end + 30_000 + (long)rng.Exp(meanGap);
        }
        return list;
    }

    /// <summary>
    /// One session of one device: a request every <paramref name="meanGapMs"/> on average (a read, or with
    /// <paramref name="tradeChance"/> an order in the person's style), from wherever <paramref name="where"/> says.
    /// </summary>
    public static void Session(KeyStream ks, Device device, long start, long end, Func<long, Place> where, double meanGapMs, TradeStyle? style, double tradeChance)
    {
        var rng = ks.Rng;
        if (device.Software.AppSessions)
        {
            device.Session = "s-" + rng.NextInt64().ToString("x", CultureInfo.InvariantCulture);
        }
        long t = start;
        while (t < end)
        {
            var place = where(t);
            if (style is not null && rng.Chance(tradeChance)) Trading.Order(ks, style, t, device, place);
            else ks.Access(t, device, place, rng.Pick(Call.Reads));
            t += 800 + (long)rng.Exp(meanGapMs);
        }
        device.Session = null;
    }

    /// <summary>Mobile data: the address changes every few minutes inside the carrier (CGNAT pool, or a new IPv6 /64 per attachment).</summary>
    public static Func<long, Place> MobileData(Person person, GeoNetwork carrierOverride, Random rng)
    {
        var network = carrierOverride;
        var current = Nets.Mobile(network, rng, person.MobileV6);
        long changeAt = long.MinValue;
        return t =>
        {
            if (changeAt == long.MinValue) changeAt = t + 30_000 + (long)rng.Exp(240_000);
            if (t >= changeAt)
            {
                current = Nets.Mobile(network, rng, person.MobileV6);
                changeAt = t + 30_000 + (long)rng.Exp(240_000);
            }
            return current;
        };
    }

    public static Func<long, Place> Fixed(Place place) => _ => place;

    /// <summary>
    /// The phone app: sessions on home Wi-Fi or, with <paramref name="mobileData"/>, on the carrier's network;
    /// some sessions hand over from one to the other (leaving or coming home).
    /// </summary>
    public static void AppSessions(KeyStream ks, Person p, long from, long to, double perHour, bool mobileData, double tradeChance, Func<long, Place>? home = null)
    {
        var rng = ks.Rng;
        home ??= Fixed(p.Home);
        foreach (var (s, e) in Sessions(rng, from, to, perHour, 6))
        {
            // Someone at the home PC has the phone on home Wi-Fi; away from it, mobile data is likely.
            bool onMobile = mobileData && p.City.Mobile is not null && !p.IsAtDesk(s, e) && rng.Chance(0.55);
            Func<long, Place> first = onMobile ? MobileData(p, p.City.Mobile!, rng) : home;
            if (mobileData && p.City.Mobile is not null && !p.IsAtDesk(s, e) && rng.Chance(0.12))
            {
                // A hand-over part-way: leaving home (Wi-Fi to mobile) or arriving (mobile to Wi-Fi).
                long switchAt = rng.Between(s, e);
                var second = onMobile ? home : MobileData(p, p.City.Mobile!, rng);
                Session(ks, p.Phone, s, e, t => t < switchAt ? first(t) : second(t), ks.Ctx.Gap(60_000), p.Style, tradeChance);
            }
            else
            {
                Session(ks, p.Phone, s, e, first, ks.Ctx.Gap(60_000), p.Style, tradeChance);
            }
        }
    }

    /// <summary>The PC program at home (or at the office): sessions of reads and orders. Call before <see cref="AppSessions"/>.</summary>
    public static void DesktopSessions(KeyStream ks, Person p, long from, long to, double perHour, double tradeChance, Func<long, Place>? where = null)
    {
        var rng = ks.Rng;
        bool home = where is null;
        where ??= Fixed(p.Home);
        foreach (var (s, e) in Sessions(rng, from, to, perHour, 8))
        {
            if (home) p.AtDesk.Add((s, e));
            Session(ks, p.Pc, s, e, where, ks.Ctx.Gap(70_000), p.Style, tradeChance);
        }
    }

    /// <summary>A script polling all along (balances, open orders) and trading now and then.</summary>
    public static void Poller(KeyStream ks, Device device, Func<long, Place> where, long from, long to, double meanGapMs, TradeStyle? style, double orderEveryMs)
    {
        var rng = ks.Rng;
        long t = from + (long)rng.Exp(meanGapMs);
        // Orders come every orderEveryMs (scaled by the rate like the polls): a share of the polls places one instead.
        double tradeChance = style is null || orderEveryMs <= 0 ? 0 : Math.Min(1, meanGapMs * ks.Ctx.Rate / orderEveryMs);
        while (t < to)
        {
            var place = where(t);
            if (style is not null && rng.Chance(tradeChance)) Trading.Order(ks, style, t, device, place);
            else ks.Access(t, device, place, rng.Chance(0.6) ? Call.Accounts : rng.Pick(Call.Reads));
            t += 500 + (long)rng.Exp(meanGapMs);
        }
    }
}
