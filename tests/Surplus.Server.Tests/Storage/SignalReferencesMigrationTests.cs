using Dapper;
using Surplus.Exchange.Signals;
using Surplus.Exchange.Storage;
using Surplus.Server.Signals;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Storage;

/// <summary>
/// Migration 8 stores each signal payload once, and migration 9 a block of signals per row. Signals
/// written at migration 8 read the same after migration 9; taken back to migration 7, every signal
/// row holds its whole payload again, and migrating up again reads the same.
/// </summary>
public sealed class SignalReferencesMigrationTests
{
    private const string Trade = """{"id":7,"market":"compute","buyerId":1,"sellerId":2}""";
    private const string Matched = """{"contract":3,"status":"matched"}""";

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task SignalsOfMigration8_ReadTheSameInBlocks_AndDownAgainEachRowHoldsItsPayload(Store store)
    {
        using var scratch = new ScratchStore(store, 8);
        var database = scratch.Database;
        await using (var c = await database.OpenAsync())
        {
            await c.ExecuteAsync(
                """
                INSERT INTO contracts (id, market, trade_id, need_id, offer_id, buyer_id, seller_id, status, trade, history, collateral, created_at, updated_at)
                VALUES (3, 'compute', 7, 11, 12, 1, 2, 'matched', @Trade, '[]', 0, 0, 0)
                """, new { Trade });
            await c.ExecuteAsync(
                """
                INSERT INTO signals (member_id, seq, type, at, data, contract_id, same_member, same_seq) VALUES
                  (1, 1, 'trade', 5, '', 3, NULL, NULL),
                  (2, 1, 'trade', 5, '', 3, NULL, NULL),
                  (1, 2, 'contract.matched', 5, @Matched, NULL, NULL, NULL),
                  (2, 2, 'contract.matched', 5, '', NULL, 1, 2),
                  (2, 3, 'order.filled', 6, '{"order":1}', NULL, NULL, NULL)
                """, new { Matched });
        }

        var expected = new[] { (1L, 1L, Trade), (1, 2, Matched), (2, 1, Trade), (2, 2, Matched), (2, 3, """{"order":1}""") };
        SchemaMigrator.Migrate(database);
        Assert.Equal(expected, await ReadAsync(database));
        await using (var c = await database.OpenAsync())
        {
            Assert.Equal(5, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM signal_blocks"));
        }

        SchemaMigrator.MigrateDown(database, 7);
        await using (var c = await database.OpenAsync())
        {
            var rows = await c.QueryAsync<(long, long, string)>("SELECT member_id, seq, data FROM signals ORDER BY member_id, seq");
            Assert.Equal(expected, rows);
            var columns = store == Store.Postgres
                ? await c.QueryAsync<string>("SELECT column_name FROM information_schema.columns WHERE table_name = 'signals'")
                : await c.QueryAsync<string>("SELECT name FROM pragma_table_info('signals')");
            Assert.DoesNotContain("contract_id", columns);
            Assert.DoesNotContain("same_seq", columns);
        }

        SchemaMigrator.Migrate(database);
        Assert.Equal(expected, await ReadAsync(database));
    }

    private static async Task<List<(long Member, long Seq, string Data)>> ReadAsync(Database database)
    {
        await using var c = await database.OpenAsync();
        var all = new List<(long, long, string)>();
        foreach (var member in new[] { 1L, 2L })
        {
            var rows = await SignalBlocks.ReadAfterAsync(c, member, 0, 10);
            all.AddRange(rows.Select(r => (member, r.Seq, Canonical(r.Data))));
        }

        return all;
    }

    /// <summary>The payload without the spaces a store's JSON functions may put between its tokens.</summary>
    private static string Canonical(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return System.Text.Json.JsonSerializer.Serialize(document.RootElement);
    }
}
