using System.Net;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Api.ApiKit;

namespace Surplus.Server.Tests.Api;

/// <summary>
/// A keyed request's first answer is final when the exchange's rules decided it, a refusal too: the
/// retry replays it and changes nothing. Answers given before the request was judged are not kept.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class IdempotentRefusalTests(Exchanges exchanges)
{
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceNeed_InsufficientFundsThenDepositThenRetry_ReplaysThe402AndPlacesNothing(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var buyer = await exchange.Trader("poor-buyer", 5_000);
        var need = Need(market, 10, 10m, Tomorrow, 1); // holds 100.00

        var first = await buyer.Client.Post("/v1/needs", need, "need-402");
        await exchange.Deposit(buyer.Id, 20_000);
        var afterDeposit = await buyer.Snapshot();
        var retry = await buyer.Client.Post("/v1/needs", need, "need-402");

        var firstDetail = await first.Problem(HttpStatusCode.PaymentRequired, "insufficient-funds");
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(firstDetail, await retry.Problem(HttpStatusCode.PaymentRequired, "insufficient-funds"));
        Assert.Contains("50.00", firstDetail, StringComparison.Ordinal);
        Assert.Equal("true", Assert.Single(retry.Headers.GetValues("Idempotent-Replayed")));
        Assert.Equal(afterDeposit, await buyer.Snapshot());
        Assert.Empty((await buyer.Client.Get<PageDto<NeedDto>>("/v1/needs")).Items);
        Assert.Equal(new AccountDto("USD", 2, 25_000, 0), await buyer.Account());

        // The same need under a new key is a new request, and the deposit now pays for it.
        await (await buyer.Client.Post("/v1/needs", need, "need-402-again")).Read<NeedResultDto>(HttpStatusCode.Created);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceOffer_HaltedThenResumedThenRetry_ReplaysThe409AndPlacesNothing(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("halted-seller");
        var offer = Offer(market, 10, 10m, Tomorrow, 1);
        using var admin = exchange.Admin();
        await (await admin.PostAsync($"/v1/admin/markets/{market}/halt", null)).Read<MarketDto>(HttpStatusCode.OK);

        var first = await seller.Client.Post("/v1/offers", offer, "offer-409");
        await (await admin.PostAsync($"/v1/admin/markets/{market}/resume", null)).Read<MarketDto>(HttpStatusCode.OK);
        var retry = await seller.Client.Post("/v1/offers", offer, "offer-409");

        await first.Problem(HttpStatusCode.Conflict, "market-halted");
        await retry.Problem(HttpStatusCode.Conflict, "market-halted");
        Assert.Equal("true", Assert.Single(retry.Headers.GetValues("Idempotent-Replayed")));
        Assert.Empty((await seller.Client.Get<PageDto<OfferDto>>("/v1/offers")).Items);
        await (await seller.Client.Post("/v1/offers", offer, "offer-409-again")).Read<OfferResultDto>(HttpStatusCode.Created);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceNeed_RefusedKeyThenAnotherBody_Is422KeyReused(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var buyer = await exchange.Trader("reuse-buyer", 1_000);

        await (await buyer.Client.Post("/v1/needs", Need(market, 10, 10m, Tomorrow, 1), "need-reused")).Problem(HttpStatusCode.PaymentRequired, "insufficient-funds");
        var other = await buyer.Client.Post("/v1/needs", Need(market, 1, 1m, Tomorrow, 1), "need-reused");

        await other.Problem((HttpStatusCode)422, "idempotency-key-reused");
        Assert.Empty((await buyer.Client.Get<PageDto<NeedDto>>("/v1/needs")).Items);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceOffer_PriceOffTheTick_The422IsKeptUnderTheKey(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("tick-seller");
        var offer = Offer(market, 10, 10.005m, Tomorrow, 1);

        var first = await seller.Client.Post("/v1/offers", offer, "offer-422");
        var retry = await seller.Client.Post("/v1/offers", offer, "offer-422");
        var fixedUnderTheKey = await seller.Client.Post("/v1/offers", offer with { Ask = 10.01m }, "offer-422");

        await first.Problem((HttpStatusCode)422, "price-off-tick");
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        await retry.Problem((HttpStatusCode)422, "price-off-tick");
        Assert.True(retry.Headers.Contains("Idempotent-Replayed"));
        await fixedUnderTheKey.Problem((HttpStatusCode)422, "idempotency-key-reused");
        Assert.Empty((await seller.Client.Get<PageDto<OfferDto>>("/v1/offers")).Items);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceOffer_MalformedBodyThenFixedUnderTheSameKey_IsPlaced(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("fixed-seller");
        var offer = Offer(market, 10, 10m, Tomorrow, 1);

        var malformed = await seller.Client.Post("/v1/offers", offer with { End = Tomorrow.AddSeconds(90) }, "offer-400");
        var misspelt = await seller.Client.Post("/v1/offers", new { market, rate = "ten" }, "offer-400");
        var fixedUnderTheKey = await seller.Client.Post("/v1/offers", offer, "offer-400");

        await malformed.Problem(HttpStatusCode.BadRequest, "window-not-aligned");
        await misspelt.Problem(HttpStatusCode.BadRequest, "json-invalid");
        await fixedUnderTheKey.Read<OfferResultDto>(HttpStatusCode.Created);
        Assert.False(fixedUnderTheKey.Headers.Contains("Idempotent-Replayed"));
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceNeed_SuspendedThenResumedThenRetry_IsPlaced(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var buyer = await exchange.Trader("suspended-retry", 100_000);
        var need = Need(market, 10, 10m, Tomorrow, 1);
        using var admin = exchange.Admin();
        await (await admin.PostAsync($"/v1/admin/members/{buyer.Id}/suspend", null)).Read<MemberDto>(HttpStatusCode.OK);

        var refused = await buyer.Client.Post("/v1/needs", need, "need-403");
        await (await admin.PostAsync($"/v1/admin/members/{buyer.Id}/resume", null)).Read<MemberDto>(HttpStatusCode.OK);
        var retry = await buyer.Client.Post("/v1/needs", need, "need-403");

        await refused.Problem(HttpStatusCode.Forbidden, "member-suspended");
        await retry.Read<NeedResultDto>(HttpStatusCode.Created);
        Assert.False(retry.Headers.Contains("Idempotent-Replayed"));
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task OrderBatch_RefusedItemThenDepositThenRetry_ReplaysEveryItemAndPlacesNothingMore(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var member = await exchange.Trader("batch-refused", 1_000);
        var batch = new BatchOrdersRequest(
        [
            new BatchOrderItem(Need: Need(market, 10, 10m, Tomorrow, 1)),
            new BatchOrderItem(Offer: Offer(market, 10, 20m, Tomorrow, 1)),
        ]);

        var first = await (await member.Client.Post("/v1/orders/batch", batch, "batch-402")).Read<BatchOrdersResponse>(HttpStatusCode.OK);
        await exchange.Deposit(member.Id, 50_000);
        var retryResponse = await member.Client.Post("/v1/orders/batch", batch, "batch-402");
        var retry = await retryResponse.Read<BatchOrdersResponse>(HttpStatusCode.OK);

        Assert.Equal([402, 201], first.Results.Select(r => r.Status));
        Assert.Equal([402, 201], retry.Results.Select(r => r.Status));
        Assert.Equal(first.Results[0].Problem, retry.Results[0].Problem);
        Assert.Equal(first.Results[1].Offer!.Offer.Id, retry.Results[1].Offer!.Offer.Id);
        Assert.Equal("true", Assert.Single(retryResponse.Headers.GetValues("Idempotent-Replayed")));
        Assert.Empty((await member.Client.Get<PageDto<NeedDto>>("/v1/needs")).Items);
        Assert.Single((await member.Client.Get<PageDto<OfferDto>>("/v1/offers")).Items);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Deposit_UnknownMember_The404IsKeptUnderTheKey(Store store)
    {
        var exchange = exchanges.For(store);
        using var admin = exchange.Admin();

        var first = await admin.Post("/v1/admin/members/987654321/deposit", new DepositRequest(1_000), "deposit-404");
        var retry = await admin.Post("/v1/admin/members/987654321/deposit", new DepositRequest(1_000), "deposit-404");
        var other = await admin.Post("/v1/admin/members/987654321/deposit", new DepositRequest(2_000), "deposit-404");

        await first.Problem(HttpStatusCode.NotFound, "not-found");
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        await retry.Problem(HttpStatusCode.NotFound, "not-found");
        Assert.True(retry.Headers.Contains("Idempotent-Replayed"));
        await other.Problem((HttpStatusCode)422, "idempotency-key-reused");
    }
}
