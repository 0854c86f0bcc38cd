using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Enforcement;
using KeyShareDetector.Detection.Fleet;
using KeyShareDetector.Detection.Geo;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.Signals;
using KeyShareDetector.Detection.State;

namespace KeyShareDetector.Detection;

/// <summary>What one record did to a key: a command to emit, a feature snapshot to publish, whether it came too late.</summary>
/// <remarks><see cref="Observations"/> go to the fleet stage (cross-account infrastructure, mass compromise).</remarks>
public readonly record struct EngineOutcome(EnforcementCommand? Command, bool Late, FeatureSnapshot? Snapshot, IReadOnlyList<FleetObservation>? Observations = null)
{
    public static EngineOutcome None { get; } = new(null, false, null);
}

/// <summary>
/// Applies one record to a key's state and decides, deterministically from event data alone, whether to act.
/// The same code serves the live topology, replays, backtests and benchmarks.
/// </summary>
public sealed class KeyRiskEngine
{
    /// <summary>How long a finding keeps counting in the risk score after it was last seen (ms of event time).</summary>
    public const long FindingHoldMs = 600_000;

    private readonly CommandSigner _signer;
    private readonly IGeoLookup? _geo;
    private readonly Net.CidrSet _allowedCidrs;
    private readonly HashSet<string> _allowedKeys;
    private readonly HashSet<string> _allowedAccounts;
    private readonly HashSet<string> _allowedPlatforms;

    public KeyRiskEngine(DetectionPolicy policy, CommandSigner signer, IGeoLookup? geo = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var errors = policy.Validate();
        if (errors.Count > 0) throw new ArgumentException("invalid policy: " + string.Join("; ", errors), nameof(policy));
        Policy = policy;
        _signer = signer;
        _geo = geo;
        _allowedCidrs = Net.CidrSet.Parse(policy.Allowlists.Cidrs);
        _allowedKeys = new HashSet<string>(policy.Allowlists.Keys, StringComparer.Ordinal);
        _allowedAccounts = new HashSet<string>(policy.Allowlists.Accounts, StringComparer.Ordinal);
        _allowedPlatforms = new HashSet<string>(policy.Allowlists.Platforms, StringComparer.Ordinal);
    }

    public DetectionPolicy Policy { get; }

    /// <summary>Signs commands; the breaker stage re-signs the ones it downgrades.</summary>
    public CommandSigner Signer => _signer;

    public KeyRiskState NewState(string apiKeyId) => new(apiKeyId, Policy);

    /// <summary>Takes the key's registry record (allowlist, permissions, platform) for the events that follow.</summary>
    public void OnRegistry(KeyRiskState state, KeyRegistryRecord record)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(record);
        state.Registry = record;
        state.AccountId = record.AccountId;
        // Until the owner calls from a registered address, the allowlist itself says where the owner is.
        if (state.Unregistered.RegisteredCountry is null && _geo is not null)
        {
            foreach (var cidr in record.AllowedCidrs ?? [])
            {
                int slash = cidr.IndexOf('/', StringComparison.Ordinal);
                if (System.Net.IPAddress.TryParse(slash < 0 ? cidr : cidr[..slash], out var address) && _geo.Lookup(address).Country is { } country)
                {
                    state.Unregistered.SeedRegisteredCountry(country);
                    break;
                }
            }
        }
    }

    /// <summary>Applies a validated access event (its IP parses) to the key's state.</summary>
    public EngineOutcome OnAccess(KeyRiskState state, AccessEvent e)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(e);
        long streamTime = Math.Max(state.StreamTime, e.Ts);
        state.StreamTime = streamTime;
        state.AccountId = e.AccountId;
        state.Events++;

        // The newest window this record belongs to starts in its own bucket; if even that one is closed, it is late.
        var window = Policy.IpDiversity.Window;
        if (window.IsClosed(window.BucketOf(e.Ts), streamTime)) return Late(state);

        // A policy version with another window or cap starts the key's diversity history afresh.
        if (!state.IpDiversity.Fits(Policy.IpDiversity)) state.IpDiversity = new IpDiversityAggregate(Policy.IpDiversity);
        var ctx = Enrich(state, e);
        var findings = new List<SignalFinding>(2);
        state.IpDiversity.OnAccess(ctx, Policy.IpDiversity, streamTime, findings);
        state.Unregistered.OnAccess(ctx, Policy.UnregisteredAccess, findings);
        state.Travel.OnAccess(ctx, Policy.ImpossibleTravel, findings);
        state.Sessions.OnAccess(ctx, Policy.ConcurrentSessions, findings);
        state.Fingerprints.OnAccess(ctx, Policy.FingerprintDiversity, findings);
        PermissionProbe.OnAccess(ctx, state.Registry, state.Unregistered.RegisteredCountry, Policy.NewCountryNetwork.HomeCountries, Policy.PermissionProbe, findings);
        // Spoofing findings wait out their grace period; any record of the key moves its stream time on.
        state.AdvanceSpoofing(streamTime, Policy.Spoofing, findings);
        var observations = Observe(state, ctx, findings);
        return Decide(state, e.Ts, findings) with { Observations = observations };
    }

    /// <summary>A finding the fleet stage sent this key (it shares infrastructure or a new network with others).</summary>
    public EngineOutcome OnFleetFinding(KeyRiskState state, SignalFinding finding, long ts)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(finding);
        state.StreamTime = Math.Max(state.StreamTime, ts);
        return Decide(state, ts, [finding]);
    }

    /// <summary>Facts for the fleet stage: this key's unregistered traffic by IP, prefix and fingerprint, and new networks.</summary>
    private List<FleetObservation>? Observe(KeyRiskState state, AccessContext ctx, List<SignalFinding> findings)
    {
        var e = ctx.Event;
        var cross = Policy.CrossAccount;
        var mass = Policy.MassCompromise;
        // Every network the key uses is learned, registered ones included; only unregistered traffic is reported.
        bool hadHistory = state.Events > mass.MinPriorEvents && state.Fleet.KnownNetworks > 0;
        var fresh = Policy.NewCountryNetwork;
        bool establishedCountries = state.Events > fresh.MinPriorEvents && state.Fleet.KnownCountries > 0;
        bool newNetwork = state.Fleet.IsNewNetwork(ctx.Network, e.Ts, mass.KnownNetworksPerKey);
        bool newCountry = ctx.Geo.Country is { } country && state.Fleet.IsNewCountry(country, e.Ts, fresh.KnownCountriesPerKey);
        bool knewClients = state.Fleet.KnownClients > 0;
        bool newClient = state.Fleet.IsNewClient(ClientOf(e), e.Ts, fresh.KnownClientsPerKey) && knewClients;
        if (ctx.Registered || ctx.PlatformTraffic) return null;
        // A leaked key shows up from somebody else's network: a new country abroad, or rented servers at home.
        bool home = ctx.Geo.Country is { } c && fresh.HomeCountries.Contains(c, StringComparer.Ordinal);
        bool foreign = newCountry && !home;
        bool withdraw = ctx.Permission == Permission.WITHDRAW;
        if (newNetwork && (foreign || ctx.Geo.IsHosting) && fresh.Weight > 0)
        {
            // Refused by the allowlist, from a client the key never used, on rented servers or outside the owner's country.
            string? owner = state.Unregistered.RegisteredCountry;
            bool outsideOwnerCountry = foreign && (owner is null || !string.Equals(owner, ctx.Geo.Country, StringComparison.Ordinal));
            bool refusedStranger = fresh.RefusedStrangerFactor > 0 && ctx.HasAllowlist && (newClient || !knewClients) && (ctx.Geo.IsHosting || outsideOwnerCountry);
            bool newClientAbroad = newClient && foreign && !ctx.Geo.IsHosting;
            double strength = (foreign ? 1.0 : fresh.DomesticHostingStrength) * (ctx.Geo.IsHosting ? fresh.HostingFactor : 1.0) *
                              (refusedStranger ? fresh.RefusedStrangerFactor : newClientAbroad ? fresh.NewClientFactor : 1.0);
            // Remembered even for a key without history: a withdrawal attempt from it soon after is evidence on its own.
            state.Fleet.MarkFresh(ctx.Network, e.Ts, strength, stranger: newClient, trade: ctx.Permission == Permission.TRADE);
            if (establishedCountries || withdraw || refusedStranger)
            {
                findings.Add(NewNetworkFinding(state, ctx, strength * (withdraw ? fresh.WithdrawFactor : 1.0),
                    $"first use from {ctx.Network}{(ctx.Geo.IsHosting ? " (hosting/VPN)" : "")} in {ctx.Geo.Country}{(foreign ? ", a country this key had not used" : "")}{(newClientAbroad || (refusedStranger && newClient) ? ", from a client this key had not used" : refusedStranger ? ", from a client on a key with no client history" : "")}{(refusedStranger ? ", refused by the key's allowlist" : "")}; permission {ctx.Permission}"));
            }
        }
        else if (!newNetwork && fresh.Weight > 0 && fresh.FreshNetworkMs > 0 &&
                 state.Fleet.Fresh(ctx.Network, e.Ts, fresh.FreshNetworkMs) is { } recent)
        {
            if (withdraw)
            {
                findings.Add(NewNetworkFinding(state, ctx, recent.Strength * fresh.WithdrawFactor,
                    $"withdrawal attempt from {ctx.Network}{(ctx.Geo.IsHosting ? " (hosting/VPN)" : "")} in {ctx.Geo.Country}, which this key first used {(e.Ts - recent.FirstSeen) / 1000} s earlier; status {e.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"}"));
            }
            else if (ctx.Permission == Permission.TRADE && fresh.FreshTradesToRaise > 0 && state.Fleet.FreshStranger && e.Ts - recent.FirstSeen <= fresh.FreshTradeWindowMs &&
                     state.Fleet.CountFreshTrade() is var trades && trades >= fresh.FreshTradesToRaise)
            {
                findings.Add(NewNetworkFinding(state, ctx, recent.Strength * fresh.FreshTradeFactor,
                    $"{trades} trade requests from {ctx.Network}{(ctx.Geo.IsHosting ? " (hosting/VPN)" : "")} in {ctx.Geo.Country} within {(e.Ts - recent.FirstSeen) / 1000} s of its first use, by a client this key had not used before it"));
            }
        }
        long bucket = cross.Window.BucketOf(e.Ts);
        List<FleetObservation>? list = null;
        void Offer(FleetDimension d, string value, long b)
        {
            if (state.Fleet.FirstInBucket(d, value, b)) (list ??= []).Add(new FleetObservation(d, value, state.ApiKeyId, e.AccountId, e.Ts));
        }

        bool shared = (cross.IgnoreHosting && ctx.Geo.IsHosting) || (cross.IgnoreMobile && ctx.Geo.IsMobile) ||
                      (ctx.Geo.Asn is { } asn && cross.SharedEgressAsns.Contains(asn));
        if (!shared)
        {
            if (cross.MinAccountsPerIp > 0) Offer(FleetDimension.Ip, e.Ip, bucket);
            if (cross.MinAccountsPerPrefix > 0) Offer(FleetDimension.Prefix, ctx.Prefix, bucket);
        }
        if (cross.MinAccountsPerFingerprint > 0 && e.TlsFingerprint is { Length: > 0 } tls)
        {
            string print = Sketches.XxHash64.HashString(e.UserAgent + "|" + tls).ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
            Offer(FleetDimension.Fingerprint, print, bucket);
        }
        bool sweepable = !mass.HostingOnly || ctx.Geo.IsHosting;
        if (newNetwork && hadHistory && mass.MinKeys > 0 && sweepable && !ctx.Geo.IsMobile)
        {
            (list ??= []).Add(new FleetObservation(FleetDimension.NewNetwork, ctx.Network, state.ApiKeyId, e.AccountId, e.Ts));
        }
        return list;
    }

    private static SignalFinding NewNetworkFinding(KeyRiskState state, AccessContext ctx, double strength, string summary) =>
        new("NEW_COUNTRY_NETWORK", strength, ctx.Event.Ts, ctx.Event.Ts,
            Evidence.Of("NEW_COUNTRY_NETWORK", summary,
                [("known_networks", state.Fleet.KnownNetworks), ("known_countries", state.Fleet.KnownCountries), ("known_clients", state.Fleet.KnownClients), ("ts", ctx.Event.Ts)],
                [ctx.Network, ctx.Geo.Country ?? "??", ctx.Event.Ip]));

    /// <summary>The client behind a request: its user agent and TLS fingerprint, hashed without allocating.</summary>
    private static ulong ClientOf(AccessEvent e) =>
        Sketches.XxHash64.HashString(e.TlsFingerprint ?? "", Sketches.XxHash64.HashString(e.UserAgent));

    /// <summary>Applies a validated order event to the key's spoofing state.</summary>
    public EngineOutcome OnOrder(KeyRiskState state, OrderEvent e)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(e);
        state.StreamTime = Math.Max(state.StreamTime, e.Ts);
        state.AccountId = e.AccountId;
        state.Events++;
        var findings = new List<SignalFinding>(1);
        if (!state.Spoofing.OnOrder(e, Policy.Spoofing, findings)) return Late(state);
        return Decide(state, e.Ts, findings);
    }

    /// <summary>
    /// Counts a record too late to use. The 1st, 2nd, 4th, 8th... late record of a key also gives a feature snapshot: a
    /// key whose stream time jumped far ahead (a far-future ts) may send nothing but late records from then on, and they
    /// must show in its evidence, not only in a process-wide counter; powers of two keep that to a few snapshots.
    /// </summary>
    private EngineOutcome Late(KeyRiskState state)
    {
        state.LateRecords++;
        var snapshot = long.IsPow2(state.LateRecords) ? Snapshot(state, state.StreamTime, state.LastScore) : null;
        return new EngineOutcome(null, true, snapshot);
    }

    private AccessContext Enrich(KeyRiskState state, AccessEvent e)
    {
        var address = System.Net.IPAddress.Parse(e.Ip);
        var geo = _geo?.Lookup(address) ?? GeoInfo.Unknown;
        string prefix = IpPrefix.NetworkOf(e.Ip) ?? e.Ip;
        string network = geo.Asn is { } asn ? "AS" + asn.ToString(System.Globalization.CultureInfo.InvariantCulture) : prefix;
        bool hasAllowlist = !state.Allowlist.IsEmpty;
        bool registered = (hasAllowlist && state.Allowlist.Contains(address)) || _allowedCidrs.Contains(address);
        bool platform = registered && state.Registry?.PlatformId is not null;
        return new AccessContext(e, address, prefix, network, geo, hasAllowlist, registered, platform, e.Permission ?? PermissionOf(e.Endpoint, e.Method));
    }

    /// <summary>
    /// Permission a request needs when the exchange did not say: a GET or HEAD only reads (listing withdrawals or
    /// checking an order is not placing one); otherwise withdrawals, then trading, else read.
    /// </summary>
    public static Permission PermissionOf(string endpoint, string? method = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (string.Equals(method, "GET", StringComparison.OrdinalIgnoreCase) || string.Equals(method, "HEAD", StringComparison.OrdinalIgnoreCase)) return Permission.READ;
        if (endpoint.Contains("withdraw", StringComparison.OrdinalIgnoreCase)) return Permission.WITHDRAW;
        if (endpoint.Contains("order", StringComparison.OrdinalIgnoreCase) || endpoint.Contains("trade", StringComparison.OrdinalIgnoreCase)) return Permission.TRADE;
        return Permission.READ;
    }

    /// <summary>Feedback from the exchange backend: completed re-authentication, rotation, revocation, creation.</summary>
    public EngineOutcome OnLifecycle(KeyRiskState state, KeyLifecycleEvent e)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(e);
        state.StreamTime = Math.Max(state.StreamTime, e.Ts);
        if (e.Kind == LifecycleKind.KEY_CREATED)
        {
            // A (re)created key starts clean: only its registration survives.
            var registry = state.Registry;
            var fresh = NewState(state.ApiKeyId);
            state.ResetFrom(fresh);
            state.Registry = registry;
        }
        var step = EscalationLadder.OnLifecycle(state.Ladder, Policy.Ladder, e.Kind, e.Ts);
        if (e.Kind == LifecycleKind.REAUTH_COMPLETED && step is not null)
        {
            // The owner proved who they are: evidence so far is answered; probation watches what comes next.
            state.Active.Clear();
        }
        return step is null ? EngineOutcome.None : new EngineOutcome(null, false, Snapshot(state, e.Ts, state.LastScore));
    }

    /// <summary>The breaker downgraded this key's REVOKE to REAUTH: the ladder takes the rung the exchange was told.</summary>
    public void OnDowngrade(KeyRiskState state, KeyState applied)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Ladder.State > applied) state.Ladder.State = applied;
        if (state.Ladder.EpisodePeak > applied) state.Ladder.EpisodePeak = applied;
    }

    private bool Exempt(KeyRiskState state) =>
        _allowedKeys.Contains(state.ApiKeyId) || _allowedAccounts.Contains(state.AccountId) ||
        (state.Registry?.PlatformId is { } p && _allowedPlatforms.Contains(p));

    private EngineOutcome Decide(KeyRiskState state, long ts, List<SignalFinding> findings)
    {
        var ladder = state.Ladder;
        foreach (var f in findings)
        {
            state.Active[f.Code] = new ActiveFinding(f, ts);
            if (Policy.WeightOf(f.Code) > 0) ladder.LastEvidenceAt = Math.Max(ladder.LastEvidenceAt, ts);
        }
        List<string>? stale = null;
        foreach (var (code, a) in state.Active)
        {
            if (a.SeenAt < state.StreamTime - FindingHoldMs) (stale ??= []).Add(code);
        }
        if (stale is not null) foreach (var code in stale) state.Active.Remove(code);

        double score = 0;
        ActiveFinding? lead = null;
        double leadContribution = 0;
        bool fresh = false;
        KeyState? hardJump = null;
        foreach (var (code, a) in state.Active)
        {
            double contribution = Contribution(a.Finding);
            if (contribution <= 0) continue;
            score += contribution;
            if (contribution > leadContribution)
            {
                lead = a;
                leadContribution = contribution;
            }
            if (a.SeenAt > ladder.LastTransitionAt) fresh = true;
            if (a.Finding.Hard && Policy.Ladder.HardEvidenceJumps.TryGetValue(code, out var jump) && (hardJump is null || jump > hardJump)) hardJump = jump;
        }
        score = Math.Round(score, 4);
        state.LastScore = score;

        EscalationLadder.Decay(ladder, Policy.Ladder, ts);
        EnforcementCommand? command = null;
        if (lead is not null && !Exempt(state))
        {
            var previous = ladder.State;
            if (EscalationLadder.Evaluate(ladder, Policy.Ladder, score, ts, fresh, hardJump) is { Action: { } action } step)
            {
                command = Command(state, action, previous, step.To, ts, score, lead.Finding);
            }
        }

        long bucket = Policy.IpDiversity.Window.BucketOf(state.StreamTime);
        FeatureSnapshot? snapshot = null;
        if (findings.Count > 0 || command is not null || bucket != state.LastSnapshotBucket)
        {
            state.LastSnapshotBucket = bucket;
            snapshot = Snapshot(state, ts, score);
        }
        return new EngineOutcome(command, false, snapshot);
    }

    private double Contribution(SignalFinding f) => Policy.WeightOf(f.Code) * Math.Min(f.Strength, Policy.StrengthCap);

    /// <summary>Reasons of the active findings, strongest contribution first (ties by code).</summary>
    private List<Reason> Reasons(KeyRiskState state)
    {
        var list = state.Active.Values.Where(a => Contribution(a.Finding) > 0).ToList();
        list.Sort((a, b) =>
        {
            int c = Contribution(b.Finding).CompareTo(Contribution(a.Finding));
            return c != 0 ? c : string.CompareOrdinal(a.Finding.Code, b.Finding.Code);
        });
        return list.Select(a => a.Finding.Reason).ToList();
    }

    private EnforcementCommand Command(KeyRiskState state, EnforcementAction action, KeyState previous, KeyState next, long ts, double score, SignalFinding lead)
    {
        var command = new EnforcementCommand
        {
            CommandId = CommandIdentity.Of(state.ApiKeyId, action, Policy.Version, lead.WindowStart, lead.WindowEnd),
            ApiKeyId = state.ApiKeyId,
            AccountId = state.AccountId,
            Action = action,
            IssuedAt = ts,
            PolicyVersion = Policy.Version,
            RiskScore = score,
            Reasons = Reasons(state),
            PreviousState = previous,
            NewState = next,
            Shadow = Policy.Shadow,
            ExpiresAt = ts + Policy.CommandTtlMs,
            WindowStart = lead.WindowStart,
            WindowEnd = lead.WindowEnd,
        };
        return _signer.Sign(command);
    }

    private FeatureSnapshot Snapshot(KeyRiskState state, long ts, double score)
    {
        var window = Policy.IpDiversity.Window;
        long start = window.BucketOf(state.StreamTime) - window.BucketsPerWindow + 1;
        var d = state.IpDiversity;
        var caps = new List<string>();
        if (d.Ips.Overflowed) caps.Add("ips");
        if (d.Networks.Overflowed) caps.Add("networks");
        if (state.Sessions.Overflowed) caps.Add("sessions");
        if (state.Fingerprints.Overflowed) caps.Add("fingerprints");
        var spoof = state.SpoofingFiguresFor(Policy.Spoofing);
        if (spoof.CapExceeded) caps.Add("orders");
        return new FeatureSnapshot
        {
            ApiKeyId = state.ApiKeyId,
            AccountId = state.AccountId,
            Ts = ts,
            WindowStart = window.WindowStart(start),
            WindowEnd = window.WindowEnd(start),
            PolicyVersion = Policy.Version,
            State = state.Ladder.State,
            RiskScore = score,
            Metrics =
            [
                new Metric { Name = "distinct_ips", Value = d.Ips.CountWindow(start) },
                new Metric { Name = "distinct_prefixes", Value = d.Prefixes.CountWindow(start) },
                new Metric { Name = "distinct_networks", Value = d.Networks.CountWindow(start) },
                new Metric { Name = "distinct_countries", Value = d.Countries.CountWindow(start) },
                new Metric { Name = "tracked_sessions", Value = state.Sessions.Tracked },
                new Metric { Name = "unregistered_ips", Value = state.Unregistered.Hits },
                new Metric { Name = "events", Value = state.Events },
                new Metric { Name = "orders_placed_today", Value = spoof.Placed },
                new Metric { Name = "orders_cancelled_today", Value = spoof.Cancelled },
                new Metric { Name = "order_to_trade_ratio", Value = spoof.OrderToTradeRatio },
                new Metric { Name = "spoof_cycles_in_window", Value = spoof.CyclesInWindow },
            ],
            Findings = Reasons(state),
            LateRecords = state.LateRecords,
            CapsExceeded = caps,
        };
    }
}
