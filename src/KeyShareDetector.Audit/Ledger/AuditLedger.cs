using System.Text;
using Dapper;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using Npgsql;
using NpgsqlTypes;

namespace KeyShareDetector.Audit.Ledger;

/// <summary>
/// The PostgreSQL ledger of enforcement commands, alerts and analyst dispositions. Writes are idempotent
/// (ON CONFLICT on the command / alert id), so a record delivered twice is stored once.
/// </summary>
public sealed class AuditLedger(NpgsqlDataSource dataSource, TimeProvider time)
{
    private const string CommandColumns = """
        command_id AS CommandId, api_key_id AS ApiKeyId, account_id AS AccountId, action AS Action,
        issued_at_ms AS IssuedAtMs, policy_version AS PolicyVersion, risk_score AS RiskScore,
        previous_state AS PreviousState, new_state AS NewState, shadow AS Shadow,
        source_topic AS SourceTopic, source_partition AS SourcePartition, source_offset AS SourceOffset
        """;

    // One statement per batch: arrays unnested into rows; evidence is the command's own "reasons" field.
    private const string InsertCommands = """
        INSERT INTO commands (command_id, api_key_id, account_id, action, issued_at, issued_at_ms, policy_version,
                              risk_score, previous_state, new_state, shadow, evidence, raw,
                              source_topic, source_partition, source_offset)
        SELECT u.id, u.key, u.account, u.action, to_timestamp(u.issued / 1000.0), u.issued, u.policy,
               u.risk, u.prev, u.next, u.shadow, COALESCE(u.raw::jsonb -> 'reasons', '[]'::jsonb), u.raw::jsonb,
               u.topic, u.part, u.off
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::float8[], $8::text[],
                    $9::text[], $10::bool[], $11::text[], $12::text[], $13::int[], $14::bigint[])
             AS u(id, key, account, action, issued, policy, risk, prev, next, shadow, raw, topic, part, off)
        ON CONFLICT (command_id) DO NOTHING
        """;

    private const string InsertAlerts = """
        INSERT INTO alerts (alert_id, ts, ts_ms, severity, kind, dedup_key, summary, api_key_id, command_id, raw,
                            source_topic, source_partition, source_offset)
        SELECT u.id, to_timestamp(u.ts / 1000.0), u.ts, u.severity, u.kind, u.dedup, u.summary, u.key, u.cmd, u.raw::jsonb,
               u.topic, u.part, u.off
        FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                    $9::text[], $10::text[], $11::int[], $12::bigint[])
             AS u(id, ts, severity, kind, dedup, summary, key, cmd, raw, topic, part, off)
        ON CONFLICT (alert_id) DO NOTHING
        """;

    private readonly NpgsqlDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
    private readonly TimeProvider _time = time ?? throw new ArgumentNullException(nameof(time));

    /// <summary>Stores a batch in one transaction; returns how many rows were new (duplicates are skipped).</summary>
    public async Task<int> StoreAsync(IReadOnlyList<IncomingCommand> commands, IReadOnlyList<IncomingAlert> alerts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commands);
        ArgumentNullException.ThrowIfNull(alerts);
        if (commands.Count == 0 && alerts.Count == 0) return 0;

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        int inserted = 0;
        if (commands.Count > 0)
        {
            await using var cmd = new NpgsqlCommand(InsertCommands, connection, tx);
            AddArray(cmd, NpgsqlDbType.Text, commands, c => c.Command.CommandId);
            AddArray(cmd, NpgsqlDbType.Text, commands, c => c.Command.ApiKeyId);
            AddArray(cmd, NpgsqlDbType.Text, commands, c => c.Command.AccountId);
            AddArray(cmd, NpgsqlDbType.Text, commands, c => c.Command.Action.ToString());
            AddArray(cmd, NpgsqlDbType.Bigint, commands, c => c.Command.IssuedAt);
            AddArray(cmd, NpgsqlDbType.Text, commands, c => c.Command.PolicyVersion);
            AddArray(cmd, NpgsqlDbType.Double, commands, c => c.Command.RiskScore);
            AddArray(cmd, NpgsqlDbType.Text, commands, c => c.Command.PreviousState.ToString());
            AddArray(cmd, NpgsqlDbType.Text, commands, c => c.Command.NewState.ToString());
            AddArray(cmd, NpgsqlDbType.Boolean, commands, c => c.Command.Shadow);
            AddArray(cmd, NpgsqlDbType.Text, commands, c => Encoding.UTF8.GetString(ContractCodecs.Command.SerializeJson(c.Command)));
            AddArray(cmd, NpgsqlDbType.Text, commands, c => c.Source.Topic);
            AddArray(cmd, NpgsqlDbType.Integer, commands, c => c.Source.Partition);
            AddArray(cmd, NpgsqlDbType.Bigint, commands, c => c.Source.Offset);
            inserted += await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        if (alerts.Count > 0)
        {
            await using var cmd = new NpgsqlCommand(InsertAlerts, connection, tx);
            AddArray(cmd, NpgsqlDbType.Text, alerts, a => a.Alert.AlertId);
            AddArray(cmd, NpgsqlDbType.Bigint, alerts, a => a.Alert.Ts);
            AddArray(cmd, NpgsqlDbType.Text, alerts, a => a.Alert.Severity.ToString());
            AddArray(cmd, NpgsqlDbType.Text, alerts, a => a.Alert.Kind);
            AddArray(cmd, NpgsqlDbType.Text, alerts, a => a.Alert.DedupKey);
            AddArray(cmd, NpgsqlDbType.Text, alerts, a => a.Alert.Summary);
            AddArray(cmd, NpgsqlDbType.Text, alerts, a => a.Alert.ApiKeyId);
            AddArray(cmd, NpgsqlDbType.Text, alerts, a => a.Alert.CommandId);
            AddArray(cmd, NpgsqlDbType.Text, alerts, a => Encoding.UTF8.GetString(ContractCodecs.Alert.SerializeJson(a.Alert)));
            AddArray(cmd, NpgsqlDbType.Text, alerts, a => a.Source.Topic);
            AddArray(cmd, NpgsqlDbType.Integer, alerts, a => a.Source.Partition);
            AddArray(cmd, NpgsqlDbType.Bigint, alerts, a => a.Source.Offset);
            inserted += await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return inserted;
    }

    /// <summary>Commands matching every given filter, newest first.</summary>
    public async Task<IReadOnlyList<CommandRow>> SearchCommandsAsync(CommandQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Limit is < 1 or > 10_000) throw new ArgumentOutOfRangeException(nameof(query), query.Limit, "limit must be between 1 and 10000");
        var where = new List<string>();
        var args = new DynamicParameters();
        if (query.ApiKeyId is not null) { where.Add("api_key_id = @key"); args.Add("key", query.ApiKeyId); }
        if (query.AccountId is not null) { where.Add("account_id = @account"); args.Add("account", query.AccountId); }
        if (query.Action is { } action) { where.Add("action = @action"); args.Add("action", action.ToString()); }
        if (query.From is { } from) { where.Add("issued_at >= @from"); args.Add("from", from.UtcDateTime); }
        if (query.To is { } to) { where.Add("issued_at < @to"); args.Add("to", to.UtcDateTime); }
        args.Add("limit", query.Limit);
        string sql = $"SELECT {CommandColumns} FROM commands"
            + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "")
            + " ORDER BY issued_at DESC, command_id LIMIT @limit";
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<CommandRow>(new CommandDefinition(sql, args, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }

    /// <summary>One command with its evidence and dispositions, or null when the ledger has no such command.</summary>
    public async Task<CommandDetail?> GetCommandAsync(string commandId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commandId);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<CommandRow>(new CommandDefinition(
            $"SELECT {CommandColumns} FROM commands WHERE command_id = @commandId", new { commandId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (row is null) return null;
        var json = await connection.QuerySingleAsync<(string Evidence, string Raw)>(new CommandDefinition(
            "SELECT evidence::text, raw::text FROM commands WHERE command_id = @commandId", new { commandId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var dispositions = await ListDispositionsAsync(connection, commandId, cancellationToken).ConfigureAwait(false);
        return new CommandDetail(row, json.Evidence, json.Raw, dispositions);
    }

    /// <summary>Records an analyst's disposition (timestamped by the injected clock); null when the command is unknown.</summary>
    public async Task<DispositionRow?> AddDispositionAsync(string commandId, DispositionKind kind, string analyst, string? note, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commandId);
        ArgumentException.ThrowIfNullOrWhiteSpace(analyst);
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown disposition kind");
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // INSERT ... SELECT: an unknown command inserts nothing instead of failing on the foreign key.
        return await connection.QuerySingleOrDefaultAsync<DispositionRow>(new CommandDefinition("""
            INSERT INTO dispositions (command_id, kind, analyst, note, created_at)
            SELECT command_id, @kind, @analyst, @note, @createdAt FROM commands WHERE command_id = @commandId
            RETURNING id AS Id, command_id AS CommandId, kind AS Kind, analyst AS Analyst, note AS Note, created_at AS CreatedAt
            """,
            new { commandId, kind = kind.ToString(), analyst, note, createdAt = _time.GetUtcNow().UtcDateTime },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Rows in the commands table (total, and distinct ids: equal unless the ledger is broken).</summary>
    public async Task<(long Total, long Distinct)> CountCommandsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.QuerySingleAsync<(long, long)>(new CommandDefinition(
            "SELECT COUNT(*), COUNT(DISTINCT command_id) FROM commands", cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    private static async Task<IReadOnlyList<DispositionRow>> ListDispositionsAsync(NpgsqlConnection connection, string commandId, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<DispositionRow>(new CommandDefinition("""
            SELECT id AS Id, command_id AS CommandId, kind AS Kind, analyst AS Analyst, note AS Note, created_at AS CreatedAt
            FROM dispositions WHERE command_id = @commandId ORDER BY created_at, id
            """, new { commandId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }

    private static void AddArray<TItem, TValue>(NpgsqlCommand command, NpgsqlDbType elementType, IReadOnlyList<TItem> items, Func<TItem, TValue> select)
    {
        var values = new TValue[items.Count];
        for (int i = 0; i < values.Length; i++) values[i] = select(items[i]);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | elementType, Value = values });
    }
}
