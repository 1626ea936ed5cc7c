using System.Text;
using System.Text.Json;
using Dapper;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Signals;
using Surplus.Exchange.Storage;
using Surplus.Market;
using Surplus.Market.Contracts;
using Surplus.Server.Signals;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Signals;

/// <summary>
/// Signals stored a block per run of a member's numbers: packed in the order they were numbered,
/// written as the store writer writes them, and read back from any number with their payloads,
/// on a real SQLite file and a real PostgreSQL server.
/// </summary>
public sealed class SignalBlocksTests
{
    private const string Trade = """{"id":7,"market":"compute","price":"1.5"}""";

    [Fact]
    public void Pack_OneBlockPerRunOfAMembersConsecutiveNumbers_InTheOrderTheRunsBegan()
    {
        var blocks = SignalBlocks.Pack(
        [
            new(1, 1, "order.rested", 10, """{"order":1}"""),
            new(2, 1, "trade", 11, "", Contract: 3),
            new(1, 2, "trade", 11, "", Contract: 3),
            new(1, 3, "contract.matched", 11, """{"contract":3}"""),
            new(2, 2, "contract.matched", 11, "", SameAs: new SignalId(1, 3)),
            new(1, 5, "order.filled", 12, """{"order":2}"""),
        ]);

        Assert.Equal([(1L, 1L, 3L), (2, 1, 2), (1, 5, 5)], blocks.Select(b => (b.Member, b.FirstSeq, b.LastSeq)));
        Assert.Equal(
            """[{"seq":1,"type":"order.rested","at":10,"data":{"order":1}},{"seq":2,"type":"trade","at":11,"contract":3},{"seq":3,"type":"contract.matched","at":11,"data":{"contract":3}}]""",
            Encoding.UTF8.GetString(blocks[0].Signals.Span));
        Assert.Equal("""[{"seq":1,"type":"trade","at":11,"contract":3},{"seq":2,"type":"contract.matched","at":11,"same":[1,3]}]""", Encoding.UTF8.GetString(blocks[1].Signals.Span));
        Assert.Empty(SignalBlocks.Pack([]));
    }

    [Theory]
    [InlineData(100, 1_000)]
    [InlineData(2_000, 0)]
    public void Pack_ALongRun_IsSplitIntoBlocksOfBoundedLength_WithEverySignalOnceInOrder(int count, int payloadLength)
    {
        // Long payloads, or many signals that only name their payload (a seller's trades).
        var payload = $$"""{"order":"{{new string('x', payloadLength)}}"}""";
        var signals = Enumerable.Range(1, count)
            .Select(seq => payloadLength == 0
                ? new PendingSignal(4, seq, "trade", 638_000_000_000_000_000 + seq, "", Contract: 1_000_000_000 + seq)
                : new PendingSignal(4, seq, "order.filled", seq, payload))
            .ToList();

        var blocks = SignalBlocks.Pack(signals);

        Assert.True(blocks.Count > 1, "a run of 100,000 characters or more is more than one block");
        Assert.All(blocks, b => Assert.True(b.Signals.Length < 40_000, $"block {b.FirstSeq}-{b.LastSeq} has {b.Signals.Length} bytes"));
        Assert.Equal(1, blocks[0].FirstSeq);
        Assert.Equal(count, blocks[^1].LastSeq);
        Assert.All(blocks.Skip(1).Zip(blocks), p => Assert.Equal(p.Second.LastSeq + 1, p.First.FirstSeq));
        var numbers = blocks.SelectMany(b => JsonDocument.Parse(b.Signals).RootElement.EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()));
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), numbers);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task ReadAfter_FromAnyNumber_GivesTheSignalsInOrderWithTheirPayloads(Store store)
    {
        using var scratch = new ScratchStore(store);
        var database = scratch.Database;
        var log = new SignalLog();
        MemberId one = new(1), two = new(2);
        log.Add(one, "order.rested", 10, """{"order":1}""");
        log.AddTrade(one, two, 11, new ContractId(3), Trade);
        log.AddBoth(one, two, "contract.matched", 11, """{"contract":3}""");
        var firstBatch = log.TakePending();
        log.Add(one, "order.filled", 12, """{"order":2}""");
        log.Add(two, "deposit", 13, """{"amount":5}""");
        var secondBatch = log.TakePending();
        Assert.Empty(log.TakePending());

        await using (var c = await database.OpenAsync())
        {
            await c.ExecuteAsync(
                """
                INSERT INTO contracts (id, market, trade_id, need_id, offer_id, buyer_id, seller_id, status, trade, history, collateral, created_at, updated_at)
                VALUES (3, 'compute', 7, 11, 12, 1, 2, 'matched', @Trade, '[]', 0, 0, 0)
                """, new { Trade });
            foreach (var batch in new[] { firstBatch, secondBatch })
            {
                await using var tx = await c.BeginTransactionAsync();
                await WriteGate.WriteLedgerAndSignalsAsync(c, tx, [], [], batch);
                await tx.CommitAsync();
            }

            Assert.Equal(4, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM signal_blocks"));
            Assert.Equal([(1L, 4L), (2, 3)], (await SignalBlocks.LastNumbersAsync(c)).OrderBy(m => m.Member));

            var buyer = new (long, string, long, string)[]
            {
                (1, "order.rested", 10, """{"order":1}"""), (2, "trade", 11, Trade), (3, "contract.matched", 11, """{"contract":3}"""),
                (4, "order.filled", 12, """{"order":2}"""),
            };
            var seller = new (long, string, long, string)[] { (1, "trade", 11, Trade), (2, "contract.matched", 11, """{"contract":3}"""), (3, "deposit", 13, """{"amount":5}""") };
            Assert.Equal(buyer, await ReadAsync(c, 1, 0, 100));
            Assert.Equal(seller, await ReadAsync(c, 2, 0, 100));
            Assert.Equal(buyer[2..4], await ReadAsync(c, 1, 2, 100));
            Assert.Equal(buyer[1..3], await ReadAsync(c, 1, 1, 2));
            Assert.Equal(seller[1..2], await ReadAsync(c, 2, 1, 1));
            Assert.Empty(await ReadAsync(c, 1, 4, 100));
            Assert.Empty(await ReadAsync(c, 9, 0, 100));
        }
    }

    private static async Task<(long, string, long, string)[]> ReadAsync(System.Data.Common.DbConnection c, long member, long after, int limit) =>
        [.. (await SignalBlocks.ReadAfterAsync(c, member, after, limit)).Select(s => (s.Seq, s.Type, s.At, s.Data))];
}
