using System.Net;
using System.Net.Http.Headers;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Api.ApiKit;

namespace Surplus.Server.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class SecurityTests(Exchanges exchanges)
{
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task AnotherMembersOffer_ReadAmendCancel_Are404AndChangeNothing(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var owner = await exchange.Trader("owner");
        var intruder = await exchange.Trader("intruder");
        var offer = (await owner.PlaceOffer(Offer(market, 10, 10m, Tomorrow, 1))).Offer;
        var before = await owner.Snapshot();

        await (await intruder.Client.GetAsync($"/v1/offers/{offer.Id}")).Problem(HttpStatusCode.NotFound, "not-found");
        await (await intruder.Client.Patch($"/v1/offers/{offer.Id}", new AmendOrderRequest(Price: 1m))).Problem(HttpStatusCode.NotFound, "not-found");
        await (await intruder.Client.DeleteAsync($"/v1/offers/{offer.Id}")).Problem(HttpStatusCode.NotFound, "not-found");

        Assert.Equal(before, await owner.Snapshot());
        Assert.Empty((await intruder.Client.Get<PageDto<OfferDto>>("/v1/offers")).Items);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task AnotherMembersNeed_ReadAmendCancel_Are404AndChangeNothing(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var owner = await exchange.Trader("need-owner", 100_000);
        var intruder = await exchange.Trader("need-intruder", 100_000);
        var need = (await owner.PlaceNeed(Need(market, 10, 5m, Tomorrow, 1))).Need;
        var before = await owner.Snapshot();
        var intruderBefore = await intruder.Snapshot();

        await (await intruder.Client.GetAsync($"/v1/needs/{need.Id}")).Problem(HttpStatusCode.NotFound, "not-found");
        await (await intruder.Client.Patch($"/v1/needs/{need.Id}", new AmendOrderRequest(Rate: 1))).Problem(HttpStatusCode.NotFound, "not-found");
        await (await intruder.Client.DeleteAsync($"/v1/needs/{need.Id}")).Problem(HttpStatusCode.NotFound, "not-found");

        Assert.Equal(before, await owner.Snapshot());
        Assert.Equal(intruderBefore, await intruder.Snapshot());
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task MemberRoutes_NoKey_Are401(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        using var anonymous = exchange.CreateClient();
        var requests = new (HttpMethod Method, string Path, string? Body)[]
        {
            (HttpMethod.Get, "/v1/members/me", null),
            (HttpMethod.Patch, "/v1/members/me", """{"name":"x"}"""),
            (HttpMethod.Get, "/v1/account", null),
            (HttpMethod.Get, "/v1/account/entries", null),
            (HttpMethod.Get, "/v1/offers", null),
            (HttpMethod.Get, "/v1/needs/1", null),
            (HttpMethod.Delete, "/v1/offers/1", null),
            (HttpMethod.Post, "/v1/offers", $$"""{"market":"{{market}}","rate":10,"ask":10,"start":"2026-11-24T12:00:00Z","end":"2026-11-24T13:00:00Z"}"""),
            (HttpMethod.Post, "/v1/needs", $$"""{"market":"{{market}}","rate":10,"bid":10,"start":"2026-11-24T12:00:00Z","end":"2026-11-24T13:00:00Z"}"""),
            (HttpMethod.Get, "/v1/events?after=0", null),
        };

        foreach (var (method, path, body) in requests)
        {
            var detail = await (await anonymous.SendAsync(Request(method, path, body))).Problem(HttpStatusCode.Unauthorized, "unauthorized");
            Assert.Contains("Authorization: Bearer", detail, StringComparison.Ordinal);
        }

        Assert.Empty((await exchange.CreateClient().Get<BookDto>($"/v1/markets/{market}/book?start=2026-11-24T12:00:00Z&end=2026-11-24T13:00:00Z")).Offers);
    }

    [Theory]
    [InlineData(Store.Sqlite, "Bearer sk_not_a_key_anyone_was_given")]
    [InlineData(Store.Sqlite, "Basic dXNlcjpwYXNz")]
    [InlineData(Store.Postgres, "Bearer sk_not_a_key_anyone_was_given")]
    [InlineData(Store.Postgres, "Bearer ")]
    public async Task MemberRoutes_WrongKey_Are401(Store store, string authorization)
    {
        using var client = exchanges.For(store).CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);

        await (await client.GetAsync("/v1/account")).Problem(HttpStatusCode.Unauthorized, "unauthorized");
        await (await client.GetAsync("/v1/admin/members")).Problem(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task AdminRoutes_MemberKey_Are403AndChangeNothing(Store store)
    {
        var exchange = exchanges.For(store);
        var member = await exchange.Trader("would-be-admin");
        var before = await member.Snapshot();
        var requests = new (HttpMethod Method, string Path, string? Body)[]
        {
            (HttpMethod.Get, "/v1/admin/members", null),
            (HttpMethod.Post, $"/v1/admin/members/{member.Id}/deposit", """{"amountMinor":1000000}"""),
            (HttpMethod.Post, $"/v1/admin/members/{member.Id}/suspend", null),
            (HttpMethod.Post, "/v1/admin/markets", """{"id":"mine","unit":"GB"}"""),
            (HttpMethod.Post, "/v1/admin/markets/compute/halt", null),
            (HttpMethod.Get, "/v1/admin/ledger", null),
        };

        using var anonymous = exchange.CreateClient();
        foreach (var (method, path, body) in requests)
        {
            var detail = await (await member.Client.SendAsync(Request(method, path, body))).Problem(HttpStatusCode.Forbidden, "forbidden");
            Assert.Contains("admin key", detail, StringComparison.Ordinal);
            await (await anonymous.SendAsync(Request(method, path, body))).Problem(HttpStatusCode.Unauthorized, "unauthorized");
        }

        Assert.Equal(before, await member.Snapshot());
        using var client = exchange.CreateClient();
        Assert.False((await client.Get<MarketDto>("/v1/markets/compute")).Halted);
        await (await client.GetAsync("/v1/markets/mine")).Problem(HttpStatusCode.NotFound, "not-found");
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task MemberRoutes_AdminKey_Are403AskingForAMembersKey(Store store)
    {
        using var admin = exchanges.For(store).Admin();

        var detail = await (await admin.GetAsync("/v1/account")).Problem(HttpStatusCode.Forbidden, "forbidden");

        Assert.Contains("member's API key", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task SuspendedMember_CanOnlyReadUntilResumed(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var member = await exchange.Trader("suspended", 100_000);
        var buyer = await exchange.Trader("suspended-buyer", 100_000);
        var offer = (await member.PlaceOffer(Offer(market, 10, 10m, Tomorrow, 1))).Offer;
        var keep = (await member.PlaceOffer(Offer(market, 10, 10m, Tomorrow, 2))).Offer;
        var sold = (await member.PlaceOffer(Offer(market, 5, 10m, Tomorrow.AddHours(4), 1))).Offer;
        var contract = Assert.Single((await buyer.PlaceNeed(Need(market, 5, 10m, Tomorrow.AddHours(4), 1))).Trades);
        var contractId = Assert.Single((await member.Client.Get<PageDto<ContractDto>>("/v1/contracts")).Items).Id;
        var blob = await (await member.Client.PutAsync("/v1/blobs", new ByteArrayContent([1, 2, 3]))).Read<BlobDto>(HttpStatusCode.Created);
        using var admin = exchange.Admin();
        Assert.True((await (await admin.PostAsync($"/v1/admin/members/{member.Id}/suspend", null)).Read<MemberDto>(HttpStatusCode.OK)).Suspended);
        var before = await member.Snapshot();

        // Every read still answers.
        Assert.True((await member.Client.Get<MemberDto>("/v1/members/me")).Suspended);
        await member.Client.Get<PageDto<OfferDto>>("/v1/offers");
        await member.Client.Get<OfferDto>($"/v1/offers/{offer.Id}");
        await member.Client.Get<PageDto<NegotiationDto>>("/v1/negotiations");
        Assert.Equal("matched", (await member.Client.Get<ContractDto>($"/v1/contracts/{contractId}")).Status);
        await member.Client.Get<PageDto<SignalDto>>("/v1/events?after=0");
        Assert.Equal(HttpStatusCode.OK, (await member.Client.GetAsync($"/v1/blobs/{blob.Sha256}")).StatusCode);

        // Every change is refused, the cancel of an open order included.
        var refused = new[]
        {
            await member.Client.Post("/v1/offers", Offer(market, 10, 10m, Tomorrow, 1)),
            await member.Client.Post("/v1/needs", Need(market, 10, 10m, Tomorrow, 1)),
            await member.Client.Post("/v1/orders/batch", new BatchOrdersRequest([new BatchOrderItem(Offer: Offer(market, 10, 10m, Tomorrow, 1))])),
            await member.Client.Patch($"/v1/offers/{offer.Id}", new AmendOrderRequest(Price: 11m)),
            await member.Client.DeleteAsync($"/v1/offers/{offer.Id}"),
            await member.Client.Patch("/v1/members/me", new UpdateMemberRequest(Name: "renamed")),
            await member.Client.PutAsync("/v1/blobs", new ByteArrayContent([4, 5, 6])),
            await member.Client.Post("/v1/negotiations/999999/counter", new CounterRequest(11m, 1)),
            await member.Client.Post("/v1/negotiations/999999/accept", new AcceptRequest(1)),
            await member.Client.PostAsync("/v1/negotiations/999999/decline", null),
            await member.Client.PostAsync($"/v1/contracts/{contractId}/accept", null),
            await member.Client.Post($"/v1/contracts/{contractId}/fail", new ContractReasonRequest("gone")),
        };
        foreach (var response in refused)
        {
            var detail = await response.Problem(HttpStatusCode.Forbidden, "member-suspended");
            Assert.Contains("resume", detail, StringComparison.Ordinal);
        }

        Assert.Equal(before, await member.Snapshot());
        Assert.Equal("matched", (await member.Client.Get<ContractDto>($"/v1/contracts/{contractId}")).Status);

        // Resumed, everything works again.
        Assert.False((await (await admin.PostAsync($"/v1/admin/members/{member.Id}/resume", null)).Read<MemberDto>(HttpStatusCode.OK)).Suspended);
        Assert.Equal("cancelled", (await (await member.Client.DeleteAsync($"/v1/offers/{offer.Id}")).Read<OfferDto>(HttpStatusCode.OK)).Status);
        await member.PlaceNeed(Need(market, 10, 9m, Tomorrow, 1));
        Assert.Equal(11m, (await (await member.Client.Patch($"/v1/offers/{keep.Id}", new AmendOrderRequest(Price: 11m))).Read<OfferResultDto>(HttpStatusCode.OK)).Offer.Ask);
        Assert.Equal("accepted", (await (await member.Client.PostAsync($"/v1/contracts/{contractId}/accept", null)).Read<ContractDto>(HttpStatusCode.OK)).Status);
        await (await member.Client.PostAsync("/v1/negotiations/999999/decline", null)).Problem(HttpStatusCode.NotFound, "not-found");
        Assert.Equal(HttpStatusCode.Created, (await member.Client.PutAsync("/v1/blobs", new ByteArrayContent([4, 5, 6]))).StatusCode);
        Assert.Equal(sold.Id, contract.OfferId);
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, string? body) => new(method, path)
    {
        Content = body is null ? null : new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
    };
}
