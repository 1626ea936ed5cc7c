using System.Data.Common;
using System.Text;
using Dapper;
using Surplus.Exchange.Storage;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Storage;

/// <summary>
/// The writer's row inserts on a real SQLite file, and the indexes the schema keeps for the
/// queries that need them.
/// </summary>
public sealed class StoreWritesTests : IDisposable
{
    private readonly ScratchFolder folder = new("surplus-store-");
    private readonly Database database;

    public StoreWritesTests()
    {
        database = Database.Open(null, folder.Path, durable: true);
        SchemaMigrator.Migrate(database);
        using var c = database.OpenAsync().GetAwaiter().GetResult();
        c.Execute("CREATE TABLE notes (member_id INTEGER NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, at INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (member_id, seq))");
    }

    public void Dispose()
    {
        database.Dispose();
        folder.Dispose();
    }

    private sealed record Row(long Member, long Seq, string Type, long At, string Data);

    [Fact]
    public async Task ExecuteAsync_TextsOfEveryLengthOverSeveralBatches_ReadBackExactly()
    {
        // Texts are bound where they lie in a buffer the next row reuses: each row must still be
        // stored with its own, whatever the lengths before and after it.
        var random = new Random(7);
        var rows = new List<Row>();
        for (var i = 0; i < 300; i++)
        {
            var length = i % 50 == 0 ? 70_000 + random.Next(5_000) : random.Next(0, 400);
            var text = string.Create(length, random.Next(), (span, seed) =>
            {
                var r = new Random(seed);
                const string Alphabet = "abcxyz0189 \"{}:,é€中Zürich";
                for (var k = 0; k < span.Length; k++)
                {
                    span[k] = Alphabet[r.Next(Alphabet.Length)];
                }
            });

            rows.Add(new Row(i % 7, i, i % 3 == 0 ? "" : $"type-{i}", long.MaxValue - i, text));
        }

        await using (var c = await database.OpenAsync())
        {
            foreach (var part in rows.Chunk(64))
            {
                await using var tx = await c.BeginTransactionAsync();
                await RowInsert.ExecuteAsync(c, tx, "INSERT INTO notes (member_id, seq, type, at, data) VALUES (@Member, @Seq, @Type, @At, @Data)",
                    ["Member", "Seq", "Type", "At", "Data"], part, (r, v) => v.Add(r.Member).Add(r.Seq).Add(r.Type).Add(r.At).Add(r.Data));
                await tx.CommitAsync();
            }
        }

        await using var read = await database.OpenAsync();
        var stored = (await read.QueryAsync<(long Member, long Seq, string Type, long At, string Data)>(
            "SELECT member_id, seq, type, at, data FROM notes ORDER BY seq")).ToList();
        Assert.Equal(rows.Count, stored.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal((rows[i].Member, rows[i].Seq, rows[i].Type, rows[i].At, rows[i].Data), stored[i]);
        }
    }

    [Fact]
    public async Task ExecuteAsync_TextsGivenAsUtf8_AmongOthers_ReadBackExactly()
    {
        // A UTF-8 text shares the row's buffer with the texts encoded beside it, and rows reuse it.
        var rows = Enumerable.Range(0, 40).Select(i => new Row(i % 3, i, $"type-é-{i}", i, string.Concat(Enumerable.Repeat("€中x\"", i * 300)))).ToList();
        await using (var c = await database.OpenAsync())
        {
            await using var tx = await c.BeginTransactionAsync();
            await RowInsert.ExecuteAsync(c, tx, "INSERT INTO notes (member_id, seq, type, at, data) VALUES (@Member, @Seq, @Type, @At, @Data)",
                ["Member", "Seq", "Type", "At", "Data"], rows, (r, v) => v.Add(r.Member).Add(r.Seq).Add(r.Type).Add(r.At).AddUtf8(Encoding.UTF8.GetBytes(r.Data)));
            await tx.CommitAsync();
        }

        await using var read = await database.OpenAsync();
        var stored = (await read.QueryAsync<(long Member, long Seq, string Type, long At, string Data)>(
            "SELECT member_id, seq, type, at, data FROM notes ORDER BY seq")).ToList();
        Assert.Equal(rows.Select(r => (r.Member, r.Seq, r.Type, r.At, r.Data)), stored);
    }

    [Fact]
    public async Task ExecuteAsync_NullsNumbersAndFlags_AreStoredAsGiven()
    {
        await using var c = await database.OpenAsync();
        await c.ExecuteAsync("CREATE TABLE sample (a INTEGER, b INTEGER, c REAL, d TEXT, e INTEGER)");
        await using (var tx = await c.BeginTransactionAsync())
        {
            await RowInsert.ExecuteAsync(c, tx, "INSERT INTO sample (a, b, c, d, e) VALUES (@A, @B, @C, @D, @E)", ["A", "B", "C", "D", "E"],
                [(1L, 2, 0.5, (string?)null, true), (-9L, int.MinValue, -1e300, "x", false)],
                (r, v) => v.Add(r.Item1).Add(r.Item2).Add(r.Item3).Add(r.Item4).Add(r.Item5));
            await tx.CommitAsync();
        }

        var stored = (await c.QueryAsync<(long A, long B, double C, string? D, long E)>("SELECT a, b, c, d, e FROM sample ORDER BY rowid")).ToList();
        Assert.Equal([(1L, 2L, 0.5, null, 1L), (-9L, int.MinValue, -1e300, "x", 0L)], stored);
    }

    [Fact]
    public async Task ExecuteAsync_RowTheStoreRefuses_ThrowsAndNamesTheConstraint()
    {
        await using var c = await database.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var insert = () => RowInsert.ExecuteAsync(c, tx, "INSERT INTO notes (member_id, seq, type, at, data) VALUES (@Member, @Seq, @Type, @At, @Data)",
            ["Member", "Seq", "Type", "At", "Data"], [new Row(1, 1, "a", 0, "x"), new Row(1, 1, "b", 0, "y")], (r, v) => v.Add(r.Member).Add(r.Seq).Add(r.Type).Add(r.At).Add(r.Data));
        var refused = await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(insert);
        Assert.Contains("UNIQUE", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public async Task ExecuteAsync_ARowWithTooFewOrTooManyValues_IsRefusedBeforeAnythingIsWritten(int count)
    {
        // A value missing or left over would bind the others to the wrong columns.
        await using var c = await database.OpenAsync();
        await using (var tx = await c.BeginTransactionAsync())
        {
            var insert = () => RowInsert.ExecuteAsync(c, tx, "INSERT INTO notes (member_id, seq, type, at, data) VALUES (@Member, @Seq, @Type, @At, @Data)",
                ["Member", "Seq", "Type", "At", "Data"], [new Row(1, 1, "a", 0, "x")], (r, v) =>
                {
                    for (var i = 0; i < count; i++)
                    {
                        v.Add(r.Seq + i);
                    }
                });
            var refused = await Assert.ThrowsAsync<ArgumentException>(insert);
            Assert.Contains("5", refused.Message, StringComparison.Ordinal);
        }

        Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM notes"));
    }

    [Theory]
    [InlineData("SELECT id, member_id, spec, state, created_at, updated_at FROM offers WHERE market = 'compute' AND status = 'open'", "ix_offers_open")]
    [InlineData("SELECT id, member_id, spec, state, held, created_at, updated_at FROM needs WHERE market = 'compute' AND status = 'open'", "ix_needs_open")]
    [InlineData("SELECT id FROM contracts WHERE failover_state = 'pending' ORDER BY id", "ix_contracts_failover")]
    [InlineData("SELECT at, price, rate, window_start, window_end, amount FROM trades WHERE market = 'compute' AND at >= 5 AND at < 9 ORDER BY at, id", "ix_trades_market_at")]
    [InlineData("SELECT rate, window_start, window_end, amount FROM trades WHERE market = 'compute' AND at >= 5", "ix_trades_market_at")]
    [InlineData("SELECT id, at, debit, credit, amount, kind, reference FROM transfers WHERE member_id = 3 AND id <= 99 AND (debit IN ('member:3:available', 'member:3:held') OR credit IN ('member:3:available', 'member:3:held')) ORDER BY id DESC LIMIT 51", "ix_transfers_member")]
    [InlineData("SELECT COALESCE(SUM(CASE WHEN credit = 'member:3:held' THEN amount ELSE -amount END), 0) FROM transfers WHERE member_id = 3 AND id > 7 AND (credit = 'member:3:held' OR debit = 'member:3:held')", "ix_transfers_member")]
    [InlineData("SELECT COALESCE(SUM(amount), 0) FROM transfers WHERE debit = 'external'", "ix_transfers_deposits")]
    [InlineData("SELECT COALESCE(SUM(amount), 0) FROM transfers WHERE credit = 'external'", "ix_transfers_withdrawals")]
    public async Task Schema_QueriesTheExchangeRuns_UseTheirIndexes(string query, string index)
    {
        // The open-order and failover indexes hold only the rows these queries ask for, and the
        // market data read one market's trades by time; a query worded so that the store cannot
        // use its index would read the whole table, or a market's whole history, instead.
        await using var c = await database.OpenAsync();
        var plan = string.Join(" | ", (await c.QueryAsync<(long, long, long, string Detail)>("EXPLAIN QUERY PLAN " + query)).Select(p => p.Detail));
        Assert.Contains(index, plan, StringComparison.Ordinal);
    }
}
