using KeyShareDetector.Audit.Ledger;
using KeyShareDetector.Audit.Schema;
using Npgsql;

namespace KeyShareDetector.Audit.Tests.Support;

/// <summary>A fresh, migrated database and a ledger over it.</summary>
internal sealed class LedgerDatabase : IAsyncDisposable
{
    private LedgerDatabase(NpgsqlDataSource dataSource, AuditLedger ledger)
    {
        DataSource = dataSource;
        Ledger = ledger;
    }

    public NpgsqlDataSource DataSource { get; }
    public AuditLedger Ledger { get; }

    public static async Task<LedgerDatabase> CreateAsync(PostgresServer server, TimeProvider? time = null)
    {
        var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync());
        await LedgerMigrations.ApplyAsync(dataSource);
        return new LedgerDatabase(dataSource, new AuditLedger(dataSource, time ?? TimeProvider.System));
    }

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
