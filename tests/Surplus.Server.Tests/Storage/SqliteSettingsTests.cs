using Dapper;
using SQLitePCL;
using Surplus.Exchange.Storage;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Storage;

/// <summary>SQLite's process-wide settings are made before its first connection, or it ignores them.</summary>
public sealed class SqliteSettingsTests
{
    [Fact]
    public async Task TheStore_KeepsNoCountOfSqlitesMemory_SoItsAllocationsTakeNoLock()
    {
        using var folder = new ScratchFolder("surplus-settings-");
        using var database = Database.Open(null, folder.Path, durable: true);
        SchemaMigrator.Migrate(database);
        await using (var c = await database.OpenAsync())
        {
            await c.ExecuteAsync("INSERT INTO settings (key, value) VALUES ('probe', @value)", new { value = new string('x', 100_000) });
            Assert.Equal(100_000, await c.ExecuteScalarAsync<long>("SELECT length(value) FROM settings WHERE key = 'probe'"));
        }

        // With the count on, SQLite would hold at least its page cache and that row.
        Assert.Equal(0, raw.sqlite3_memory_used());
    }
}
