using KeyShareDetector.Contracts;
using KeyShareDetector.Detection.Policy;
using KeyShareDetector.Streams.Policy;

namespace KeyShareDetector.Streams.Tests.Policy;

public class PolicyDocumentsTests
{
    private static string RepoFile(string relative)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "KeyShareDetector.sln"))) dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("repository root not found"), relative);
    }

    [Fact]
    public void A_yaml_document_lists_only_what_differs_from_the_default()
    {
        var policy = PolicyDocuments.Parse("""
            version: strict-2
            effectiveFrom: 1767229200000
            ipDiversity:
              minDistinctNetworks: 2
            ladder:
              warnScore: 40
              hardEvidenceJumps:
                UNREGISTERED_IP: REVOKED
            allowlists:
              accounts: [acct-market-maker-1]
            shadow: true
            """);
        Assert.Equal("strict-2", policy.Version);
        Assert.Equal(1_767_229_200_000, policy.EffectiveFrom);
        Assert.Equal(2, policy.IpDiversity.MinDistinctNetworks);
        Assert.Equal(DetectionPolicy.Default.IpDiversity.MinDistinctIps, policy.IpDiversity.MinDistinctIps);
        Assert.Equal(DetectionPolicy.Default.IpDiversity.Window, policy.IpDiversity.Window);
        Assert.Equal(40, policy.Ladder.WarnScore);
        Assert.Equal(KeyState.REVOKED, policy.Ladder.HardEvidenceJumps["UNREGISTERED_IP"]);
        Assert.Equal(["acct-market-maker-1"], policy.Allowlists.Accounts);
        Assert.True(policy.Shadow);
    }

    [Fact]
    public void Json_on_the_policy_topic_reads_the_same_as_yaml()
    {
        var policy = DetectionPolicy.Default with { Version = "v7", EffectiveFrom = 42, Shadow = true };
        var back = PolicyDocuments.Parse(PolicyDocuments.ToJson(policy));
        Assert.Equal(PolicyDocuments.ToJson(policy), PolicyDocuments.ToJson(back));
    }

    [Fact]
    public void An_unknown_setting_is_refused_with_its_path()
    {
        var e = Assert.Throws<PolicyDocumentException>(() => PolicyDocuments.Parse("version: x\nipDiversity:\n  minDistinctNetwork: 2\n"));
        Assert.Contains("ipDiversity", e.Message, StringComparison.Ordinal);
        Assert.Contains("minDistinctNetwork", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_invalid_setting_is_named_on_its_own_line()
    {
        var e = Assert.Throws<PolicyDocumentException>(() => PolicyDocuments.Parse("""
            version: bad
            ipDiversity: { minDistinctIps: 1 }
            ladder: { warnScore: 500 }
            allowlists: { cidrs: [not-a-cidr] }
            """));
        Assert.Contains(e.Problems, p => p.StartsWith("ipDiversity.minDistinctIps", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("ladder: scores must rise", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("allowlists.cidrs", StringComparison.Ordinal));
    }

    [Fact]
    public void A_wrong_type_or_enum_names_the_setting()
    {
        Assert.Contains("ladder.warnScore", Assert.Throws<PolicyDocumentException>(() => PolicyDocuments.Parse("ladder: { warnScore: high }")).Message, StringComparison.Ordinal);
        Assert.Contains("ladder.probationEscalatesTo", Assert.Throws<PolicyDocumentException>(() => PolicyDocuments.Parse("ladder: { probationEscalatesTo: BANNED }")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Broken_yaml_is_refused_with_its_line()
    {
        var e = Assert.Throws<PolicyDocumentException>(() => PolicyDocuments.Parse("version: x\n  ipDiversity: [\n"));
        Assert.Contains("line", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_documented_default_policy_is_the_built_in_default()
    {
        var documented = PolicyDocuments.Load(RepoFile("docs/policy/default-policy.yaml"));
        Assert.Equal(PolicyDocuments.ToJson(DetectionPolicy.Default), PolicyDocuments.ToJson(documented));
    }

    [Fact]
    public void The_committed_schema_matches_the_policy_types()
    {
        Assert.Equal(PolicyDocuments.JsonSchema(), File.ReadAllText(RepoFile("schemas/policy.schema.json")));
    }

    [Fact]
    public void The_policy_book_picks_the_version_in_force_at_each_event_time()
    {
        var signer = new Detection.Enforcement.CommandSigner("k", "0123456789abcdef0123"u8);
        var book = PolicyBook.Of([DetectionPolicy.Default with { Version = "a", EffectiveFrom = 0 }, DetectionPolicy.Default with { Version = "b", EffectiveFrom = 1000 }], signer);
        Assert.Equal("a", book.For(999).Policy.Version);
        Assert.Equal("b", book.For(1000).Policy.Version);
        Assert.Equal("a", book.For(-5).Policy.Version);
        var more = book.With(DetectionPolicy.Default with { Version = "c", EffectiveFrom = 5000 });
        Assert.Equal("b", more.For(4999).Policy.Version);
        Assert.Equal("c", more.For(5000).Policy.Version);
        Assert.Equal("b", more.Without("c").For(6000).Policy.Version);
    }
}
