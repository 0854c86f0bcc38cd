using Dapper;
using KeyShareDetector.Audit.Schema;
using KeyShareDetector.Audit.Tests.Support;
using Npgsql;

namespace KeyShareDetector.Audit.Tests.Ledger;

[Collection(PostgresCollection.Name)]
public sealed class LedgerMigrationsTests(PostgresServer server)
{
    [Fact]
    public async Task Applying_to_an_empty_database_creates_every_table_and_records_each_version()
    {
        await using var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync());

        var applied = await LedgerMigrations.ApplyAsync(dataSource);

        Assert.Equal(LedgerMigrations.All.Select(m => m.Version), applied);
        Assert.Equal(LedgerMigrations.All.Max(m => m.Version), await LedgerMigrations.CurrentVersionAsync(dataSource));
        await using var connection = await dataSource.OpenConnectionAsync();
        var tables = (await connection.QueryAsync<string>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).ToHashSet();
        Assert.Superset(new HashSet<string> { "migrations", "commands", "alerts", "dispositions" }, tables);
    }

    [Fact]
    public async Task Applying_again_or_concurrently_changes_nothing()
    {
        await using var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync());

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => LedgerMigrations.ApplyAsync(dataSource)));
        var again = await LedgerMigrations.ApplyAsync(dataSource);

        Assert.Equal(LedgerMigrations.All.Count, results.Sum(r => r.Count));
        Assert.Empty(again);
        await using var connection = await dataSource.OpenConnectionAsync();
        Assert.Equal(LedgerMigrations.All.Count, await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM migrations"));
    }
}
