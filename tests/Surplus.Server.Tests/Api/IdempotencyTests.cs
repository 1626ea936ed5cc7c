using System.Net;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Api.ApiKit;

namespace Surplus.Server.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class IdempotencyTests(Exchanges exchanges)
{
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceOffer_RetriedWithTheSameKey_AnswersAsTheFirstTimeAndPlacesOnce(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("retry-seller");
        var offer = Offer(market, 100, 10m, Tomorrow, 6);

        var first = await seller.Client.Post("/v1/offers", offer, "offer-1");
        var firstBody = await first.Content.ReadAsStringAsync();
        var afterFirst = await seller.Snapshot();
        var retry = await seller.Client.Post("/v1/offers", offer, "offer-1");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal("true", Assert.Single(retry.Headers.GetValues("Idempotent-Replayed")));
        Assert.Equal(firstBody, await retry.Content.ReadAsStringAsync());
        Assert.Equal(afterFirst, await seller.Snapshot());
        Assert.Single((await seller.Client.Get<PageDto<OfferDto>>("/v1/offers")).Items);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceNeed_RetriedWithTheSameKey_HoldsOnceAndTradesOnce(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("retry-need-seller");
        var buyer = await exchange.Trader("retry-need-buyer", 1_000_000);
        await seller.PlaceOffer(Offer(market, 100, 10m, Tomorrow, 6));
        var need = Need(market, 20, 12m, Tomorrow, 2);

        var first = await (await buyer.Client.Post("/v1/needs", need, "need-1")).Read<NeedResultDto>(HttpStatusCode.Created);
        var afterFirst = await buyer.Snapshot();
        var retry = await (await buyer.Client.Post("/v1/needs", need, "need-1")).Read<NeedResultDto>(HttpStatusCode.Created);

        Assert.Equal(first.Need.Id, retry.Need.Id);
        Assert.Equal(first.Trades.Select(t => t.Id), retry.Trades.Select(t => t.Id));
        Assert.Equal(afterFirst, await buyer.Snapshot());
        Assert.Equal(new AccountDto("USD", 2, 1_000_000 - 40_000, 0), await buyer.Account());
        Assert.Single((await exchange.CreateClient().Get<PageDto<TradeDto>>($"/v1/markets/{market}/trades")).Items);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceNeed_SameKeySentManyTimesAtOnce_PlacesOneNeedAndHoldsOnce(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var buyer = await exchange.Trader("burst-buyer", 1_000_000);
        var busy = await exchange.Trader("busy-seller");
        var need = Need(market, 10, 5m, Tomorrow, 2);

        // Other orders keep the engine busy, so that the retries queue up and land in one batch together.
        var others = Enumerable.Range(0, 40).Select(i => busy.Client.Post("/v1/offers", Offer(market, 1, 20m + i, Tomorrow.AddHours(6), 1))).ToList();
        var retries = Enumerable.Range(0, 12).Select(_ => buyer.Client.Post("/v1/needs", need, "burst-1")).ToList();
        var responses = await Task.WhenAll(retries);
        await Task.WhenAll(others);

        var ids = new HashSet<long>();
        foreach (var response in responses)
        {
            ids.Add((await response.Read<NeedResultDto>(HttpStatusCode.Created)).Need.Id);
        }

        Assert.All(others, o => Assert.Equal(HttpStatusCode.Created, o.Result.StatusCode));

        Assert.Single(ids);
        Assert.Single((await buyer.Client.Get<PageDto<NeedDto>>("/v1/needs")).Items);
        Assert.Equal(new AccountDto("USD", 2, 990_000, 10_000), await buyer.Account());
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceOrder_SameKeyWithAnotherBody_Is422AndChangesNothing(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var member = await exchange.Trader("reuser", 1_000_000);
        await (await member.Client.Post("/v1/needs", Need(market, 10, 5m, Tomorrow, 1), "key-b")).Read<NeedResultDto>(HttpStatusCode.Created);
        await (await member.Client.Post("/v1/offers", Offer(market, 100, 10m, Tomorrow, 6), "key-a")).Read<OfferResultDto>(HttpStatusCode.Created);
        var before = await member.Snapshot();

        var offerDetail = await (await member.Client.Post("/v1/offers", Offer(market, 100, 11m, Tomorrow, 6), "key-a"))
            .Problem(HttpStatusCode.UnprocessableEntity, "idempotency-key-reused");
        await (await member.Client.Post("/v1/needs", Need(market, 10, 6m, Tomorrow, 1), "key-b"))
            .Problem(HttpStatusCode.UnprocessableEntity, "idempotency-key-reused");

        Assert.Contains("key-a", offerDetail, StringComparison.Ordinal);
        Assert.Contains("new key", offerDetail, StringComparison.Ordinal);
        Assert.Equal(before, await member.Snapshot());
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceOrder_SameKeyFromAnotherMember_IsItsOwnRequest(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var one = await exchange.Trader("key-one");
        var two = await exchange.Trader("key-two");
        var offer = Offer(market, 10, 10m, Tomorrow, 1);

        var first = await (await one.Client.Post("/v1/offers", offer, "shared-key")).Read<OfferResultDto>(HttpStatusCode.Created);
        var second = await two.Client.Post("/v1/offers", offer, "shared-key");

        Assert.False(second.Headers.Contains("Idempotent-Replayed"));
        Assert.NotEqual(first.Offer.Id, (await second.Read<OfferResultDto>(HttpStatusCode.Created)).Offer.Id);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceOrder_KeyTooLong_Is400AndChangesNothing(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var member = await exchange.Trader("long-key", 1_000_000);
        var before = await member.Snapshot();

        var detail = await (await member.Client.Post("/v1/offers", Offer(market, 10, 10m, Tomorrow, 1), new string('k', 201)))
            .Problem(HttpStatusCode.BadRequest, "idempotency-key-invalid");

        Assert.Contains("200", detail, StringComparison.Ordinal);
        Assert.Equal(before, await member.Snapshot());
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Deposit_RetriedWithTheSameKey_CreditsOnceAndReusedKeyIs422(Store store)
    {
        var exchange = exchanges.For(store);
        var member = await exchange.Trader("deposit-retry");
        using var admin = exchange.Admin();

        var first = await admin.Post($"/v1/admin/members/{member.Id}/deposit", new DepositRequest(5_000, "wire 17"), "wire-17");
        var firstBody = await first.Content.ReadAsStringAsync();
        var retry = await admin.Post($"/v1/admin/members/{member.Id}/deposit", new DepositRequest(5_000, "wire 17"), "wire-17");
        var other = await admin.Post($"/v1/admin/members/{member.Id}/deposit", new DepositRequest(6_000, "wire 17"), "wire-17");

        Assert.Equal(new AccountDto("USD", 2, 5_000, 0), await first.Read<AccountDto>(HttpStatusCode.OK));
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal("true", Assert.Single(retry.Headers.GetValues("Idempotent-Replayed")));
        Assert.Equal(firstBody, await retry.Content.ReadAsStringAsync());
        await other.Problem(HttpStatusCode.UnprocessableEntity, "idempotency-key-reused");
        Assert.Equal(new AccountDto("USD", 2, 5_000, 0), await member.Account());
        Assert.Single((await member.Client.Get<PageDto<LedgerEntryDto>>("/v1/account/entries")).Items);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Deposit_KeyTooLong_Is400AndCreditsNothing(Store store)
    {
        var exchange = exchanges.For(store);
        var member = await exchange.Trader("deposit-long-key");
        using var admin = exchange.Admin();

        await (await admin.Post($"/v1/admin/members/{member.Id}/deposit", new DepositRequest(5_000), new string('w', 201)))
            .Problem(HttpStatusCode.BadRequest, "idempotency-key-invalid");

        Assert.Equal(new AccountDto("USD", 2, 0, 0), await member.Account());
    }
}
