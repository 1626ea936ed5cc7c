using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Surplus.Exchange;
using Surplus.Exchange.Engine;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Storage;

/// <summary>
/// An order of a request batch is looked up among its batch's stored rows. A batch with no order in
/// flight is read whole, once, for all of its orders; a batch with orders in flight is read order by
/// order, since each of them may be stored while the engine loop goes on. On a real SQLite file and a
/// real PostgreSQL server.
/// </summary>
public sealed class IdempotencyLookupTests
{
    private const string Hash = "aa";

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task SettledBatch_IsReadWholeOnce_AndEveryOrderOfItsRowsIsFound(Store store)
    {
        using var scratch = new ScratchStore(store);
        await using var c = await scratch.Database.OpenAsync();
        await Keep(c, member: 5, first: 0, last: 1);
        await Keep(c, member: 5, first: 2, last: 2);
        await Keep(c, member: 6, first: 3, last: 3);
        var asked = new List<string>();
        await using var lookup = new IdempotencyLookup(c, null, settled: (member, batch) =>
        {
            asked.Add($"{member}/{batch}");
            return true;
        });

        var found = new List<OutcomeKind?>();
        foreach (var index in new[] { 0, 1, 2, 3 })
        {
            found.Add((await lookup.FindAsync(Key(5, index)))?.Kind);
        }

        // Stored after the batch was read: a settled batch gets no more rows while the lookup lives.
        await Keep(c, member: 5, first: 3, last: 3);
        found.Add((await lookup.FindAsync(Key(5, 3)))?.Kind);

        Assert.Equal([OutcomeKind.Created, OutcomeKind.Created, OutcomeKind.Created, null, null], found);
        Assert.Equal(["5/b"], asked);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task BatchInFlight_IsReadOrderByOrder_AndFindsAnOrderStoredMeanwhile(Store store)
    {
        using var scratch = new ScratchStore(store);
        await using var c = await scratch.Database.OpenAsync();
        await Keep(c, member: 5, first: 0, last: 0);
        await using var lookup = new IdempotencyLookup(c, null, settled: (_, _) => false);

        var before = await lookup.FindAsync(Key(5, 1));
        await Keep(c, member: 5, first: 1, last: 1);
        var after = await lookup.FindAsync(Key(5, 1));

        Assert.NotNull(await lookup.FindAsync(Key(5, 0)));
        Assert.Null(before);
        Assert.Equal(OutcomeKind.Created, after?.Kind);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task SameKeyWithAnotherRequest_IsRefusedAsReused_FromAWholeBatchToo(Store store)
    {
        using var scratch = new ScratchStore(store);
        await using var c = await scratch.Database.OpenAsync();
        await Keep(c, member: 5, first: 0, last: 0);
        await using var lookup = new IdempotencyLookup(c, null, settled: (_, _) => true);

        var reused = await lookup.FindAsync(Key(5, 0) with { RequestHash = "bb" });

        Assert.Equal(Refusals.IdempotencyKeyReused, reused?.Error?.Refusal);
    }

    [Fact]
    public async Task BatchInFlight_UntilEveryOrderOfItIsDecided()
    {
        await using var factory = new ExchangeFactory(Store.Sqlite);
        var answersInFlight = factory.Services.GetRequiredService<AnswersInFlight>();
        var answer = Outcome.Created(null);
        var first = (Key(5, 0), answer);
        var second = (Key(5, 1), answer);
        var alone = (new IdempotencyKey(5, "b", Hash), answer);

        answersInFlight.Change([first, second, alone], add: true);
        var both = (answersInFlight.BatchInFlight(5, "b"), answersInFlight.BatchInFlight(6, "b"), answersInFlight.BatchInFlight(5, "c"));
        answersInFlight.Change([first, alone], add: false);
        var one = answersInFlight.BatchInFlight(5, "b");
        answersInFlight.Change([second], add: false);

        Assert.Equal((true, false, false), both);
        Assert.True(one);
        Assert.False(answersInFlight.BatchInFlight(5, "b"));
    }

    private static IdempotencyKey Key(long member, int index) => new(member, $"b#{index}", Hash, "b", index);

    /// <summary>A row of batch <c>b</c> keeping a 201 for each index from <paramref name="first"/> to <paramref name="last"/>.</summary>
    private static Task Keep(System.Data.Common.DbConnection c, long member, int first, int last)
    {
        var items = string.Join(",", Enumerable.Range(first, last - first + 1)
            .Select(i => "{\"index\":" + i + ",\"hash\":\"" + Hash + "\",\"status\":201,\"response\":{\"id\":" + i + "}}"));
        return c.ExecuteAsync(
            "INSERT INTO idempotency_batches (member_id, batch_key, first_index, last_index, items, created_at) VALUES (@member, 'b', @first, @last, @items, 0)",
            new { member, first, last, items = $"[{items}]" });
    }
}
