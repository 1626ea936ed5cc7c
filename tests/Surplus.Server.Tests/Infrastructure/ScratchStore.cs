using Surplus.Exchange.Storage;

namespace Surplus.Server.Tests.Infrastructure;

/// <summary>
/// A store of its own for one test, without a server: a SQLite file in a temporary folder, or a
/// fresh database on the test PostgreSQL server; migrated to a given version (the newest
/// when null). The folder goes when the test ends.
/// </summary>
public sealed class ScratchStore : IDisposable
{
    private readonly ScratchFolder folder = new("surplus-scratch-");

    public ScratchStore(Store store, long? version = null)
    {
        Database = Database.Open(store == Store.Postgres ? PostgresServer.NewDatabase() : null, folder.Path, durable: true);
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
        folder.Dispose();
    }
}
