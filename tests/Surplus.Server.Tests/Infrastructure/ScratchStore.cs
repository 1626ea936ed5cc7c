using Surplus.Server.Storage;

namespace Surplus.Server.Tests.Infrastructure;

/// <summary>
/// A store of its own for one test, without a server: a SQLite file in a temporary folder, or a
/// fresh database on the test PostgreSQL server; migrated to a given version (the newest
/// when null). The folder goes when the test ends.
/// </summary>
public sealed class ScratchStore : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("surplus-scratch-").FullName;

    public ScratchStore(Store store, long? version = null)
    {
        Database = Database.Open(store == Store.Postgres ? PostgresServer.NewDatabase() : null, folder, durable: true);
        if (version is { } v)
        {
            SchemaMigrator.MigrateUp(Database, v);
        }
        else
        {
            SchemaMigrator.Migrate(Database);
        }
    }

    public Database Database { get; }

    public void Dispose()
    {
        Database.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }
}
