using System.Net;
using Surplus.Contracts;
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
