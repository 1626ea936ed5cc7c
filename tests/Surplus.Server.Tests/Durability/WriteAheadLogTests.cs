using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Storage;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Durability;

/// <summary>
/// SQLite's write-ahead log under writes that never pause. A checkpoint beside the writer cannot
/// reach the end of a log that grows while it copies, so without the writer catching up the log
/// would grow to SQLite's own limit of 16,000 pages (64 MiB) and be copied and synced inside a commit.
/// </summary>
public sealed class WriteAheadLogTests
{
    [Fact]
    public async Task WritesThatNeverPause_KeepTheLogWellUnderSqlitesOwnCheckpoint()
    {
        await using var exchange = new ExchangeFactory(Store.Sqlite);
        using (exchange.CreateClient())
        {
            // The client starts the server, and with it the writer.
        }

        var database = exchange.Services.GetRequiredService<Database>();
        var writeGate = exchange.Services.GetRequiredService<WriteGate>();
        await using (var connection = await database.OpenAsync())
        {
            await connection.ExecuteAsync("CREATE TABLE log_load (id INTEGER PRIMARY KEY, member INTEGER, data TEXT)");
            await connection.ExecuteAsync("CREATE INDEX ix_log_load_member ON log_load (member, id)");
        }

        var text = new string('x', 200);
        var next = 0L;

        // Two transactions always queued, so the writer never waits; each 2,000 rows spread over an
        // index, as the exchange's own writes are; 300,000 rows in all, more than 16,000 pages.
        async Task WriteOne()
        {
            var first = Interlocked.Add(ref next, 2_000) - 2_000;
            var stored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            writeGate.Writer.Enqueue(new PendingCommit(writeGate.Epoch, 1,
                (c, tx) => c.ExecuteAsync("INSERT INTO log_load (id, member, data) VALUES (@Id, @Member, @Data)",
                    Enumerable.Range(0, 2_000).Select(i => new { Id = first + i, Member = (first + i) % 61, Data = text }), tx),
                () => stored.SetResult(), e => stored.SetException(e)));
            await stored.Task;
        }

        var lanes = Enumerable.Range(0, 2).Select(async _ =>
        {
            while (Interlocked.Read(ref next) < 300_000)
            {
                await WriteOne();
            }
        });
        await Task.WhenAll(lanes);

        await using (var connection = await database.OpenAsync())
        {
            // The table and its index alone take more pages than SQLite's own checkpoint waits for.
            var pages = await connection.ExecuteScalarAsync<long>("PRAGMA page_count");
            Assert.True(pages > 16_000, $"the database holds {pages} pages: too few were written to reach SQLite's own checkpoint");
        }

        // SQLite never shortens the log file (no journal_size_limit): its length is the longest the log grew.
        var largest = new FileInfo(Path.Combine(exchange.DataDirectory, "surplus.db-wal")).Length;
        Assert.True(largest < 40L << 20, $"the log grew to {largest / (1 << 20)} MiB");
    }
}
