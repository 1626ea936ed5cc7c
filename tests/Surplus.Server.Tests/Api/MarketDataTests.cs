using System.Net;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Api.ApiKit;

namespace Surplus.Server.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class MarketDataTests(Exchanges exchanges)
{
    private static string At(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Summary_AfterTrades_ShowsBestPricesDepthLastTradeAndDayVolume(Store store)
    {
        var exchange = exchanges.For(store);

        // Without negotiations, so the bid below every ask rests in the book rather than locking the dear offer.
        var market = "m-" + Guid.NewGuid().ToString("N")[..10];
        using (var admin = exchange.Admin())
        {
            await (await admin.Post("/v1/admin/markets", new CreateMarketRequest(market, "MFLOPS", OpensNegotiations: false))).Read<MarketDto>(HttpStatusCode.Created);
        }

        var cheap = await exchange.Trader("summary-cheap");
        var dear = await exchange.Trader("summary-dear");
        var buyer = await exchange.Trader("summary-buyer", 10_000_000);
        await cheap.PlaceOffer(Offer(market, 100, 10m, Tomorrow, 6));
        await dear.PlaceOffer(Offer(market, 50, 12m, Tomorrow, 6));

        // Outside the summary's window and an hour long: the day's volume sums trades of every window length.
        await buyer.PlaceNeed(Need(market, 10, 11m, Tomorrow.AddHours(3), 1));
        await buyer.PlaceNeed(Need(market, 30, 11m, Tomorrow, 2));
        await buyer.PlaceNeed(Need(market, 80, 12m, Tomorrow, 2));
        await buyer.PlaceNeed(Need(market, 20, 9m, Tomorrow, 2));
        var summary = await buyer.Client.Get<MarketSummaryDto>($"/v1/markets/{market}/summary?start={At(Tomorrow)}&end={At(Tomorrow.AddHours(2))}");

        // 10 at 10 for an hour; then 30 at 10, then 70 at 10 and 10 at 12 for two; the bid at 9 rests.
        Assert.Equal((Tomorrow, Tomorrow.AddHours(2)), (summary.Start, summary.End));
        Assert.Equal((12m, 40L, 40L), (summary.BestOffer!.Value, summary.BestOfferRate, summary.OfferRate));
        Assert.Equal((9m, 20L, 20L), (summary.BestNeed!.Value, summary.BestNeedRate, summary.NeedRate));
        Assert.Equal((12m, Now), (summary.LastPrice!.Value, summary.LastTradeAt!.Value));
        Assert.Equal((4L, 230m, 2_340_00L), (summary.Trades24h, summary.Volume24h, summary.Amount24hMinor));
        Assert.False(summary.Halted);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Summary_NoWindowAndNoTrades_UsesTheComingHourAndShowsNothing(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        using var anonymous = exchange.CreateClient();

        var summary = await anonymous.Get<MarketSummaryDto>($"/v1/markets/{market}/summary");

        Assert.Equal((Now.AddHours(1), Now.AddHours(2)), (summary.Start, summary.End));
        Assert.Equal((null, null, null, null), (summary.BestOffer, summary.BestNeed, summary.LastPrice, summary.LastTradeAt));
        Assert.Equal((0L, 0m, 0L), (summary.Trades24h, summary.Volume24h, summary.Amount24hMinor));
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Candles_TradesInOneHour_OneCandleWithOpenHighLowCloseAndVolume(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var cheap = await exchange.Trader("candle-cheap");
        var dear = await exchange.Trader("candle-dear");
        var buyer = await exchange.Trader("candle-buyer", 10_000_000);
        await dear.PlaceOffer(Offer(market, 50, 12m, Tomorrow, 6));
        await buyer.PlaceNeed(Need(market, 10, 12m, Tomorrow, 1));   // 10 at 12
        await cheap.PlaceOffer(Offer(market, 100, 10m, Tomorrow, 6));
        await buyer.PlaceNeed(Need(market, 30, 11m, Tomorrow, 2));   // 30 at 10
        await buyer.PlaceNeed(Need(market, 5, 11m, Tomorrow, 1));     // 5 at 10

        var hourly = await exchange.CreateClient().Get<CandlesDto>(
            $"/v1/markets/{market}/candles?interval=1h&start={At(Now.AddHours(-2))}&end={At(Now.AddHours(1))}");

        var candle = Assert.Single(hourly.Candles);
        Assert.Equal(("1h", Now.AddHours(-2), Now.AddHours(1)), (hourly.Interval, hourly.Start, hourly.End));
        Assert.Equal(Now, candle.Start);
        Assert.Equal((12m, 12m, 10m, 10m), (candle.Open, candle.High, candle.Low, candle.Close));
        Assert.Equal((10m + 60m + 5m, 3), (candle.Volume, candle.Trades));
        Assert.Equal(120_00L + 600_00L + 50_00L, candle.AmountMinor);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Candles_TradesTenMinutesApart_SplitIntoFiveMinuteCandlesAndJoinInAnHour(Store store)
    {
        // A clock of its own: the shared exchanges' clock must not move.
        await using var exchange = new ExchangeFactory(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("split-seller");
        var buyer = await exchange.Trader("split-buyer", 10_000_000);
        await seller.PlaceOffer(Offer(market, 100, 10m, Tomorrow, 6));
        await buyer.PlaceNeed(Need(market, 10, 10m, Tomorrow, 1));
        exchange.Time.Advance(TimeSpan.FromMinutes(10));
        await seller.PlaceOffer(Offer(market, 100, 8m, Tomorrow, 6));
        await buyer.PlaceNeed(Need(market, 10, 10m, Tomorrow, 1));
        using var client = exchange.CreateClient();

        var fine = await client.Get<CandlesDto>($"/v1/markets/{market}/candles?interval=5m&start={At(Now)}&end={At(Now.AddMinutes(15))}");
        var coarse = await client.Get<CandlesDto>($"/v1/markets/{market}/candles?interval=1h&start={At(Now)}&end={At(Now.AddHours(1))}");
        var later = await client.Get<CandlesDto>($"/v1/markets/{market}/candles?interval=5m&start={At(Now.AddMinutes(15))}&end={At(Now.AddHours(1))}");

        Assert.Equal([(Now, 10m, 1), (Now.AddMinutes(10), 8m, 1)], fine.Candles.Select(c => (c.Start, c.Close, c.Trades)));
        var hour = Assert.Single(coarse.Candles);
        Assert.Equal((10m, 10m, 8m, 8m, 2), (hour.Open, hour.High, hour.Low, hour.Close, hour.Trades));
        Assert.Empty(later.Candles);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Capacity_PerSlot_ShowsUnsoldAgainstContractedAndDropsACancelledContract(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("capacity-seller");
        var buyer = await exchange.Trader("capacity-buyer", 10_000_000);
        await seller.PlaceOffer(Offer(market, 100, 10m, Tomorrow, 6));
        await buyer.PlaceNeed(Need(market, 30, 10m, Tomorrow, 2));
        var path = $"/v1/markets/{market}/capacity?start={At(Tomorrow.AddHours(-1))}&end={At(Tomorrow.AddHours(7))}";
        using var client = exchange.CreateClient();

        var capacity = await client.Get<CapacityDto>(path);

        Assert.Equal((60, 480, "MFLOPS"), (capacity.BucketSeconds, capacity.Buckets.Count, capacity.Unit));
        CapacityBucketDto Slot(CapacityDto c, DateTimeOffset at) => c.Buckets.Single(b => b.Start == at);
        Assert.Equal((0m, 0m), (Slot(capacity, Tomorrow.AddMinutes(-1)).Offered, Slot(capacity, Tomorrow.AddMinutes(-1)).Contracted));
        Assert.Equal((70m, 30m), (Slot(capacity, Tomorrow).Offered, Slot(capacity, Tomorrow).Contracted));
        Assert.Equal((70m, 30m), (Slot(capacity, Tomorrow.AddMinutes(119)).Offered, Slot(capacity, Tomorrow.AddMinutes(119)).Contracted));
        Assert.Equal((100m, 0m), (Slot(capacity, Tomorrow.AddHours(2)).Offered, Slot(capacity, Tomorrow.AddHours(2)).Contracted));
        Assert.Equal((0m, 0m), (Slot(capacity, Tomorrow.AddHours(6)).Offered, Slot(capacity, Tomorrow.AddHours(6)).Contracted));
        Assert.Equal(Tomorrow.AddMinutes(1), Slot(capacity, Tomorrow).End);

        var contract = Assert.Single((await buyer.Client.Get<PageDto<ContractDto>>($"/v1/contracts?limit=10")).Items);
        await (await buyer.Client.Post($"/v1/contracts/{contract.Id}/cancel", new ContractReasonRequest("plans changed"))).Read<ContractDto>(HttpStatusCode.OK);
        var afterCancel = await client.Get<CapacityDto>(path);

        Assert.Equal(0m, Slot(afterCancel, Tomorrow).Contracted);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Capacity_LongRange_UsesCoarserBucketsWithTimeWeightedMeans(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("coarse-seller");
        var buyer = await exchange.Trader("coarse-buyer", 10_000_000);
        await seller.PlaceOffer(Offer(market, 100, 10m, Tomorrow, 6));
        await buyer.PlaceNeed(new PlaceNeedRequest(market, 30, Tomorrow.AddMinutes(5), Tomorrow.AddMinutes(10), 10m));
        using var client = exchange.CreateClient();

        var threeDays = await client.Get<CapacityDto>($"/v1/markets/{market}/capacity?start={At(Now)}&end={At(Now.AddDays(3))}");
        var month = await client.Get<CapacityDto>($"/v1/markets/{market}/capacity?start={At(Now)}&end={At(Now.AddDays(31))}");
        var byDefault = await client.Get<CapacityDto>($"/v1/markets/{market}/capacity");

        // 15-minute buckets: 12:00–12:15 holds 100 for 10 minutes and 70 for 5 (mean 90), 30 contracted for 5 (mean 10).
        Assert.Equal((900, 288), (threeDays.BucketSeconds, threeDays.Buckets.Count));
        var bucket = threeDays.Buckets.Single(b => b.Start == Tomorrow);
        Assert.Equal((Tomorrow.AddMinutes(15), 90m, 10m), (bucket.End, bucket.Offered, bucket.Contracted));
        Assert.Equal((100m, 0m), (threeDays.Buckets.Single(b => b.Start == Tomorrow.AddMinutes(15)).Offered, threeDays.Buckets.Single(b => b.Start == Tomorrow.AddMinutes(15)).Contracted));
        Assert.True(month.Buckets.Count <= 500, $"{month.Buckets.Count} buckets");
        Assert.Equal(7200, month.BucketSeconds);
        Assert.Equal((Now, Now.AddDays(3), 900), (byDefault.Start, byDefault.End, byDefault.BucketSeconds));
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task MarketData_BadInput_IsAProblemThatSaysWhatToFix(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        using var client = exchange.CreateClient();
        var start = At(Tomorrow);

        foreach (var what in new[] { "summary", "candles", "capacity" })
        {
            await (await client.GetAsync($"/v1/markets/no-such-market/{what}")).Problem(HttpStatusCode.NotFound, "not-found");
        }

        Assert.Contains("1m, 5m, 15m, 1h, 6h, 1d", await (await client.GetAsync($"/v1/markets/{market}/candles?interval=2h")).Problem(HttpStatusCode.BadRequest, "interval-invalid"), StringComparison.Ordinal);
        Assert.Contains("1h boundaries", await (await client.GetAsync($"/v1/markets/{market}/candles?interval=1h&start={At(Tomorrow.AddMinutes(30))}&end={At(Tomorrow.AddHours(2))}"))
            .Problem(HttpStatusCode.BadRequest, "range-not-aligned"), StringComparison.Ordinal);
        await (await client.GetAsync($"/v1/markets/{market}/candles?interval=1h&start={start}&end={start}")).Problem(HttpStatusCode.BadRequest, "range-invalid");
        Assert.Contains("1000", await (await client.GetAsync($"/v1/markets/{market}/candles?interval=1m&start={start}&end={At(Tomorrow.AddDays(1))}"))
            .Problem(HttpStatusCode.BadRequest, "range-too-long"), StringComparison.Ordinal);
        await (await client.GetAsync($"/v1/markets/{market}/candles?interval=1h&start=yesterday")).Problem(HttpStatusCode.BadRequest, "request-invalid");

        await (await client.GetAsync($"/v1/markets/{market}/capacity?start={start}")).Problem(HttpStatusCode.BadRequest, "window-missing");
        await (await client.GetAsync($"/v1/markets/{market}/capacity?start={At(Tomorrow.AddSeconds(30))}&end={At(Tomorrow.AddHours(1))}"))
            .Problem(HttpStatusCode.BadRequest, "window-not-aligned");
        await (await client.GetAsync($"/v1/markets/{market}/capacity?start={At(Tomorrow.AddHours(1))}&end={start}")).Problem(HttpStatusCode.BadRequest, "window-reversed");
        Assert.Contains("31 days", await (await client.GetAsync($"/v1/markets/{market}/capacity?start={start}&end={At(Tomorrow.AddDays(32))}"))
            .Problem(HttpStatusCode.BadRequest, "range-too-long"), StringComparison.Ordinal);

        await (await client.GetAsync($"/v1/markets/{market}/summary?start={start}")).Problem(HttpStatusCode.BadRequest, "window-missing");
        await (await client.GetAsync($"/v1/markets/{market}/summary?start={At(Tomorrow.AddSeconds(1))}&end={At(Tomorrow.AddHours(1))}"))
            .Problem(HttpStatusCode.BadRequest, "window-not-aligned");
    }
}
