using Dapper;
using KeyShareDetector.Audit.Tests.Support;
using KeyShareDetector.Contracts;

namespace KeyShareDetector.Audit.Tests.Sink;

[Collection(PostgresCollection.Name)]
public sealed class LedgerSinkTests(PostgresServer server)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Killing_the_sink_mid_stream_and_restarting_it_loses_no_command_and_duplicates_none()
    {
        const int total = 10_000;
        await using var db = await LedgerDatabase.CreateAsync(server);
        using var kafka = new SinkHarness();
        kafka.ProduceCommands(0, total / 2);

        long storedBeforeKill;
        await using (var first = kafka.Start(db.Ledger, maxBatchSize: 250))
        {
            await Wait.UntilAsync(() => Task.FromResult(first.Sink.Stored >= 1_500), Deadline, "the first sink to store 1,500 commands");
            await first.KillAsync();
            storedBeforeKill = first.Sink.Stored;
        }
        Assert.InRange(storedBeforeKill, 1_500, total / 2 - 1);

        kafka.ProduceCommands(total / 2, total / 2);
        await using var second = kafka.Start(db.Ledger, maxBatchSize: 250);
        await Wait.UntilAsync(async () => (await db.Ledger.CountCommandsAsync()).Total >= total, Deadline, $"{total} commands in the ledger");

        Assert.Equal(((long)total, (long)total), await db.Ledger.CountCommandsAsync());
    }

    [Fact]
    public async Task A_crash_after_the_database_commit_but_before_the_offset_commit_stores_each_command_once()
    {
        const int total = 2_000;
        await using var db = await LedgerDatabase.CreateAsync(server);
        using var kafka = new SinkHarness();
        kafka.ProduceCommands(0, total);

        await using (var first = kafka.Start(db.Ledger, maxBatchSize: 200))
        {
            // Crash in the window where rows are stored and their offsets are not: the restart replays them.
            first.Sink.AfterBatchStored = batch => { if (batch == 3) first.Stop.Cancel(); };
            await first.Loop.WaitAsync(Deadline);
        }
        long afterCrash = (await db.Ledger.CountCommandsAsync()).Total;
        Assert.InRange(afterCrash, 1, total - 1);

        await using var second = kafka.Start(db.Ledger, maxBatchSize: 200);
        await Wait.UntilAsync(async () => (await db.Ledger.CountCommandsAsync()).Total >= total, Deadline, $"{total} commands in the ledger");

        Assert.True(second.Sink.Consumed > total - afterCrash, "the restarted sink should have re-read the crashed batch");
        Assert.Equal(((long)total, (long)total), await db.Ledger.CountCommandsAsync());
    }

    [Fact]
    public async Task A_ten_second_database_outage_is_ridden_out_without_loss()
    {
        Assert.True(server.CanRestart, $"the outage test needs the throwaway local server (PostgreSQL is from: {server.Mode})");
        await using var db = await LedgerDatabase.CreateAsync(server);
        using var kafka = new SinkHarness();
        await using var sink = kafka.Start(db.Ledger, maxBatchSize: 200);
        kafka.ProduceCommands(0, 1_000);
        await Wait.UntilAsync(async () => (await db.Ledger.CountCommandsAsync()).Total >= 1_000, Deadline, "the first 1,000 commands");

        int produced = 1_000;
        await server.StopServerAsync();
        try
        {
            // Keep producing through the outage.
            await Wait.ForAsync(TimeSpan.FromSeconds(10), () =>
            {
                kafka.ProduceCommands(produced, 20);
                produced += 20;
                return Task.CompletedTask;
            });
            Assert.True(sink.Sink.Stored <= 1_000 + 200, "nothing can be stored while the database is down");
        }
        finally
        {
            await server.StartServerAsync();
        }
        kafka.ProduceCommands(produced, 1_000);
        produced += 1_000;

        await Wait.UntilAsync(async () => (await db.Ledger.CountCommandsAsync()).Total >= produced, Deadline, $"{produced} commands after the outage");
        Assert.Equal(((long)produced, (long)produced), await db.Ledger.CountCommandsAsync());
        Assert.False(sink.Loop.IsCompleted, "the sink should still be running");
    }

    [Fact]
    public async Task Alerts_are_stored_and_an_undecodable_record_is_skipped_without_stopping_the_sink()
    {
        await using var db = await LedgerDatabase.CreateAsync(server);
        using var kafka = new SinkHarness();
        await using var sink = kafka.Start(db.Ledger);

        kafka.ProduceRaw(Topics.Enforcement, "not a command"u8.ToArray());
        kafka.ProduceAlert(Samples.Alert(1, commandId: "cmd-000001"));
        kafka.ProduceCommands(1, 1);

        await using var connection = await db.DataSource.OpenConnectionAsync();
        await Wait.UntilAsync(async () => await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM alerts") == 1
            && (await db.Ledger.CountCommandsAsync()).Total == 1, Deadline, "the alert and the command");
        Assert.Equal(1, sink.Sink.Undecodable);
        Assert.Equal("cmd-000001", await connection.ExecuteScalarAsync<string>("SELECT command_id FROM alerts"));
    }
}
