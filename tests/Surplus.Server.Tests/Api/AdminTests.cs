using System.Net;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Api.ApiKit;

namespace Surplus.Server.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class AdminTests(Exchanges exchanges)
{
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task ListMembers_Paged_ShowsEveryMemberOldestFirst(Store store)
    {
        var exchange = exchanges.For(store);
        var joined = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            joined.Add((await exchange.Trader($"listed-{i}")).Id);
        }

        using var admin = exchange.Admin();
        var seen = new List<MemberDto>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await admin.Get<PageDto<MemberDto>>("/v1/admin/members?limit=2" + (cursor is null ? "" : $"&cursor={cursor}"));
            Assert.True(page.Items.Count <= 2);
            seen.AddRange(page.Items);
            cursor = page.Next;
            pages++;
        }
        while (cursor is not null && pages < 100);

        Assert.Equal(seen.Select(m => m.Id).Order(), seen.Select(m => m.Id));
        Assert.Equal(seen.Count, seen.Select(m => m.Id).Distinct().Count());
        Assert.Equal(joined, seen.Where(m => joined.Contains(m.Id)).Select(m => m.Id));
        Assert.Equal("listed-1", seen.Single(m => m.Id == joined[1]).Name);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task SuspendAndResume_Member_FlipTheFlagAndUnknownIs404(Store store)
    {
        var exchange = exchanges.For(store);
        var member = await exchange.Trader("flip");
        using var admin = exchange.Admin();

        var suspended = await (await admin.PostAsync($"/v1/admin/members/{member.Id}/suspend", null)).Read<MemberDto>(HttpStatusCode.OK);
        var listed = (await admin.Get<PageDto<MemberDto>>($"/v1/admin/members?cursor={member.Id - 1}&limit=1")).Items.Single();
        var resumed = await (await admin.PostAsync($"/v1/admin/members/{member.Id}/resume", null)).Read<MemberDto>(HttpStatusCode.OK);

        Assert.True(suspended.Suspended);
        Assert.Equal(member.Id, listed.Id);
        Assert.True(listed.Suspended);
        Assert.False(resumed.Suspended);
        Assert.False((await member.Client.Get<MemberDto>("/v1/members/me")).Suspended);
        await (await admin.PostAsync("/v1/admin/members/999999/suspend", null)).Problem(HttpStatusCode.NotFound, "not-found");
        await (await admin.PostAsync("/v1/admin/members/999999/resume", null)).Problem(HttpStatusCode.NotFound, "not-found");
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Deposit_Admin_CreditsAvailableAndShowsInTheStatement(Store store)
    {
        var exchange = exchanges.For(store);
        var member = await exchange.Trader("funded");
        using var admin = exchange.Admin();

        var first = await (await admin.Post($"/v1/admin/members/{member.Id}/deposit", new DepositRequest(12_345, "wire 1"))).Read<AccountDto>(HttpStatusCode.OK);
        var second = await (await admin.Post($"/v1/admin/members/{member.Id}/deposit", new DepositRequest(655))).Read<AccountDto>(HttpStatusCode.OK);

        Assert.Equal(new AccountDto("USD", 2, 12_345, 0), first);
        Assert.Equal(new AccountDto("USD", 2, 13_000, 0), second);
        Assert.Equal(second, await member.Account());
        var entries = (await member.Client.Get<PageDto<LedgerEntryDto>>("/v1/account/entries")).Items;
        Assert.Equal([("deposit", 655L, 13_000L, (string?)null), ("deposit", 12_345, 12_345, "wire 1")], entries.Select(e => (e.Kind, e.AmountMinor, e.BalanceMinor, e.Reference)));
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task CreateMarket_Valid_Is201ListedAndTrades(Store store)
    {
        var exchange = exchanges.For(store);
        var id = "gpu-" + Guid.NewGuid().ToString("N")[..8];
        using var admin = exchange.Admin();

        var response = await admin.Post("/v1/admin/markets", new CreateMarketRequest(id, "GPU", SlotSeconds: 900, Tick: 0.05m, FeeBasisPoints: 25, Clearing: "continuous"));

        var created = await response.Read<MarketDto>(HttpStatusCode.Created);
        Assert.Equal($"/v1/markets/{id}", response.Headers.Location?.ToString());
        Assert.Equal((id, "GPU", 900, 0.05m, "USD", 2, 25, "continuous", false),
            (created.Id, created.Unit, created.SlotSeconds, created.Tick, created.Currency, created.MinorUnitDigits, created.FeeBasisPoints, created.Clearing, created.Halted));
        using var client = exchange.CreateClient();
        Assert.Equal(created, await client.Get<MarketDto>($"/v1/markets/{id}"));
        Assert.Contains(created, await client.Get<List<MarketDto>>("/v1/markets"));
        await (await admin.Post("/v1/admin/markets", new CreateMarketRequest(id, "GPU"))).Problem(HttpStatusCode.Conflict, "market-exists");

        // The market's own slot and tick apply.
        var seller = await exchange.Trader("gpu-seller");
        var detail = await (await seller.Client.Post("/v1/offers", Offer(id, 1, 1.02m, Tomorrow, 1))).Problem(HttpStatusCode.UnprocessableEntity, "price-off-tick");
        Assert.Contains("0.05", detail, StringComparison.Ordinal);
        await (await seller.Client.Post("/v1/offers", Offer(id, 1, 1m, Tomorrow.AddMinutes(5), 1))).Problem(HttpStatusCode.BadRequest, "window-not-aligned");
        await seller.PlaceOffer(Offer(id, 1, 1.05m, Tomorrow.AddMinutes(15), 1));
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task HaltMarket_RefusesOrdersAndAmendsButTakesCancelsUntilResumed(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("halt-seller");
        var buyer = await exchange.Trader("halt-buyer", 1_000_000);
        var need = (await buyer.PlaceNeed(Need(market, 10, 5m, Tomorrow, 1))).Need;
        var offer = (await seller.PlaceOffer(Offer(market, 10, 10m, Tomorrow, 1))).Offer;
        using var admin = exchange.Admin();

        var halted = await (await admin.PostAsync($"/v1/admin/markets/{market}/halt", null)).Read<MarketDto>(HttpStatusCode.OK);
        var buyerBefore = await buyer.Snapshot();
        var sellerBefore = await seller.Snapshot();

        Assert.True(halted.Halted);
        Assert.True((await exchange.CreateClient().Get<MarketDto>($"/v1/markets/{market}")).Halted);
        foreach (var response in new[]
        {
            await buyer.Client.Post("/v1/needs", Need(market, 10, 10m, Tomorrow, 1)),
            await seller.Client.Post("/v1/offers", Offer(market, 10, 5m, Tomorrow, 1)),
            await buyer.Client.Patch($"/v1/needs/{need.Id}", new AmendOrderRequest(Price: 10m)),
            await seller.Client.Patch($"/v1/offers/{offer.Id}", new AmendOrderRequest(Price: 5m)),
        })
        {
            var detail = await response.Problem(HttpStatusCode.Conflict, "market-halted");
            Assert.Contains(market, detail, StringComparison.Ordinal);
        }

        Assert.Equal(buyerBefore, await buyer.Snapshot());
        Assert.Equal(sellerBefore, await seller.Snapshot());
        Assert.Equal("cancelled", (await (await buyer.Client.DeleteAsync($"/v1/needs/{need.Id}")).Read<NeedDto>(HttpStatusCode.OK)).Status);
        Assert.Equal(new AccountDto("USD", 2, 1_000_000, 0), await buyer.Account());

        Assert.False((await (await admin.PostAsync($"/v1/admin/markets/{market}/resume", null)).Read<MarketDto>(HttpStatusCode.OK)).Halted);
        var traded = await buyer.PlaceNeed(Need(market, 10, 10m, Tomorrow, 1));
        Assert.Equal(offer.Id, Assert.Single(traded.Trades).OfferId);
        await (await admin.PostAsync("/v1/admin/markets/no-such-market/halt", null)).Problem(HttpStatusCode.NotFound, "not-found");
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Ledger_AfterDepositsHoldsAndTrades_IsBalanced(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("ledger-seller");
        var buyer = await exchange.Trader("ledger-buyer", 500_000);
        await seller.PlaceOffer(Offer(market, 10, 7.5m, Tomorrow, 2));
        await buyer.PlaceNeed(Need(market, 15, 8m, Tomorrow, 1));     // 10 traded at 7.50, 5 resting
        using var admin = exchange.Admin();

        var ledger = await admin.Get<LedgerCheckDto>("/v1/admin/ledger");

        Assert.True(ledger.Balanced);
        Assert.Empty(ledger.NegativeAccounts);
        Assert.Equal(ledger.DepositsMinor - ledger.WithdrawalsMinor, ledger.InsideMinor);
        Assert.Equal(ledger.InsideMinor, ledger.AvailableMinor + ledger.HeldMinor + ledger.EscrowMinor);
        Assert.True(ledger.DepositsMinor >= 500_000);
        Assert.True(ledger.EscrowMinor >= 7_500);
        Assert.True(ledger.HeldMinor >= 4_000);
    }
}
