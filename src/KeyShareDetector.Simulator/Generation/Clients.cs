using KeyShareDetector.Detection.Geo;

namespace KeyShareDetector.Simulator.Generation;

/// <summary>How a device keeps time: phones follow the carrier, desktops drift, servers run NTP.</summary>
internal enum ClockKind { Phone, Desktop, Server }

/// <summary>A client program: its user agent, the TLS (JA4-style) fingerprint its stack produces, whether it signs a timestamp.</summary>
internal sealed record Software(string UserAgent, string Tls, bool SendsClientTs, ClockKind Clock, bool AppSessions);

/// <summary>The client programs seen on the exchange's API.</summary>
internal static class Softwares
{
    public static readonly Software IosApp = new("Pinebook/6.3.1 (iPhone16,1; iOS 18.2; Scale/3.00)", "t13d2014h2_a09f3c656075_14788d8d241b", true, ClockKind.Phone, true);
    public static readonly Software AndroidApp = new("Pinebook/6.3.1 (Android 15; SM-S928N) okhttp/4.12.0", "t13d1516h2_8daaf6152771_02713d6af862", true, ClockKind.Phone, true);
    public static readonly Software PythonRequests = new("python-requests/2.32.3", "t13d1812h1_85036bcba153_b26ce05bbdd6", false, ClockKind.Desktop, false);
    public static readonly Software PyExchange = new("pyexch/0.2.34 python-requests/2.31.0", "t13d1812h1_85036bcba153_b26ce05bbdd6", false, ClockKind.Desktop, false);
    public static readonly Software CcxtPython = new("ccxt/4.4.20 (+https://github.com/ccxt/ccxt) Python/3.12.3", "t13d1812h1_85036bcba153_b26ce05bbdd6", true, ClockKind.Desktop, false);
    public static readonly Software CcxtNode = new("ccxt/4.4.20 (+https://github.com/ccxt/ccxt) Node.js/20.11.1", "t13d1715h1_5b57614c22b0_3d5424432f57", true, ClockKind.Desktop, false);
    public static readonly Software DesktopTerminal = new(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) TradeDesk/3.9.2 Chrome/132.0.6834.210 Electron/34.3.0 Safari/537.36",
        "t13d1516h2_8daaf6152771_e5627efa2ab1", true, ClockKind.Desktop, true);
    public static readonly Software Excel = new("Microsoft Office/16.0 (Windows NT 10.0; Microsoft Excel 16.0.18025; Pro)", "t13d1411h2_c866b44c5a26_4e8b4c0c4e8c", false, ClockKind.Desktop, false);
    public static readonly Software GoBot = new("Go-http-client/2.0", "t13d1311h2_f57a46bbacb6_ab7e3b40a677", true, ClockKind.Server, false);
    public static readonly Software JavaBot = new("okhttp/4.12.0", "t13d1516h2_8daaf6152771_9b887d9acb53", true, ClockKind.Server, false);
    public static readonly Software CcxtServer = new("ccxt/4.4.19 (+https://github.com/ccxt/ccxt) Python/3.11.9", "t13d1812h1_85036bcba153_b26ce05bbdd6", true, ClockKind.Server, false);
    public static readonly Software MarketMakerEngine = new("qx-mm/2.7.4 (rust; reqwest/0.12.9)", "t13d1010h2_61a7ad8aa9b6_3a4f5a0ee87a", true, ClockKind.Server, false);
    public static readonly Software Tradebot = new("TradebotPlatform/3.4 (+https://tradebot.example)", "t13d1311h2_f57a46bbacb6_7b2ae0d49b57", true, ClockKind.Server, false);
    public static readonly Software CopyHub = new("CopyHub-Worker/1.18 (node/22.12.0)", "t13d1715h1_5b57614c22b0_93a6a1e6c4d1", true, ClockKind.Server, false);
    public static readonly Software GridMaster = new("GridMaster/5.0.2 aiohttp/3.10.5", "t13d1812h1_85036bcba153_c1a2cd5d07e8", true, ClockKind.Server, false);
    public static readonly Software AttackerRequests = new("python-requests/2.28.1", "t13d1812h1_85036bcba153_375ca2c5e164", false, ClockKind.Desktop, false);
    public static readonly Software AttackerCurl = new("curl/8.5.0", "t13d3112h2_e8f1e7e78f70_b26ce05bbdd6", false, ClockKind.Desktop, false);
    public static readonly Software AttackerGo = new("Go-http-client/1.1", "t13d1311h1_f57a46bbacb6_f3f94f71c1c9", true, ClockKind.Server, false);

    /// <summary>What a retail user scripts with at home.</summary>
    public static readonly (Software, double)[] HomeScripts =
        [(PythonRequests, 30), (PyExchange, 20), (CcxtPython, 18), (CcxtNode, 8), (DesktopTerminal, 18), (Excel, 6)];

    public static readonly (Software, double)[] Phones = [(IosApp, 45), (AndroidApp, 55)];

    public static readonly (Software, double)[] ServerBots = [(CcxtServer, 40), (GoBot, 25), (JavaBot, 15), (CcxtNode, 20)];

    public static readonly (Software, double)[] Attackers = [(AttackerRequests, 60), (AttackerCurl, 20), (AttackerGo, 20)];
}

/// <summary>
/// One device running one client program: its stable clock error (client clock minus server clock), whether the
/// exchange's edge records its TLS fingerprint, and its app session while one is open.
/// </summary>
internal sealed class Device
{
    public Device(Software software, Random rng, bool tlsCaptured)
    {
        Software = software;
        Tls = tlsCaptured ? software.Tls : null;
        SkewMs = software.Clock switch
        {
            ClockKind.Phone => rng.Normal(0, 150),
            // Desktops: some synced well, many drift by up to a few seconds.
            ClockKind.Desktop => rng.Chance(0.35) ? rng.Normal(0, 40) : rng.Chance(0.8) ? rng.Normal(0, 900) : rng.Normal(0, 4000),
            _ => rng.Normal(0, 4),
        };
    }

    /// <summary>A device whose clock error is known (e.g. one machine running several accounts, or a platform's worker).</summary>
    public Device(Software software, double skewMs, bool tlsCaptured)
    {
        Software = software;
        Tls = tlsCaptured ? software.Tls : null;
        SkewMs = skewMs;
    }

    public Software Software { get; }
    public string UserAgent => Software.UserAgent;
    public string? Tls { get; }
    /// <summary>Client clock minus server clock, ms: stable for the device.</summary>
    public double SkewMs { get; }
    /// <summary>The app session open on the device (apps only), else null.</summary>
    public string? Session { get; set; }

    /// <summary>One-way latency to the exchange from <paramref name="network"/> for one request, ms.</summary>
    public static double Latency(GeoNetwork network, Random rng)
    {
        double distance = Nets.KmFromExchange(network) / 120.0;
        return network.Kind switch
        {
            NetworkKind.Mobile => 28 + distance + rng.Exp(22),
            NetworkKind.Residential => 6 + distance + rng.Exp(4),
            NetworkKind.Vpn => 12 + distance + rng.Exp(8),
            _ => 0.6 + distance + rng.Exp(0.6),
        };
    }
}
