using System.Text.Json;
using Dapper;
using KeyShareDetector.Audit.Ledger;
using KeyShareDetector.Audit.Tests.Support;
using KeyShareDetector.Contracts;
using Microsoft.Extensions.Time.Testing;

namespace KeyShareDetector.Audit.Tests.Ledger;

[Collection(PostgresCollection.Name)]
public sealed class AuditLedgerTests(PostgresServer server)
{
    [Fact]
    public async Task A_command_delivered_twice_is_stored_once()
    {
        await using var db = await LedgerDatabase.CreateAsync(server);
        var command = Samples.Incoming(Samples.Command(1));

        int first = await db.Ledger.StoreAsync([command, command], []);
        int second = await db.Ledger.StoreAsync([command], []);

        Assert.Equal(1, first);
        Assert.Equal(0, second);
        Assert.Equal((1L, 1L), await db.Ledger.CountCommandsAsync());
    }

    [Fact]
    public async Task An_alert_delivered_twice_is_stored_once()
    {
        await using var db = await LedgerDatabase.CreateAsync(server);
        var alert = new IncomingAlert(Samples.Alert(1), new SourceOffset(Topics.Alerts, 0, 5));

        Assert.Equal(1, await db.Ledger.StoreAsync([], [alert, alert]));
        Assert.Equal(0, await db.Ledger.StoreAsync([], [alert]));
    }

    [Fact]
    public async Task Evidence_is_the_commands_reasons_as_jsonb_and_raw_is_the_whole_command()
    {
        await using var db = await LedgerDatabase.CreateAsync(server);
        await db.Ledger.StoreAsync([Samples.Incoming(Samples.Command(7), offset: 42)], []);

        var detail = await db.Ledger.GetCommandAsync("cmd-000007");

        Assert.NotNull(detail);
        Assert.Equal(42, detail.Command.SourceOffset);
        using var evidence = JsonDocument.Parse(detail.EvidenceJson);
        Assert.Equal("IP_DIVERSITY", evidence.RootElement[0].GetProperty("code").GetString());
        Assert.Equal(Json(Samples.Command(7)), Json(ContractCodecsRoundTrip(detail.RawJson)));
        await using var connection = await db.DataSource.OpenConnectionAsync();
        Assert.Equal("array", await connection.ExecuteScalarAsync<string>("SELECT jsonb_typeof(evidence) FROM commands"));
    }

    [Fact]
    public async Task Search_filters_by_key_account_action_and_time_range_newest_first()
    {
        await using var db = await LedgerDatabase.CreateAsync(server);
        await db.Ledger.StoreAsync(
        [
            Samples.Incoming(Samples.Command(1, key: "k1", account: "a1", action: EnforcementAction.WARN, issuedAt: Samples.T0)),
            Samples.Incoming(Samples.Command(2, key: "k1", account: "a1", action: EnforcementAction.REVOKE, issuedAt: Samples.T0 + 60_000)),
            Samples.Incoming(Samples.Command(3, key: "k2", account: "a1", action: EnforcementAction.REVOKE, issuedAt: Samples.T0 + 120_000)),
            Samples.Incoming(Samples.Command(4, key: "k3", account: "a2", action: EnforcementAction.REAUTH, issuedAt: Samples.T0 + 180_000)),
        ], []);
        var t0 = DateTimeOffset.FromUnixTimeMilliseconds(Samples.T0);

        Assert.Equal(["cmd-000002", "cmd-000001"], Ids(await db.Ledger.SearchCommandsAsync(new CommandQuery { ApiKeyId = "k1" })));
        Assert.Equal(["cmd-000003", "cmd-000002", "cmd-000001"], Ids(await db.Ledger.SearchCommandsAsync(new CommandQuery { AccountId = "a1" })));
        Assert.Equal(["cmd-000003", "cmd-000002"], Ids(await db.Ledger.SearchCommandsAsync(new CommandQuery { Action = EnforcementAction.REVOKE })));
        Assert.Equal(["cmd-000003", "cmd-000002"], Ids(await db.Ledger.SearchCommandsAsync(new CommandQuery { From = t0.AddMinutes(1), To = t0.AddMinutes(3) })));
        Assert.Equal(["cmd-000004"], Ids(await db.Ledger.SearchCommandsAsync(new CommandQuery { Limit = 1 })));
        Assert.Empty(await db.Ledger.SearchCommandsAsync(new CommandQuery { ApiKeyId = "k1", Action = EnforcementAction.REAUTH }));
    }

    [Fact]
    public async Task A_disposition_is_recorded_with_the_injected_clock_and_shown_with_the_command()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 3, 2, 9, 30, 0, TimeSpan.Zero));
        await using var db = await LedgerDatabase.CreateAsync(server, clock);
        await db.Ledger.StoreAsync([Samples.Incoming(Samples.Command(1))], []);

        var fp = await db.Ledger.AddDispositionAsync("cmd-000001", DispositionKind.FALSE_POSITIVE, "alice", "market maker's second office");
        clock.Advance(TimeSpan.FromMinutes(5));
        await db.Ledger.AddDispositionAsync("cmd-000001", DispositionKind.NOTE, "bob", null);

        Assert.NotNull(fp);
        Assert.Equal(clock.Start.UtcDateTime, fp.CreatedAt);
        var detail = await db.Ledger.GetCommandAsync("cmd-000001");
        Assert.Equal(["FALSE_POSITIVE", "NOTE"], detail!.Dispositions.Select(d => d.Kind));
        Assert.Equal("market maker's second office", detail.Dispositions[0].Note);
    }

    [Fact]
    public async Task A_disposition_for_an_unknown_command_is_refused()
    {
        await using var db = await LedgerDatabase.CreateAsync(server);

        Assert.Null(await db.Ledger.AddDispositionAsync("no-such-command", DispositionKind.CONFIRMED, "alice", null));
        Assert.Null(await db.Ledger.GetCommandAsync("no-such-command"));
    }

    private static string[] Ids(IReadOnlyList<CommandRow> rows) => rows.Select(r => r.CommandId).ToArray();

    private static string Json(EnforcementCommand command) =>
        System.Text.Encoding.UTF8.GetString(KeyShareDetector.Contracts.Wire.ContractCodecs.Command.SerializeJson(command));

    private static EnforcementCommand ContractCodecsRoundTrip(string json) =>
        KeyShareDetector.Contracts.Wire.ContractCodecs.Command.Deserialize(System.Text.Encoding.UTF8.GetBytes(json));
}
