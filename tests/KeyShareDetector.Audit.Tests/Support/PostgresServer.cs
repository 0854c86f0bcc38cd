using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Testcontainers.PostgreSql;

namespace KeyShareDetector.Audit.Tests.Support;

/// <summary>
/// A real PostgreSQL for the ledger tests, in this order: KSD_TEST_POSTGRES (a connection string to a server where
/// databases may be created), else a throwaway server from the local PostgreSQL binaries (initdb/pg_ctl), else a
/// Testcontainers container when a Docker engine answers. Each test gets its own database.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private string? _adminConnectionString;
    private LocalCluster? _local;
    private PostgreSqlContainer? _container;

    /// <summary>How the server was obtained (shown in failures).</summary>
    public string Mode { get; private set; } = "none";

    /// <summary>True when the server can be stopped and started again (the throwaway one).</summary>
    public bool CanRestart => _local is not null;

    public async Task InitializeAsync()
    {
        string? fromEnv = Environment.GetEnvironmentVariable("KSD_TEST_POSTGRES");
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            _adminConnectionString = fromEnv;
            Mode = "KSD_TEST_POSTGRES";
            return;
        }
        var problems = new List<string>();
        string? binaries = LocalCluster.FindBinaries();
        if (binaries is not null)
        {
            try
            {
                _local = await LocalCluster.StartAsync(binaries).ConfigureAwait(false);
                _adminConnectionString = _local.ConnectionString;
                Mode = "local binaries in " + binaries;
                return;
            }
            catch (InvalidOperationException e)
            {
                problems.Add("local PostgreSQL: " + e.Message);
                _local = null;
            }
        }
        else
        {
            problems.Add("local PostgreSQL: no initdb/pg_ctl in /usr/lib/postgresql/*/bin or on PATH");
        }
        try
        {
            _container = new PostgreSqlBuilder("postgres:17-alpine").Build();
            await _container.StartAsync().ConfigureAwait(false);
            _adminConnectionString = _container.GetConnectionString();
            Mode = "Testcontainers";
        }
#pragma warning disable CA1031 // any failure here means "no Docker": report it with the others
        catch (Exception e)
#pragma warning restore CA1031
        {
            problems.Add("Testcontainers: " + e.Message);
            throw new InvalidOperationException(
                "no PostgreSQL for the audit tests: set KSD_TEST_POSTGRES, install the postgresql OS package, or run a Docker engine. " + string.Join(" | ", problems));
        }
    }

    /// <summary>Creates an empty database and returns a connection string to it.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var admin = new NpgsqlConnectionStringBuilder(_adminConnectionString ?? throw new InvalidOperationException("server not started"));
        string name = "ksd_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(admin.ConnectionString))
        {
            await connection.OpenAsync().ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        admin.Database = name;
        return admin.ConnectionString;
    }

    /// <summary>Stops the throwaway server (pg_ctl stop -m fast): connections drop, new ones are refused.</summary>
    public Task StopServerAsync() => (_local ?? throw new InvalidOperationException("only the throwaway server can be stopped")).StopAsync("fast");

    /// <summary>Starts the throwaway server again on the same port.</summary>
    public Task StartServerAsync() => (_local ?? throw new InvalidOperationException("only the throwaway server can be started")).StartAsync();

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_local is not null) await _local.DisposeAsync().ConfigureAwait(false);
        if (_container is not null) await _container.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>A PostgreSQL cluster in a temp dir, run as the postgres OS user when we are root (postgres refuses root).</summary>
    private sealed class LocalCluster : IAsyncDisposable
    {
        private readonly string _bin;
        private readonly string _dir;
        private readonly int _port;
        private readonly bool _asPostgresUser;

        private LocalCluster(string bin, string dir, int port, bool asPostgresUser)
        {
            _bin = bin;
            _dir = dir;
            _port = port;
            _asPostgresUser = asPostgresUser;
        }

        public string ConnectionString => new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = _port,
            Username = "postgres",
            Database = "postgres",
            Timeout = 5,
            // The outage test wants a dead server noticed quickly.
            CommandTimeout = 15,
        }.ConnectionString;

        private string DataDir => Path.Combine(_dir, "data");

        public static string? FindBinaries()
        {
            const string debian = "/usr/lib/postgresql";
            if (Directory.Exists(debian))
            {
                var best = Directory.GetDirectories(debian)
                    .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out int v) ? v : 0))
                    .Where(d => File.Exists(Path.Combine(d.Dir, "pg_ctl")) && File.Exists(Path.Combine(d.Dir, "initdb")))
                    .OrderByDescending(d => d.Version)
                    .FirstOrDefault();
                if (best.Dir is not null) return best.Dir;
            }
            foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                if (File.Exists(Path.Combine(dir, "pg_ctl")) && File.Exists(Path.Combine(dir, "initdb"))) return dir;
            }
            return null;
        }

        public static async Task<LocalCluster> StartAsync(string bin)
        {
            bool root = Environment.UserName == "root" || (await RunAsync("id", ["-u"], asPostgres: false).ConfigureAwait(false)).Trim() == "0";
            string dir = Path.Combine(Path.GetTempPath(), "ksd-pg-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            if (root) await RunAsync("chown", ["postgres:postgres", dir], asPostgres: false).ConfigureAwait(false);
            var cluster = new LocalCluster(bin, dir, FreePort(), root);
            await cluster.Run("initdb", ["-D", cluster.DataDir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"]).ConfigureAwait(false);
            await cluster.StartAsync().ConfigureAwait(false);
            return cluster;
        }

        public Task StartAsync() => Run("pg_ctl", ["-D", DataDir, "-l", Path.Combine(_dir, "server.log"), "-w", "-t", "30", "-o",
            $"-p {_port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            "start"]);

        public Task StopAsync(string mode) => Run("pg_ctl", ["-D", DataDir, "-m", mode, "-w", "-t", "30", "stop"]);

        public async ValueTask DisposeAsync()
        {
            try
            {
                await StopAsync("immediate").ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
                // already stopped
            }
            try
            {
                Directory.Delete(_dir, recursive: true);
            }
            catch (IOException)
            {
                // left for the OS to clean
            }
        }

        private Task<string> Run(string tool, IReadOnlyList<string> args) => RunAsync(Path.Combine(_bin, tool), args, _asPostgresUser);

        private static async Task<string> RunAsync(string file, IReadOnlyList<string> args, bool asPostgres)
        {
            var start = new ProcessStartInfo(asPostgres ? "runuser" : file)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            if (asPostgres)
            {
                foreach (string a in (string[])["-u", "postgres", "--", file]) start.ArgumentList.Add(a);
            }
            foreach (string a in args) start.ArgumentList.Add(a);
            using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + file);
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().ConfigureAwait(false);
            string output = await stdout.ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} exited {process.ExitCode}: {await stderr.ConfigureAwait(false)}{output}");
            }
            return output;
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
