using System.Net;
using System.Text.Json;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Api.ApiKit;

namespace Surplus.Server.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class MarketsTests(Exchanges exchanges)
{
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task ListMarkets_FirstStart_HasComputeStorageAndWeb(Store store)
    {
        using var client = exchanges.For(store).CreateClient();

        var markets = await client.Get<List<MarketDto>>("/v1/markets");

        var byId = markets.ToDictionary(m => m.Id);
        Assert.Equal("MFLOPS", byId["compute"].Unit);
        Assert.Equal("GB", byId["storage"].Unit);
        Assert.Equal("page views per hour", byId["web"].Unit);
        foreach (var market in new[] { byId["compute"], byId["storage"], byId["web"] })
        {
            Assert.Equal(60, market.SlotSeconds);
            Assert.Equal(0.01m, market.Tick);
            Assert.Equal("USD", market.Currency);
            Assert.Equal(2, market.MinorUnitDigits);
            Assert.Equal("continuous", market.Clearing);
            Assert.False(market.Halted);
        }
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task GetMarket_Known_ReturnsItAndUnknownIs404(Store store)
    {
        using var client = exchanges.For(store).CreateClient();

        var storage = await client.Get<MarketDto>("/v1/markets/storage");
        var detail = await (await client.GetAsync("/v1/markets/no-such-market")).Problem(HttpStatusCode.NotFound, "not-found");

        Assert.Equal("GB", storage.Unit);
        Assert.Contains("no-such-market", detail, StringComparison.Ordinal);
        await (await client.GetAsync("/v1/markets/no-such-market/book?start=2026-11-24T12:00:00Z&end=2026-11-24T13:00:00Z"))
            .Problem(HttpStatusCode.NotFound, "not-found");
        await (await client.GetAsync("/v1/markets/no-such-market/trades")).Problem(HttpStatusCode.NotFound, "not-found");
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Book_Window_ShowsOffersCoveringItByAskAndNeedsOverlappingItByBid(Store store)
    {
        var exchange = exchanges.For(store);
        // A market that does not negotiate, so that no ask above a bid locks capacity out of the book.
        var market = await exchange.NewMarket(opensNegotiations: false);
        var seller = await exchange.Trader("book-seller");
        var buyer = await exchange.Trader("book-buyer", 10_000_000);
        await buyer.PlaceNeed(Need(market, 20, 5m, Tomorrow.AddHours(2), 1));      // 14–15 at 5: overlaps
        await buyer.PlaceNeed(Need(market, 15, 6m, Tomorrow, 1.5));               // 12–13:30 at 6: overlaps
        await buyer.PlaceNeed(Need(market, 10, 6.5m, Tomorrow.AddHours(4), 1));    // 16–17: does not overlap
        await seller.PlaceOffer(Offer(market, 100, 10m, Tomorrow, 6));             // 12–18 at 10: covers
        await seller.PlaceOffer(Offer(market, 30, 10m, Tomorrow.AddHours(-2), 8)); // 10–18 at 10: covers, same level
        await seller.PlaceOffer(Offer(market, 40, 8m, Tomorrow, 4));              // 12–16 at 8: covers, cheaper
        await seller.PlaceOffer(Offer(market, 50, 7m, Tomorrow.AddHours(2), 2));  // 14–16 at 7: misses 13–14
        using var client = exchange.CreateClient();

        var book = await client.Get<BookDto>($"/v1/markets/{market}/book?start=2026-11-24T13:00:00Z&end=2026-11-24T15:00:00Z");

        Assert.Equal(market, book.Market);
        Assert.Equal(Tomorrow.AddHours(1), book.Start);
        Assert.Equal(Tomorrow.AddHours(3), book.End);
        Assert.Equal([new BookLevelDto(8m, 40, 1), new BookLevelDto(10m, 130, 2)], book.Offers);
        Assert.Equal([new BookLevelDto(6m, 15, 1), new BookLevelDto(5m, 20, 1)], book.Needs);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Book_PartlySoldOffer_ShowsOnlyWhatIsLeftOverTheWindow(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("sold-seller");
        var buyer = await exchange.Trader("sold-buyer", 10_000_000);
        await seller.PlaceOffer(Offer(market, 100, 10m, Tomorrow, 6));
        await buyer.PlaceNeed(Need(market, 60, 10m, Tomorrow.AddHours(1), 1));
        using var client = exchange.CreateClient();

        var sold = await client.Get<BookDto>($"/v1/markets/{market}/book?start=2026-11-24T12:00:00Z&end=2026-11-24T18:00:00Z");
        var free = await client.Get<BookDto>($"/v1/markets/{market}/book?start=2026-11-24T14:00:00Z&end=2026-11-24T18:00:00Z");

        Assert.Equal([new BookLevelDto(10m, 40, 1)], sold.Offers);
        Assert.Equal([new BookLevelDto(10m, 100, 1)], free.Offers);
        Assert.Empty(sold.Needs);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Trades_SeveralFills_ArePagedNewestFirstWithoutTheParties(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("tape-seller");
        var buyer = await exchange.Trader("tape-buyer", 10_000_000);
        await seller.PlaceOffer(Offer(market, 100, 10m, Tomorrow, 6));
        var placed = new List<TradeDto>();
        for (var i = 1; i <= 5; i++)
        {
            placed.Add(Assert.Single((await buyer.PlaceNeed(Need(market, i, 10m, Tomorrow, 1))).Trades));
        }

        using var client = exchange.CreateClient();
        var seen = new List<TradeDto>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var response = await client.GetAsync($"/v1/markets/{market}/trades?limit=2" + (cursor is null ? "" : $"&cursor={cursor}"));
            var raw = await response.Content.ReadAsStringAsync();
            var page = await response.Read<PageDto<TradeDto>>(HttpStatusCode.OK);
            Assert.True(page.Items.Count <= 2);
            foreach (var item in JsonDocument.Parse(raw).RootElement.GetProperty("items").EnumerateArray())
            {
                Assert.True(!item.TryGetProperty("buyerId", out var b) || b.ValueKind == JsonValueKind.Null, "the public tape hides the buyer");
                Assert.True(!item.TryGetProperty("sellerId", out var s) || s.ValueKind == JsonValueKind.Null, "the public tape hides the seller");
            }

            seen.AddRange(page.Items);
            cursor = page.Next;
            pages++;
        }
        while (cursor is not null && pages < 10);

        Assert.Equal(3, pages);
        Assert.Equal(placed.Select(t => t.Id).Reverse(), seen.Select(t => t.Id));
        Assert.Equal([5L, 4, 3, 2, 1], seen.Select(t => t.Rate));
        Assert.All(placed, t => Assert.Equal(buyer.Id, t.BuyerId));
        var first = seen[^1];
        Assert.Equal((market, 10m, 1L * 1 * 10 * 100, Tomorrow, Tomorrow.AddHours(1), "need"), (first.Market, first.Price, first.AmountMinor, first.Start, first.End, first.Aggressor));
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Trades_NewMarket_IsAnEmptyPage(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        using var client = exchange.CreateClient();

        var page = await client.Get<PageDto<TradeDto>>($"/v1/markets/{market}/trades");

        Assert.Empty(page.Items);
        Assert.Null(page.Next);
    }
}
