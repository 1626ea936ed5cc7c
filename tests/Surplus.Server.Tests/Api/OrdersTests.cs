using System.Net;
using Surplus.Market;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Api.ApiKit;

namespace Surplus.Server.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class OrdersTests(Exchanges exchanges)
{
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceOffer_NothingToServe_Is201OpenWithItsCapacity(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("offer-seller");

        var placed = await seller.PlaceOffer(Offer(market, 100, 10.25m, Tomorrow, 6) with { Attributes = new Dictionary<string, string> { ["os"] = "linux" } });

        var offer = placed.Offer;
        Assert.Empty(placed.Trades);
        Assert.True(offer.Id > 0);
        Assert.Equal((market, seller.Id, "open", 100L, 10.25m, "standing"), (offer.Market, offer.SellerId, offer.Status, offer.Rate, offer.Ask, offer.Mode));
        Assert.Equal((Tomorrow, Tomorrow.AddHours(6)), (offer.Start!.Value, offer.End!.Value));
        Assert.Equal("linux", offer.Attributes["os"]);
        Assert.Equal([new CapacitySegmentDto(Tomorrow, 100), new CapacitySegmentDto(Tomorrow.AddHours(6), 0)], offer.Capacity);
        AssertSameJson(offer, await seller.Client.Get<OfferDto>($"/v1/offers/{offer.Id}"));
    }

    /// <summary>
    /// A resting offer's row keeps neither its record nor its state once its batch is stored: one that
    /// later fills wholly, without its row being touched first, and one that is cancelled still show
    /// all they were placed with, and no capacity once they are closed.
    /// </summary>
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task RestingOffer_FilledOrCancelledAfterItsBatchWasStored_ShowsItsRecordAndNoCapacity(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("resting-seller");
        var buyer = await exchange.Trader("resting-buyer", 1_000_000);
        var linux = new Dictionary<string, string> { ["os"] = "linux" };
        var filled = (await seller.PlaceOffer(Offer(market, 100, 10.25m, Tomorrow, 2) with { Attributes = linux })).Offer;
        var cancelled = (await seller.PlaceOffer(Offer(market, 50, 11.5m, Tomorrow.AddHours(4), 2) with { Attributes = linux })).Offer;

        var trade = Assert.Single((await buyer.PlaceNeed(Need(market, 100, 10.25m, Tomorrow, 2))).Trades);
        var answer = await (await seller.Client.DeleteAsync($"/v1/offers/{cancelled.Id}")).Read<OfferDto>(HttpStatusCode.OK);

        Assert.Equal(filled.Id, trade.OfferId);
        var shown = await seller.Client.Get<OfferDto>($"/v1/offers/{filled.Id}");
        Assert.Equal(("filled", 100L, 10.25m, "linux"), (shown.Status, shown.Rate, shown.Ask, shown.Attributes["os"]));
        Assert.Equal((Tomorrow, Tomorrow.AddHours(2)), (shown.Start!.Value, shown.End!.Value));
        Assert.Empty(shown.Capacity);
        Assert.Equal(("cancelled", 50L, 11.5m, "linux"), (answer.Status, answer.Rate, answer.Ask, answer.Attributes["os"]));
        Assert.Empty(answer.Capacity);
        AssertSameJson(answer, await seller.Client.Get<OfferDto>($"/v1/offers/{cancelled.Id}"));
    }

    /// <summary>
    /// A resting need's row keeps only its job once its batch is stored, and takes its record from
    /// the engine again for an answer: a need with every field set answers an amendment and a
    /// cancellation as the store shows it, and a trade after that still carries its job whole.
    /// </summary>
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task RestingNeed_WithEveryFieldAmendedTradedAndCancelledAfterItsBatchWasStored_AnswersAsTheStoreShowsIt(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("lean-need-seller");
        var excluded = await exchange.Trader("lean-need-excluded");
        var buyer = await exchange.Trader("lean-need-buyer", 10_000_000);
        var job = new JobDto(
            "https://example.com/p.wasm", "blob:", "wasm", "p.wasm", new string('a', 64),
            [new JobInputDto("https://example.com/in.bin", new string('b', 64)), new JobInputDto("https://example.com/other.bin")]);
        var need = Need(market, 40, 3.00m, Tomorrow, 2) with
        {
            MaximumPrice = 4.50m, Fill = "min-fill", MinimumFill = 10, Expiry = Tomorrow.AddMinutes(-30), Constraints = ["os = linux"],
            PreferredSellers = [seller.Id], ExcludedSellers = [excluded.Id], Job = job,
        };
        var placed = (await buyer.PlaceNeed(need)).Need;

        var amended = await (await buyer.Client.Patch($"/v1/needs/{placed.Id}", new AmendOrderRequest(Price: 3.25m))).Read<NeedResultDto>(HttpStatusCode.OK);
        AssertSameJson(amended.Need, await buyer.Client.Get<NeedDto>($"/v1/needs/{placed.Id}"));
        Assert.Equal(
            (placed.Rate, placed.Start, placed.End, placed.MaximumPrice, placed.Mode, placed.Fill, placed.MinimumFill, placed.Expiry, 3.25m),
            (amended.Need.Rate, amended.Need.Start, amended.Need.End, amended.Need.MaximumPrice, amended.Need.Mode, amended.Need.Fill, amended.Need.MinimumFill, amended.Need.Expiry, amended.Need.Bid));
        Assert.Equal(placed.Constraints, amended.Need.Constraints);
        Assert.Equal([seller.Id], amended.Need.PreferredSellers);
        Assert.Equal([excluded.Id], amended.Need.ExcludedSellers);
        AssertSameJson(placed.Job!, amended.Need.Job!);

        var trade = Assert.Single((await seller.PlaceOffer(Offer(market, 15, 3.00m, Tomorrow, 2) with { Attributes = new Dictionary<string, string> { ["os"] = "linux" } })).Trades);
        var contract = Assert.Single((await seller.Client.Get<PageDto<ContractDto>>("/v1/contracts?role=seller")).Items);
        Assert.Equal(placed.Id, trade.NeedId);
        AssertSameJson(job, contract.Job!);

        var cancelled = await (await buyer.Client.DeleteAsync($"/v1/needs/{placed.Id}")).Read<NeedDto>(HttpStatusCode.OK);
        Assert.Equal(("cancelled", 40L, 25L, 3.25m), (cancelled.Status, cancelled.Rate, cancelled.Remaining, cancelled.Bid));
        AssertSameJson(job, cancelled.Job!);
        AssertSameJson(cancelled, await buyer.Client.Get<NeedDto>($"/v1/needs/{placed.Id}"));
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceNeed_NothingToMatch_RestsAndHoldsRateTimesHoursTimesBid(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var buyer = await exchange.Trader("hold-buyer", 100_000);

        var placed = await buyer.PlaceNeed(Need(market, 10, 2.5m, Tomorrow, 3) with { Job = new JobDto("https://example.com/p.wasm", "blob:") });

        Assert.Empty(placed.Trades);
        Assert.Null(placed.Negotiation);
        Assert.Equal(("open", 10L, 10L, 7_500L), (placed.Need.Status, placed.Need.Rate, placed.Need.Remaining, placed.Need.HeldMinor));
        Assert.Equal("https://example.com/p.wasm", placed.Need.Job!.Program);
        Assert.Equal(new AccountDto("USD", 2, 92_500, 7_500), await buyer.Account());
        AssertSameJson(placed.Need, await buyer.Client.Get<NeedDto>($"/v1/needs/{placed.Need.Id}"));
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceNeed_HoursTimesBidNotWholeCents_HoldsTheCeilingPerUnitAndReleasesWhatTheFillDoesNotUse(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("ceil-seller");
        var buyer = await exchange.Trader("ceil-buyer", 1_000);
        var need = Need(market, 3, 0.01m, Tomorrow, 1.5);

        // 1.5 h × 0.01 = 1.5 cents a unit, held as 2 cents a unit: 6 cents for 3 units (not 4.5 rounded to 5).
        var unit = Pricing.UnitCeiling(Window.Create(need.Start, need.End, TimeSpan.FromMinutes(1)).Value, new Price(0.01m), 2).Minor;
        var placed = await buyer.PlaceNeed(need);
        Assert.Equal(2, unit);
        Assert.Equal(6, placed.Need.HeldMinor);
        Assert.Equal(new AccountDto("USD", 2, 994, 6), await buyer.Account());

        // A fill of all 3 units at 0.01 costs 3 × 1.5 × 0.01 = 0.045, rounded half away from zero to 5 cents; 1 cent comes back.
        var offered = await seller.PlaceOffer(Offer(market, 3, 0.01m, Tomorrow, 1.5));
        var trade = Assert.Single(offered.Trades);
        Assert.Equal(5, trade.AmountMinor);
        Assert.Equal(new AccountDto("USD", 2, 995, 0), await buyer.Account());
        var filled = await buyer.Client.Get<NeedDto>($"/v1/needs/{placed.Need.Id}");
        Assert.Equal(("filled", 0L, 0L), (filled.Status, filled.Remaining, filled.HeldMinor));
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceNeed_CheaperOfferForPart_TradesAtTheAskAndKeepsHoldingOnlyTheRest(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("part-seller");
        var buyer = await exchange.Trader("part-buyer", 1_000_000);
        var offer = await seller.PlaceOffer(Offer(market, 30, 10m, Tomorrow, 6));

        var placed = await buyer.PlaceNeed(Need(market, 40, 12m, Tomorrow, 2));

        var trade = Assert.Single(placed.Trades);
        Assert.Equal((offer.Offer.Id, placed.Need.Id, 30L, 10m, 60_000L), (trade.OfferId, trade.NeedId, trade.Rate, trade.Price, trade.AmountMinor));
        Assert.Equal((buyer.Id, seller.Id), (trade.BuyerId!.Value, trade.SellerId!.Value));
        Assert.Equal(("open", 10L, 24_000L), (placed.Need.Status, placed.Need.Remaining, placed.Need.HeldMinor));
        Assert.Equal(new AccountDto("USD", 2, 1_000_000 - 60_000 - 24_000, 24_000), await buyer.Account());
        var sold = await seller.Client.Get<OfferDto>($"/v1/offers/{offer.Offer.Id}");
        Assert.Equal([new CapacitySegmentDto(Tomorrow.AddHours(2), 30), new CapacitySegmentDto(Tomorrow.AddHours(6), 0)], sold.Capacity);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task CancelNeed_Open_ReleasesTheHoldAndASecondCancelIs404(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var buyer = await exchange.Trader("cancel-buyer", 50_000);
        var placed = await buyer.PlaceNeed(Need(market, 10, 5m, Tomorrow, 2));
        Assert.Equal(new AccountDto("USD", 2, 40_000, 10_000), await buyer.Account());

        var cancelled = await (await buyer.Client.DeleteAsync($"/v1/needs/{placed.Need.Id}")).Read<NeedDto>(HttpStatusCode.OK);

        Assert.Equal(("cancelled", 10L, 0L), (cancelled.Status, cancelled.Remaining, cancelled.HeldMinor));
        Assert.Equal(new AccountDto("USD", 2, 50_000, 0), await buyer.Account());
        Assert.Equal("cancelled", (await buyer.Client.Get<NeedDto>($"/v1/needs/{placed.Need.Id}")).Status);
        await (await buyer.Client.DeleteAsync($"/v1/needs/{placed.Need.Id}")).Problem(HttpStatusCode.NotFound, "not-found");
        Assert.Equal(new AccountDto("USD", 2, 50_000, 0), await buyer.Account());
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task CancelOffer_Open_TakesItOutOfTheBook(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("cancel-seller");
        var buyer = await exchange.Trader("cancel-offer-buyer", 1_000_000);
        var offer = await seller.PlaceOffer(Offer(market, 50, 10m, Tomorrow, 6));

        var cancelled = await (await seller.Client.DeleteAsync($"/v1/offers/{offer.Offer.Id}")).Read<OfferDto>(HttpStatusCode.OK);
        var need = await buyer.PlaceNeed(Need(market, 10, 10m, Tomorrow, 1));

        Assert.Equal("cancelled", cancelled.Status);
        Assert.Empty(need.Trades);
        Assert.Empty((await exchange.CreateClient().Get<BookDto>($"/v1/markets/{market}/book?start=2026-11-24T12:00:00Z&end=2026-11-24T13:00:00Z")).Offers);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceNeed_BalanceShort_Is402InsufficientFundsAndChangesNothing(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("short-seller");
        var buyer = await exchange.Trader("short-buyer", 9_999);
        await seller.PlaceOffer(Offer(market, 10, 5m, Tomorrow, 2));
        var before = await buyer.Snapshot();

        // 10 × 2 h × 5.00 = 100.00, one cent more than there is.
        var detail = await (await buyer.Client.Post("/v1/needs", Need(market, 10, 5m, Tomorrow, 2))).Problem(HttpStatusCode.PaymentRequired, "insufficient-funds");

        Assert.Contains("100.00", detail, StringComparison.Ordinal);
        Assert.Contains("99.99", detail, StringComparison.Ordinal);
        Assert.Equal(before, await buyer.Snapshot());
        Assert.Empty((await exchange.CreateClient().Get<PageDto<TradeDto>>($"/v1/markets/{market}/trades")).Items);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task AmendOffer_RepriceToARestingBid_TradesAtTheBid(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("reprice-seller");
        var buyer = await exchange.Trader("reprice-buyer", 1_000_000);
        var need = await buyer.PlaceNeed(Need(market, 20, 8m, Tomorrow, 1));
        var offer = await seller.PlaceOffer(Offer(market, 20, 9m, Tomorrow, 1));
        Assert.Empty(offer.Trades);

        var amended = await (await seller.Client.Patch($"/v1/offers/{offer.Offer.Id}", new AmendOrderRequest(Price: 8m))).Read<OfferResultDto>(HttpStatusCode.OK);

        var trade = Assert.Single(amended.Trades);
        Assert.Equal((need.Need.Id, 8m, 20L, 16_000L, "offer"), (trade.NeedId, trade.Price, trade.Rate, trade.AmountMinor, trade.Aggressor));
        Assert.Equal(("filled", 8m), (amended.Offer.Status, amended.Offer.Ask));
        Assert.Equal("filled", (await buyer.Client.Get<NeedDto>($"/v1/needs/{need.Need.Id}")).Status);
        Assert.Equal(new AccountDto("USD", 2, 1_000_000 - 16_000, 0), await buyer.Account());
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task AmendNeed_RepriceUp_HoldsTheNewBidAndMatches(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("raise-seller");
        var buyer = await exchange.Trader("raise-buyer", 100_000);
        var need = await buyer.PlaceNeed(Need(market, 10, 9m, Tomorrow, 2));
        Assert.Equal(18_000, need.Need.HeldMinor);
        Assert.Empty((await seller.PlaceOffer(Offer(market, 10, 10m, Tomorrow, 2))).Trades);

        var amended = await (await buyer.Client.Patch($"/v1/needs/{need.Need.Id}", new AmendOrderRequest(Price: 10m))).Read<NeedResultDto>(HttpStatusCode.OK);

        var trade = Assert.Single(amended.Trades);
        Assert.Equal((10m, 20_000L), (trade.Price, trade.AmountMinor));
        Assert.Equal(("filled", 10m, 0L), (amended.Need.Status, amended.Need.Bid, amended.Need.HeldMinor));
        Assert.Equal(new AccountDto("USD", 2, 80_000, 0), await buyer.Account());
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task AmendNeed_RepriceUpBeyondTheBalance_Is402AndChangesNothing(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var buyer = await exchange.Trader("raise-short-buyer", 20_000);
        var need = await buyer.PlaceNeed(Need(market, 10, 9m, Tomorrow, 2));
        var before = await buyer.Snapshot();

        await (await buyer.Client.Patch($"/v1/needs/{need.Need.Id}", new AmendOrderRequest(Price: 11m))).Problem(HttpStatusCode.PaymentRequired, "insufficient-funds");

        Assert.Equal(before, await buyer.Snapshot());
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task AmendNeed_Reduce_ReleasesTheHoldOfTheUnitsGivenUp(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var buyer = await exchange.Trader("reduce-buyer", 100_000);
        var need = await buyer.PlaceNeed(Need(market, 10, 5m, Tomorrow, 2));

        var amended = await (await buyer.Client.Patch($"/v1/needs/{need.Need.Id}", new AmendOrderRequest(Rate: 4))).Read<NeedResultDto>(HttpStatusCode.OK);

        Assert.Equal(("open", 4L, 4_000L), (amended.Need.Status, amended.Need.Remaining, amended.Need.HeldMinor));
        Assert.Equal(new AccountDto("USD", 2, 96_000, 4_000), await buyer.Account());
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task AmendOffer_Reduce_LowersItsCapacityAndBelowWhatIsSoldIs409(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("reduce-seller");
        var buyer = await exchange.Trader("reduce-offer-buyer", 1_000_000);
        var offer = await seller.PlaceOffer(Offer(market, 100, 10m, Tomorrow, 6));
        await buyer.PlaceNeed(Need(market, 30, 10m, Tomorrow, 1));

        var amended = await (await seller.Client.Patch($"/v1/offers/{offer.Offer.Id}", new AmendOrderRequest(Rate: 60))).Read<OfferResultDto>(HttpStatusCode.OK);
        var before = await seller.Snapshot();
        await (await seller.Client.Patch($"/v1/offers/{offer.Offer.Id}", new AmendOrderRequest(Rate: 20))).Problem(HttpStatusCode.Conflict, "reduce-below-sold");

        Assert.Equal(60, amended.Offer.Rate);
        Assert.Contains(amended.Offer.Capacity, c => c.Start == Tomorrow && c.Spare == 30);
        Assert.Contains(amended.Offer.Capacity, c => c.Start == Tomorrow.AddHours(1) && c.Spare == 60);
        Assert.Equal(before, await seller.Snapshot());
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task ListOffers_ByMarketAndStatus_ShowsOnlyOwnNewestFirstAndPages(Store store)
    {
        var exchange = exchanges.For(store);
        var marketA = await exchange.NewMarket();
        var marketB = await exchange.NewMarket();
        var seller = await exchange.Trader("list-seller");
        var other = await exchange.Trader("list-other");
        var a1 = (await seller.PlaceOffer(Offer(marketA, 10, 10m, Tomorrow, 1))).Offer.Id;
        var a2 = (await seller.PlaceOffer(Offer(marketA, 10, 11m, Tomorrow, 1))).Offer.Id;
        var a3 = (await seller.PlaceOffer(Offer(marketA, 10, 12m, Tomorrow, 1))).Offer.Id;
        var b1 = (await seller.PlaceOffer(Offer(marketB, 10, 10m, Tomorrow, 1))).Offer.Id;
        await other.PlaceOffer(Offer(marketA, 10, 10m, Tomorrow, 1));
        await seller.Client.DeleteAsync($"/v1/offers/{a2}");

        async Task<long[]> Ids(string query) => [.. (await seller.Client.Get<PageDto<OfferDto>>("/v1/offers" + query)).Items.Select(o => o.Id)];

        Assert.Equal([b1, a3, a2, a1], await Ids(""));
        Assert.Equal([a3, a2, a1], await Ids($"?market={marketA}"));
        Assert.Equal([a3, a1], await Ids($"?market={marketA}&status=open"));
        Assert.Equal([a2], await Ids("?status=cancelled"));
        Assert.Empty(await Ids("?status=filled"));
        var first = await seller.Client.Get<PageDto<OfferDto>>($"/v1/offers?market={marketA}&limit=2");
        var second = await seller.Client.Get<PageDto<OfferDto>>($"/v1/offers?market={marketA}&limit=2&cursor={first.Next}");
        Assert.Equal([a3, a2], first.Items.Select(o => o.Id));
        Assert.Equal([a1], second.Items.Select(o => o.Id));
        Assert.Null(second.Next);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task ListNeeds_ByStatus_ShowsFilledCancelledAndOpen(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("needs-seller");
        var buyer = await exchange.Trader("needs-buyer", 1_000_000);
        await seller.PlaceOffer(Offer(market, 10, 10m, Tomorrow, 1));
        var filled = (await buyer.PlaceNeed(Need(market, 10, 10m, Tomorrow, 1))).Need.Id;
        var open = (await buyer.PlaceNeed(Need(market, 10, 5m, Tomorrow, 1))).Need.Id;
        var cancelled = (await buyer.PlaceNeed(Need(market, 10, 5m, Tomorrow, 1))).Need.Id;
        await buyer.Client.DeleteAsync($"/v1/needs/{cancelled}");

        async Task<long[]> Ids(string query) => [.. (await buyer.Client.Get<PageDto<NeedDto>>("/v1/needs" + query)).Items.Select(o => o.Id)];

        Assert.Equal([cancelled, open, filled], await Ids($"?market={market}"));
        Assert.Equal([filled], await Ids("?status=filled"));
        Assert.Equal([open], await Ids("?status=open"));
        Assert.Equal([cancelled], await Ids("?status=cancelled"));
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceOffer_RecurringRRule_SellsEveryOccurrenceInItsZone(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("weekend-seller");
        var buyer = await exchange.Trader("weekend-buyer", 100_000_000);
        var recurrence = new RecurrenceDto("FREQ=WEEKLY;BYDAY=SA", new TimeOnly(0, 0), 1440, "Europe/Zurich");

        var placed = await seller.PlaceOffer(new PlaceOfferRequest(market, 100, 41.67m, Recurrence: recurrence));

        // Saturday in Zurich (UTC+1 in November) is Friday 23:00 to Saturday 23:00 UTC, every week.
        var offer = placed.Offer;
        Assert.Equal(("open", "FREQ=WEEKLY;BYDAY=SA", new DateOnly(2026, 11, 23)), (offer.Status, offer.Recurrence!.Rule, offer.Recurrence.FirstDate!.Value));
        Assert.Null(offer.Start);
        Assert.Contains(offer.Capacity, c => c.Start == Saturday.AddHours(-1) && c.Spare == 100);
        Assert.Contains(offer.Capacity, c => c.Start == Saturday.AddHours(23) && c.Spare == 0);
        Assert.Contains(offer.Capacity, c => c.Start == Saturday.AddDays(7).AddHours(-1) && c.Spare == 100);

        var nextWeek = await buyer.PlaceNeed(Need(market, 100, 41.67m, Saturday.AddDays(7).AddHours(12), 6));
        var friday = await buyer.PlaceNeed(Need(market, 100, 41.67m, Saturday.AddHours(-2), 2));
        Assert.Equal(offer.Id, Assert.Single(nextWeek.Trades).OfferId);
        Assert.Empty(friday.Trades);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceNeed_SpotPartlyServed_TradesWhatIsThereAndCancelsTheRest(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("spot-seller");
        var buyer = await exchange.Trader("spot-buyer", 1_000_000);
        await seller.PlaceOffer(Offer(market, 30, 10m, Now, 4));

        var placed = await buyer.PlaceNeed(Need(market, 50, 10m, Now, 2, mode: "spot"));

        Assert.Equal(30, Assert.Single(placed.Trades).Rate);
        Assert.Equal(("cancelled", 20L, 0L, "spot"), (placed.Need.Status, placed.Need.Remaining, placed.Need.HeldMinor, placed.Need.Mode));
        Assert.Equal(new AccountDto("USD", 2, 1_000_000 - 60_000, 0), await buyer.Account());
        Assert.Equal("cancelled", (await buyer.Client.Get<NeedDto>($"/v1/needs/{placed.Need.Id}")).Status);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceNeed_PayrollExampleAskAboveBid_ReportsThePairToNegotiate(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("payroll-seller");
        var buyer = await exchange.Trader("payroll-buyer", 10_000_000);

        // $100,000 for 100 MFLOPS all Saturday is 41.67 per MFLOPS-hour; $10,000 for 100 MFLOPS over 6 hours is 16.67.
        var offer = await seller.PlaceOffer(Offer(market, 100, 41.67m, Saturday, 24));
        var need = await buyer.PlaceNeed(Need(market, 100, 16.67m, Saturday.AddHours(12), 6));

        Assert.Empty(need.Trades);
        var pair = need.Negotiation!;
        Assert.Equal(
            (need.Need.Id, offer.Offer.Id, 16.67m, 41.67m, 100L, Saturday.AddHours(12), Saturday.AddHours(18)),
            (pair.NeedId, pair.OfferId, pair.Bid, pair.Ask, pair.Rate, pair.Start, pair.End));
        Assert.Equal(("open", 1_000_200L), (need.Need.Status, need.Need.HeldMinor));
    }

    private static void AssertSameJson<T>(T expected, T actual) =>
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(expected, Infrastructure.Api.Json), System.Text.Json.JsonSerializer.Serialize(actual, Infrastructure.Api.Json));
}
