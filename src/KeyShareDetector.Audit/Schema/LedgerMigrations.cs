using Dapper;
using Npgsql;

namespace KeyShareDetector.Audit.Schema;

/// <summary>One versioned schema change; applied once, in its own transaction.</summary>
public sealed record LedgerMigration(int Version, string Description, string Sql);

/// <summary>
/// The ledger's schema as an ordered list of migrations, recorded in the <c>migrations</c> table. Applying is
/// idempotent and safe with several instances starting at once (a transaction-scoped advisory lock serialises them).
/// </summary>
public static class LedgerMigrations
{
    // Arbitrary constant shared by every instance: "KSDAUDIT".
    private const long AdvisoryLockKey = 0x4B53_4441_5544_4954;

    /// <summary>Every migration, oldest first. Never edit one that has shipped: add a new version.</summary>
    public static IReadOnlyList<LedgerMigration> All { get; } =
    [
        new(1, "commands, alerts, dispositions", """
            CREATE TABLE commands (
                command_id       text PRIMARY KEY,
                api_key_id       text NOT NULL,
                account_id       text NOT NULL,
                action           text NOT NULL CHECK (action IN ('WARN', 'REAUTH', 'REVOKE')),
                issued_at        timestamptz NOT NULL,
                issued_at_ms     bigint NOT NULL,
                policy_version   text NOT NULL,
                risk_score       double precision NOT NULL,
                previous_state   text NOT NULL,
                new_state        text NOT NULL,
                shadow           boolean NOT NULL,
                evidence         jsonb NOT NULL,
                raw              jsonb NOT NULL,
                source_topic     text NOT NULL,
                source_partition integer NOT NULL,
                source_offset    bigint NOT NULL,
                recorded_at      timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX commands_api_key_issued ON commands (api_key_id, issued_at DESC);
            CREATE INDEX commands_account_issued ON commands (account_id, issued_at DESC);
            CREATE INDEX commands_action_issued ON commands (action, issued_at DESC);
            CREATE INDEX commands_issued ON commands (issued_at DESC);

            CREATE TABLE alerts (
                alert_id         text PRIMARY KEY,
                ts               timestamptz NOT NULL,
                ts_ms            bigint NOT NULL,
                severity         text NOT NULL,
                kind             text NOT NULL,
                dedup_key        text NOT NULL,
                summary          text NOT NULL,
                api_key_id       text NULL,
                command_id       text NULL,
                raw              jsonb NOT NULL,
                source_topic     text NOT NULL,
                source_partition integer NOT NULL,
                source_offset    bigint NOT NULL,
                recorded_at      timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX alerts_ts ON alerts (ts DESC);
            CREATE INDEX alerts_api_key_ts ON alerts (api_key_id, ts DESC);
            CREATE INDEX alerts_command ON alerts (command_id);

            CREATE TABLE dispositions (
                id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                command_id  text NOT NULL REFERENCES commands (command_id),
                kind        text NOT NULL CHECK (kind IN ('CONFIRMED', 'FALSE_POSITIVE', 'NOTE')),
                analyst     text NOT NULL,
                note        text NULL,
                created_at  timestamptz NOT NULL
            );
            CREATE INDEX dispositions_command ON dispositions (command_id, created_at);
            """),
    ];

    /// <summary>Applies every migration newer than the database's; returns the versions applied now.</summary>
    public static async Task<IReadOnlyList<int>> ApplyAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var applied = new List<int>();
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
        await using (var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            // Under the lock too: concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalog.
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@key)", new { key = AdvisoryLockKey }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition("""
                CREATE TABLE IF NOT EXISTS migrations (
                    version     integer PRIMARY KEY,
                    description text NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now()
                )
                """, transaction: tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var migration in All)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@key)", new { key = AdvisoryLockKey }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            bool done = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT EXISTS (SELECT 1 FROM migrations WHERE version = @Version)", new { migration.Version }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (done)
            {
                await tx.RollbackAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }
            await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO migrations (version, description) VALUES (@Version, @Description)", new { migration.Version, migration.Description }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            applied.Add(migration.Version);
        }
        return applied;
    }

    /// <summary>The newest version recorded in the database, 0 when none.</summary>
    public static async Task<int> CurrentVersionAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COALESCE(MAX(version), 0) FROM migrations", cancellationToken: cancellationToken)).ConfigureAwait(false);
    }
}
