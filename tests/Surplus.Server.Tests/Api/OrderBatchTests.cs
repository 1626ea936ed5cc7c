using System.Net;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Api.ApiKit;

namespace Surplus.Server.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class OrderBatchTests(Exchanges exchanges)
{
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceBatch_OffersThenNeeds_EachPlacedInTheOrderGiven(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("batch-seller");
        var buyer = await exchange.Trader("batch-buyer", 1_000_000);
        await seller.PlaceOffer(Offer(market, 30, 10m, Tomorrow, 2));

        var batch = new BatchOrdersRequest(
        [
            new(Need: Need(market, 10, 12m, Tomorrow, 2)),
            new(Need: Need(market, 10, 9m, Tomorrow, 2)),
            new(Need: Need(market, 30, 12m, Tomorrow, 2)),
        ]);
        var answer = await (await buyer.Client.Post("/v1/orders/batch", batch)).Read<BatchOrdersResponse>(HttpStatusCode.OK);

        Assert.Equal([201, 201, 201], answer.Results.Select(r => r.Status));
        Assert.Single(answer.Results[0].Need!.Trades);
        Assert.Empty(answer.Results[1].Need!.Trades);
        Assert.NotNull(answer.Results[1].Need!.Negotiation);

        // The second need's negotiation locks 10 of the 20 the first left, so the third gets the other 10.
        Assert.Equal(10, Assert.Single(answer.Results[2].Need!.Trades).Rate);
        Assert.True(answer.Results[0].Need!.Need.Id < answer.Results[1].Need!.Need.Id);
        Assert.Equal(3, (await buyer.Client.Get<PageDto<NeedDto>>("/v1/needs")).Items.Count);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceBatch_SomeOrdersBad_TheOthersArePlacedAndEachBadOneSaysWhatToFix(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var buyer = await exchange.Trader("batch-mixed-buyer", 50_000);

        var batch = new BatchOrdersRequest(
        [
            new(Need: Need(market, 10, 12m, Tomorrow, 2)),
            new(Need: Need("no-such-market", 10, 12m, Tomorrow, 2)),
            new(Need: Need(market, 1000, 12m, Tomorrow, 2)),
            new(Offer: Offer(market, 10, 5m, Tomorrow, 2), Need: Need(market, 10, 12m, Tomorrow, 2)),
            new(Need: Need(market, 10, 12.001m, Tomorrow, 2)),
        ]);
        var answer = await (await buyer.Client.Post("/v1/orders/batch", batch)).Read<BatchOrdersResponse>(HttpStatusCode.OK);

        Assert.Equal([201, 400, 402, 400, 422], answer.Results.Select(r => r.Status));
        Assert.Equal("urn:surplus:problem:market-unknown", answer.Results[1].Problem!.Type);
        Assert.StartsWith("$.orders[1]: ", answer.Results[1].Problem!.Detail, StringComparison.Ordinal);
        Assert.Equal("urn:surplus:problem:insufficient-funds", answer.Results[2].Problem!.Type);
        Assert.Equal("urn:surplus:problem:batch-item-invalid", answer.Results[3].Problem!.Type);
        Assert.Null(answer.Results[4].Need);
        Assert.Single((await buyer.Client.Get<PageDto<NeedDto>>("/v1/needs")).Items);
        Assert.Equal(new AccountDto("USD", 2, 50_000 - 24_000, 24_000), await buyer.Account());
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceBatch_RetriedWithTheSameKey_AnswersAsTheFirstTimeAndPlacesOnce(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("batch-retry-seller");
        var batch = new BatchOrdersRequest([new(Offer: Offer(market, 10, 10m, Tomorrow, 2)), new(Offer: Offer(market, 10, 11m, Tomorrow, 2))]);

        var first = await seller.Client.Post("/v1/orders/batch", batch, "batch-1");
        var firstBody = await first.Content.ReadAsStringAsync();
        var afterFirst = await seller.Snapshot();
        var retry = await seller.Client.Post("/v1/orders/batch", batch, "batch-1");
        var changed = await seller.Client.Post("/v1/orders/batch", batch with { Orders = [batch.Orders[0]] }, "batch-1");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("true", Assert.Single(retry.Headers.GetValues("Idempotent-Replayed")));
        Assert.Equal(firstBody, await retry.Content.ReadAsStringAsync());
        var reused = await changed.Read<BatchOrdersResponse>(HttpStatusCode.OK);
        Assert.Equal("urn:surplus:problem:idempotency-key-reused", Assert.Single(reused.Results).Problem!.Type);
        Assert.Equal(afterFirst, await seller.Snapshot());
    }

    [Theory]
    [InlineData(Store.Sqlite, "{\"orders\":[]}", "batch-size-invalid")]
    [InlineData(Store.Sqlite, "{\"orders\":[{\"offer\":{\"market\":\"compute\",\"rate\":\"x\"}}]}", "json-invalid")]
    [InlineData(Store.Sqlite, "{}", "json-invalid")]
    [InlineData(Store.Postgres, "{\"orders\":[]}", "batch-size-invalid")]
    public async Task PlaceBatch_BadBody_IsRefusedWholeAndChangesNothing(Store store, string body, string code)
    {
        var exchange = exchanges.For(store);
        var seller = await exchange.Trader("batch-bad-seller");
        var before = await seller.Snapshot();

        var response = await seller.Client.Send(HttpMethod.Post, "/v1/orders/batch", body);

        await response.Problem(HttpStatusCode.BadRequest, code);
        Assert.Equal(before, await seller.Snapshot());
    }

    [Fact]
    public async Task PlaceBatch_MoreOrdersThanTheLimit_IsRefusedWithTheLimit()
    {
        var exchange = exchanges.For(Store.Sqlite);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("batch-large-seller");
        var batch = new BatchOrdersRequest([.. Enumerable.Range(0, 1001).Select(_ => new BatchOrderItem(Offer: Offer(market, 1, 10m, Tomorrow, 1)))]);

        var detail = await (await seller.Client.Post("/v1/orders/batch", batch)).Problem(HttpStatusCode.BadRequest, "batch-size-invalid");

        Assert.Contains("1 to 1000 orders", detail, StringComparison.Ordinal);
        Assert.Empty((await seller.Client.Get<PageDto<OfferDto>>("/v1/offers")).Items);
    }
}
