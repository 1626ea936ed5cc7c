using System.Net;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Api.ApiKit;

namespace Surplus.Server.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class AccountTests(Exchanges exchanges)
{
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Account_NewMember_HasNothingAndNoEntries(Store store)
    {
        var trader = await exchanges.For(store).Trader("new");

        var account = await trader.Account();
        var entries = await trader.Client.Get<PageDto<LedgerEntryDto>>("/v1/account/entries");

        Assert.Equal(new AccountDto("USD", 2, 0, 0), account);
        Assert.Empty(entries.Items);
        Assert.Null(entries.Next);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task AccountEntries_DepositHoldTradeAndCancel_ShowEveryMovementWithRunningBalances(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("statement-seller");
        var buyer = await exchange.Trader("statement-buyer", 100_000);
        await seller.PlaceOffer(Offer(market, 4, 10m, Tomorrow, 1));
        var need = await buyer.PlaceNeed(Need(market, 10, 12m, Tomorrow, 1)); // holds 120.00, buys 4 at 10.00
        await buyer.Client.DeleteAsync($"/v1/needs/{need.Need.Id}");           // releases the 72.00 left

        var entries = (await buyer.Client.Get<PageDto<LedgerEntryDto>>("/v1/account/entries")).Items;

        // Oldest first (a transfer between two of the member's accounts is two lines): (account, kind, amount, balance after).
        Assert.Equal(
            [
                ("available", "deposit", 100_000L, 100_000L),
                ("available", "hold", -12_000, 88_000),
                ("held", "hold", 12_000, 12_000),
                ("held", "escrow", -4_000, 8_000),
                ("held", "release", -800, 7_200),
                ("available", "release", 800, 88_800),
                ("held", "release", -7_200, 0),
                ("available", "release", 7_200, 96_000),
            ],
            entries.Reverse().Select(e => (e.Account, e.Kind, e.AmountMinor, e.BalanceMinor)));
        Assert.True(entries.Zip(entries.Skip(1)).All(p => p.First.TransferId >= p.Second.TransferId), "entries are newest first");
        Assert.All(entries, e => Assert.Equal(Now, e.At));
        Assert.Equal(new AccountDto("USD", 2, 96_000, 0), await buyer.Account());
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task AccountEntries_Paged_CursorContinuesTheRunningBalance(Store store)
    {
        var exchange = exchanges.For(store);
        var trader = await exchange.Trader("pages");
        foreach (var amount in new[] { 1_000L, 2_000, 3_000, 4_000, 5_000 })
        {
            await exchange.Deposit(trader.Id, amount);
        }

        var seen = new List<LedgerEntryDto>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await trader.Client.Get<PageDto<LedgerEntryDto>>("/v1/account/entries?limit=2" + (cursor is null ? "" : $"&cursor={cursor}"));
            seen.AddRange(page.Items);
            cursor = page.Next;
            pages++;
        }
        while (cursor is not null && pages < 10);

        Assert.Equal([5_000L, 4_000, 3_000, 2_000, 1_000], seen.Select(e => e.AmountMinor));
        Assert.Equal([15_000L, 10_000, 6_000, 3_000, 1_000], seen.Select(e => e.BalanceMinor));
        Assert.Equal(seen.Count, seen.Select(e => e.TransferId).Distinct().Count());
        Assert.InRange(pages, 3, 4);
    }

    [Theory]
    [InlineData(Store.Sqlite, 1)]
    [InlineData(Store.Sqlite, 2)]
    [InlineData(Store.Sqlite, 3)]
    [InlineData(Store.Postgres, 1)]
    [InlineData(Store.Postgres, 3)]
    public async Task AccountEntries_PagedThroughTwoLineTransfers_LimitCountsLinesAndPagesAddUpToOneBigPage(Store store, int limit)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("lines-seller");
        var buyer = await exchange.Trader("lines-buyer", 100_000);
        await seller.PlaceOffer(Offer(market, 4, 10m, Tomorrow, 1));
        var need = await buyer.PlaceNeed(Need(market, 10, 12m, Tomorrow, 1));
        await buyer.Client.DeleteAsync($"/v1/needs/{need.Need.Id}");
        await exchange.Deposit(buyer.Id, 500);
        var all = (await buyer.Client.Get<PageDto<LedgerEntryDto>>("/v1/account/entries?limit=100")).Items;

        var pages = new List<IReadOnlyList<LedgerEntryDto>>();
        string? cursor = null;
        do
        {
            var page = await buyer.Client.Get<PageDto<LedgerEntryDto>>($"/v1/account/entries?limit={limit}" + (cursor is null ? "" : $"&cursor={cursor}"));
            pages.Add(page.Items);
            cursor = page.Next;
        }
        while (cursor is not null && pages.Count < 20);

        // Nine lines from six transfers: hold and both releases are two lines each.
        Assert.Equal(9, all.Count);
        Assert.Equal(6, all.Select(e => e.TransferId).Distinct().Count());
        Assert.Null(cursor);
        Assert.Equal(all, pages.SelectMany(p => p));
        Assert.All(pages.SkipLast(1), p => Assert.Equal(limit, p.Count));
        Assert.InRange(pages[^1].Count, 1, limit);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task AccountEntries_MovementsArriveBetweenPages_TheCursorStillNeitherRepeatsNorSkips(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var buyer = await exchange.Trader("moving-statement", 100_000);
        var need = await buyer.PlaceNeed(Need(market, 10, 12m, Tomorrow, 1));
        await buyer.Client.DeleteAsync($"/v1/needs/{need.Need.Id}");
        var before = (await buyer.Client.Get<PageDto<LedgerEntryDto>>("/v1/account/entries?limit=100")).Items;

        var first = await buyer.Client.Get<PageDto<LedgerEntryDto>>("/v1/account/entries?limit=3");
        await exchange.Deposit(buyer.Id, 700);
        await buyer.PlaceNeed(Need(market, 1, 1m, Tomorrow, 1));
        var rest = await buyer.Client.Get<PageDto<LedgerEntryDto>>($"/v1/account/entries?limit=100&cursor={first.Next}");

        Assert.Equal(5, before.Count);
        Assert.Equal(before, first.Items.Concat(rest.Items));
        Assert.Null(rest.Next);
    }

    [Theory]
    [InlineData(Store.Sqlite, "abc")]
    [InlineData(Store.Sqlite, "12.2")]
    [InlineData(Store.Sqlite, "12.1.1")]
    [InlineData(Store.Postgres, "0")]
    public async Task AccountEntries_CursorNotFromAPage_Is400(Store store, string cursor)
    {
        var trader = await exchanges.For(store).Trader("bad-cursor");

        await (await trader.Client.GetAsync($"/v1/account/entries?cursor={cursor}")).Problem(HttpStatusCode.BadRequest, "cursor-invalid");
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task AccountEntries_SomeoneElsesMovements_AreNotShown(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var mine = await exchange.Trader("mine", 5_000);
        var theirs = await exchange.Trader("theirs", 70_000);
        await theirs.PlaceNeed(Need(market, 1, 1m, Tomorrow, 1));

        var entries = (await mine.Client.Get<PageDto<LedgerEntryDto>>("/v1/account/entries")).Items;

        Assert.Equal(("available", "deposit", 5_000L, 5_000L), Assert.Single(entries) is var e ? (e.Account, e.Kind, e.AmountMinor, e.BalanceMinor) : default);
    }
}
