using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Surplus.Server.Storage;

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
        using var pragma = connection.CreateCommand();
        pragma.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous={(durable ? "FULL" : "OFF")}; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
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
