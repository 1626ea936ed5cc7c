using System.Net;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Storage;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Api.ApiKit;

namespace Surplus.Server.Tests.Storage;

/// <summary>
/// The answers to a request batch's orders are kept a row per engine batch and market, and a retry,
/// after a restart too, still gets every order's first answer; answers kept a row per order by an
/// older store are still found. On a real SQLite file and a real PostgreSQL server.
/// </summary>
public sealed class IdempotencyBatchesTests
{
    /// <summary>
    /// An order's hash is kept with its answer and compared on a retry, including a retry that reaches
    /// a newer exchange: it stays the SHA-256 of the batch's hash, <c>#</c> and the index, in UTF-8.
    /// </summary>
    [Theory]
    [InlineData("3f2a", 0)]
    [InlineData("9b1c0e7d5a2f44e0b6c1d8e3f7a90b2c4d5e6f708192a3b4c5d6e7f8091a2b3c", 7)]
    [InlineData("9b1c0e7d5a2f44e0b6c1d8e3f7a90b2c4d5e6f708192a3b4c5d6e7f8091a2b3c", 999)]
    [InlineData("", int.MaxValue)]
    public void ItemHash_IsTheSha256OfTheBatchHashAndIndex(string batchHash, int index)
    {
        var text = System.Text.Encoding.UTF8.GetBytes(batchHash + "#" + index.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(text)), Surplus.Server.Api.OrderBatchEndpoints.ItemHash(batchHash, index));
    }

    [Fact]
    public void ItemHash_OfALongBatchHash_IsTheSha256OfAllOfIt()
    {
        var batchHash = string.Concat(Enumerable.Repeat("é0", 200));
        var text = System.Text.Encoding.UTF8.GetBytes(batchHash + "#12");

        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(text)), Surplus.Server.Api.OrderBatchEndpoints.ItemHash(batchHash, 12));
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Batch_OverTwoMarkets_IsKeptInAFewRows_AndARetryAfterARestartGetsTheFirstAnswers(Store store)
    {
        await using var exchange = new ExchangeFactory(store);
        var first = await exchange.NewMarket();
        var second = await exchange.NewMarket();
        var seller = await exchange.Trader("kept-seller");
        var orders = Enumerable.Range(0, 40)
            .Select(i => new BatchOrderItem(Offer: Offer(i % 3 == 0 ? second : first, 10 + i, 10m + i, Tomorrow, 1)))
            .ToList();
        var batch = new BatchOrdersRequest(orders);

        var answered = await seller.Client.Post("/v1/orders/batch", batch, "kept-batch");
        var body = await answered.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        await using (var c = await exchange.Services.GetRequiredService<Database>().OpenAsync())
        {
            Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM idempotency WHERE key LIKE 'kept-batch%'"));
            var rows = await c.ExecuteScalarAsync<long>("SELECT count(*) FROM idempotency_batches WHERE batch_key = 'kept-batch'");
            Assert.InRange(rows, 2, 10);
        }

        await exchange.Restart();
        var client = exchange.CreateClient(seller.Key);
        var retry = await client.Post("/v1/orders/batch", batch, "kept-batch");
        Assert.Equal("true", Assert.Single(retry.Headers.GetValues("Idempotent-Replayed")));
        Assert.Equal(body, await retry.Content.ReadAsStringAsync());
        Assert.Equal(40, (await client.Get<PageDto<OfferDto>>("/v1/offers?limit=100")).Items.Count);

        // The same key with another body: every order is a reused key, and nothing is placed.
        orders[5] = new BatchOrderItem(Offer: Offer(first, 99, 99m, Tomorrow, 1));
        var changed = await (await client.Post("/v1/orders/batch", batch with { Orders = orders }, "kept-batch")).Read<BatchOrdersResponse>(HttpStatusCode.OK);
        Assert.All(changed.Results, r => Assert.Equal("urn:surplus:problem:idempotency-key-reused", r.Problem!.Type));
        Assert.Equal(40, (await client.Get<PageDto<OfferDto>>("/v1/offers?limit=100")).Items.Count);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task AnswersKeptARowPerOrder_BeforeTheUpgrade_AreStillReplayed(Store store)
    {
        await using var exchange = new ExchangeFactory(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("old-rows-seller");
        var batch = new BatchOrdersRequest([new(Offer: Offer(market, 10, 10m, Tomorrow, 1)), new(Offer: Offer(market, 20, 11m, Tomorrow, 1))]);
        var body = await (await seller.Client.Post("/v1/orders/batch", batch, "old-batch")).Content.ReadAsStringAsync();

        // As an older server kept them: a row per order under the batch's key and the order's index.
        var database = exchange.Services.GetRequiredService<Database>();
        SchemaMigrator.MigrateDown(database, 10);
        await using (var c = await database.OpenAsync())
        {
            Assert.Equal(2, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM idempotency WHERE key LIKE 'old-batch#%'"));
        }

        SchemaMigrator.Migrate(database);
        await exchange.Restart();
        var client = exchange.CreateClient(seller.Key);
        var retry = await client.Post("/v1/orders/batch", batch, "old-batch");
        Assert.Equal(body, await retry.Content.ReadAsStringAsync());
        Assert.Equal(2, (await client.Get<PageDto<OfferDto>>("/v1/offers")).Items.Count);
    }
}
