using KeyShareDetector.Detection.Net;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Detection.Signals;
using KeyShareDetector.Detection.Signals.Spoofing;
using KeyShareDetector.Detection.Windows;

namespace KeyShareDetector.Detection.Tests.State;

/// <summary>
/// The most bytes <see cref="Detection.State.KeyRiskStateCodec"/> can write for one key under a policy's caps, term by
/// term from each aggregate's WriteTo layout, for traffic whose identifiers and texts are at most the given lengths.
/// </summary>
internal static class StateBound
{
    /// <summary>Reason codes a key can hold at once (one active finding per code).</summary>
    private const int Codes = 32;
    private const int MetricsPerReason = 16;
    private const int SummaryChars = 512;
    private const int CountryChars = 8;
    private const int SymbolChars = 128;

    /// <summary>A string as BinaryWriter writes it: 7-bit length prefix, then at most 3 UTF-8 bytes per UTF-16 char.</summary>
    private static long Str(long chars) => 3 + (3 * chars);

    public static long Of(DetectionPolicy policy, int idChars, int textChars)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var limits = policy.Limits;
        long id = Str(idChars);
        long text = Str(textChars);
        long ip = Str(IpText.MaxLength);
        long network = Str(IpText.MaxLength + 3);

        long header = 1 + (2 * id) + (3 * 8) + (1 + (3 * 8) + 4 + 1 + 1) + 8 + 8;
        long registry = 1 + (2 * Str(limits.MaxIdLength)) + 4 + (limits.MaxAllowlistEntries * Str(limits.MaxIdLength)) + 4 + limits.MaxAllowlistEntries
                        + 1 + 8 + 8 + Str(limits.MaxIdLength);

        var window = policy.IpDiversity.Window;
        long liveBuckets = ((window.SizeMs + window.GraceMs) / window.HopMs) + 2;
        long sketch = 7 + (1L << HoppingDistinctCounter.DefaultSketchPrecision);
        long members = Math.Max(policy.IpDiversity.MaxTrackedIps, HoppingDistinctCounter.SampleSize);
        long counter = 1 + 4 + 1 + 1 + 4 + (members * (network + 8)) + 8 + (liveBuckets * sketch);
        long ipDiversity = (3 * 8) + 4 + 8 + (4 * counter);

        long unregistered = Str(CountryChars) + 4 + (UnregisteredAccessAggregate.Cap * (ip + 8 + 1));
        long point = 8 + 8 + 8 + 1 + Str(CountryChars) + ip;
        long travel = 4 + (ImpossibleTravelAggregate.PointCap * point) + 4 + (ImpossibleTravelAggregate.JumpCap * ((2 * point) + (4 * 8)));
        long sessions = 1 + 1 + 8 + 4 + (policy.ConcurrentSessions.MaxTrackedSessions * (8 + 8 + 8 + network + ip));
        long fingerprints = 1 + 1 + 4 + 4 + (policy.FingerprintDiversity.MaxTrackedFingerprints * ((2 * text) + 1 + 8 + 8 + 8 + 4))
                            + 4 + (FingerprintDiversityAggregate.MaxInterleavings * 8);

        var s = policy.Spoofing;
        long day = (11 * 8) + 1;
        long symbol = Str(Math.Min(idChars, SymbolChars));
        long spoofing = 1 + (12 * 8) + day
                        + 4 + (Math.Max(s.SizeHistoryLength, SpoofingRule.MaxSizeHistoryLength) * 8)
                        + 4 + (s.MaxOpenOrders * (id + symbol + 1 + (6 * 8) + 1))
                        + 4 + (s.MaxSymbols * (symbol + 8 + day + (4 * 8)
                            + 4 + (s.MaxFillsPerSymbol * (8 + 1 + 8 + id))
                            + 4 + (s.MaxRecentCancelsPerSymbol * (id + 1 + (5 * 8) + 3))
                            + 4 + (s.MaxCyclesPerSymbol * ((2 * 8) + 1 + (2 * 8) + (2 * 4) + (2 * id)))))
                        + 4 + (s.MaxBufferedEvents * ((5 * id) + 8 + 2 + (3 * 8) + (2 * 9) + 1 + ip + 1 + id));

        long fleet = 4 + (policy.MassCompromise.KnownNetworksPerKey * 16) + 4 + (32 * 8) + 4 + (policy.NewCountryNetwork.KnownCountriesPerKey * 16)
                     + 4 + (policy.NewCountryNetwork.KnownClientsPerKey * 16) + (3 * 8) + 1 + 4;

        long subject = Math.Max(Str((2 * textChars) + 32), network);
        long reason = Str(32) + Str(SummaryChars) + 4 + (MetricsPerReason * (Str(32) + 8)) + 4 + (Evidence.SubjectCap * subject);
        long active = 4 + (Codes * (Str(32) + (3 * 8) + 1 + reason + 8));

        return header + registry + ipDiversity + unregistered + travel + sessions + fingerprints + spoofing + fleet + active;
    }
}
