using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Npgsql;
using SQLitePCL;

namespace Surplus.Exchange.Storage;

/// <summary>Which database the exchange keeps its state in.</summary>
public enum DatabaseKind
{
    /// <summary>An embedded SQLite file (WAL, synchronous=FULL).</summary>
    Sqlite,

    /// <summary>A PostgreSQL server.</summary>
    Postgres,
}

/// <summary>Opens connections to the store. Thread-safe.</summary>
public sealed class Database : IDisposable
{
    private readonly NpgsqlDataSource? postgres;
    private readonly string? sqlite;
    private readonly bool durable;

    // The pool hands back the same native connection many times; its settings stay with it, so
    // they are applied once per native connection rather than on every open (a statement each).
    private readonly ConditionalWeakTable<sqlite3, object> configured = [];

    /// <summary>
    /// SQLite's process-wide settings, made before its first connection (it refuses them after): no
    /// count of the memory it holds, and no lock around each connection. Both take a lock and an
    /// unlock on every allocation and every step, and the store writer, which sets the exchange's
    /// pace (docs/architecture.md), pays them on each of its steps. A connection here is only ever
    /// used by one thread at a time (ADO.NET connections are not shared, and the pool hands one to
    /// one caller), which is what SQLite's multi-thread mode asks; its own locks between
    /// connections stay.
    /// </summary>
    static Database()
    {
        Batteries_V2.Init();
        raw.sqlite3_config(raw.SQLITE_CONFIG_MEMSTATUS, 0);
        raw.sqlite3_config(raw.SQLITE_CONFIG_MULTITHREAD);
    }

    private Database(DatabaseKind kind, string connectionString, bool durable)
    {
        Kind = kind;
        ConnectionString = connectionString;
        this.durable = durable;
        if (kind == DatabaseKind.Postgres)
        {
            postgres = NpgsqlDataSource.Create(connectionString);
        }
        else
        {
            sqlite = connectionString;
        }
    }

    /// <summary>SQLite or PostgreSQL.</summary>
    public DatabaseKind Kind { get; }

    /// <summary>The connection string.</summary>
    public string ConnectionString { get; }

    /// <summary>
    /// Reads <paramref name="database"/> as a PostgreSQL connection string when it has <c>Host=</c>
    /// (or is a <c>postgres://</c> URL), otherwise as a SQLite file path (relative to <paramref name="dataDirectory"/>).
    /// </summary>
    public static Database Open(string? database, string dataDirectory, bool durable)
    {
        database = string.IsNullOrWhiteSpace(database) ? null : database.Trim();
        if (database is not null && (database.Contains("Host=", StringComparison.OrdinalIgnoreCase)
            || database.StartsWith("postgres", StringComparison.OrdinalIgnoreCase)))
        {
            return new Database(DatabaseKind.Postgres, ToNpgsql(database), durable);
        }

        var path = Path.GetFullPath(Path.Combine(dataDirectory, database ?? "surplus.db"));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 };
        return new Database(DatabaseKind.Sqlite, builder.ConnectionString, durable);
    }

    /// <summary>Opens a connection, with SQLite's WAL and synchronous settings applied.</summary>
    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        if (postgres is not null)
        {
            return await postgres.OpenConnectionAsync(cancellationToken);
        }

        var connection = new SqliteConnection(sqlite);
        await connection.OpenAsync(cancellationToken);
        if (connection.Handle is { } handle && !configured.TryGetValue(handle, out _))
        {
            using var pragma = connection.CreateCommand();
            pragma.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous={(durable ? "FULL" : "OFF")}; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON; {SqliteCache}";
            await pragma.ExecuteNonQueryAsync(cancellationToken);
            configured.AddOrUpdate(handle, this);
        }

        return connection;
    }

    /// <summary>
    /// Each connection keeps up to 64 MiB of pages and reads the file's first 2 GiB (SQLite's most
    /// by default) through a memory map: on a virtual machine every read system call is dear, and
    /// the hot pages of the order, trade and ledger tables then stay in memory. The map is as large
    /// as SQLite allows because a store outgrows a smaller one within minutes at full load, and
    /// every page past the map is read with a system call again. The log is copied back into the
    /// database file by <see cref="CheckpointAsync"/>, called beside the writer; a committing
    /// connection checkpoints itself only once the log holds 16,000 pages, which it then finds
    /// mostly copied already.
    /// </summary>
    private const string SqliteCache = "PRAGMA cache_size=-65536; PRAGMA mmap_size=2147418112; PRAGMA wal_autocheckpoint=16000;";

    /// <summary>
    /// SQLite: copies what the write-ahead log holds back into the database file without waiting
    /// for readers or the writer (a passive checkpoint), and syncs that file. Given no connection,
    /// it opens one of its own, so that the copying and the sync run beside the writer; given the
    /// writer's connection between two transactions, it copies the whole log, and the writer's next
    /// transaction starts the log over from its beginning. Answers the log's length in pages as SQLite
    /// reports it (-1 when it cannot tell). PostgreSQL: nothing, and 0.
    /// </summary>
    public async Task<long> CheckpointAsync(DbConnection? connection = null, CancellationToken cancellationToken = default)
    {
        if (postgres is not null)
        {
            return 0;
        }

        var own = connection is null;
        connection ??= await OpenAsync(cancellationToken);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken)
                ? reader.GetInt64(1)
                : 0;
        }
        finally
        {
            if (own)
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => postgres?.Dispose();

    private static string ToNpgsql(string value)
    {
        if (!value.StartsWith("postgres", StringComparison.OrdinalIgnoreCase) || !value.Contains("://", StringComparison.Ordinal))
        {
            return value;
        }

        var uri = new Uri(value);
        var user = uri.UserInfo.Split(':');
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.Port > 0 ? uri.Port : 5432,
            Database = uri.AbsolutePath.Trim('/'),
            Username = Uri.UnescapeDataString(user[0]),
        };
        if (user.Length > 1)
        {
            builder.Password = Uri.UnescapeDataString(user[1]);
        }

        return builder.ConnectionString;
    }
}
