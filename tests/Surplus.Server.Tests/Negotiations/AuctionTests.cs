using System.Net;
using Surplus.Exchange.Engine;
using Surplus.Market;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Negotiations.NegotiationKit;

namespace Surplus.Server.Tests.Negotiations;

/// <summary>
/// Call auctions through the API (Figure 5): orders collect, clear at the interval's end at the
/// midpoint of bid and ask, and the operator's switch between clearing modes loses no order; and
/// the market settings that govern negotiation.
/// </summary>
public sealed class AuctionTests
{
    private static readonly DateTimeOffset Noon = Tuesday.AddHours(12);

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task CallAuction_ClearsAtTheInterval_AtMidpoints_AndSwitchingModesLosesNothing(Store store)
    {
        await using var kit = await Start(store);
        using var admin = kit.Exchange.CreateClient(ExchangeFactory.AdminKey);
        var market = await (await admin.Post("/v1/admin/markets", new CreateMarketRequest("batch", "MFLOPS", Clearing: "call-auction")))
            .Read<MarketDto>(HttpStatusCode.Created);
        Assert.Equal(("call-auction", 60), (market.Clearing, market.AuctionIntervalSeconds));
        var (_, _, seller2) = await kit.Exchange.Join("seller2");
        var (buyer2Id, _, buyer2) = await kit.Exchange.Join("buyer2");
        await kit.Exchange.Deposit(buyer2Id, Deposit);

        // During the interval nothing trades, not even orders that cross.
        await kit.Offer(new PlaceOfferRequest("batch", 50, 10m, Noon, Noon.AddHours(1)));
        await kit.Offer(new PlaceOfferRequest("batch", 50, 12m, Noon, Noon.AddHours(1)), seller2);
        var x = await kit.Need(new PlaceNeedRequest("batch", 60, Noon, Noon.AddHours(1), 14m));
        var y = await kit.Need(new PlaceNeedRequest("batch", 50, Noon, Noon.AddHours(1), 11m), buyer2);
        Assert.Empty(x.Trades);
        Assert.Null(x.Negotiation);
        Assert.Empty(await kit.Trades("batch"));

        // At 08:01 the highest bid meets the lowest asks: 50 at (14 + 10) / 2 and 10 at (14 + 12) / 2;
        // the bid of 11 reaches no ask left and waits for the next batch.
        kit.Exchange.Time.Advance(TimeSpan.FromSeconds(60));
        await Poll.Until(async () => (await kit.Trades("batch")).Count == 2, "the auction at the interval's end");
        var trades = (await kit.Trades("batch")).OrderBy(t => t.Id).ToList();
        Assert.Equal([(50L, 12m, 60_000L), (10L, 13m, 13_000L)], trades.Select(t => (t.Rate, t.Price, t.AmountMinor)));
        Assert.All(trades, t => Assert.Equal(x.Need.Id, t.NeedId));
        Assert.Equal(new AccountDto("USD", 2, Deposit - 73_000, 0), await kit.Account());
        Assert.Equal(new AccountDto("USD", 2, Deposit - 55_000, 55_000), await kit.Account(buyer2));
        Assert.Equal(("open", 50L), ((await ReadNeed(kit, buyer2, y.Need.Id)).Status, (await ReadNeed(kit, buyer2, y.Need.Id)).Remaining));

        // Continuous: a crossing need trades at once, at the resting ask.
        var continuous = await (await admin.Post("/v1/admin/markets/batch/clearing", new ChangeClearingRequest("continuous"))).Read<MarketDto>(HttpStatusCode.OK);
        Assert.Equal("continuous", continuous.Clearing);
        var z = await kit.Need(new PlaceNeedRequest("batch", 10, Noon, Noon.AddHours(1), 12m), buyer2);
        Assert.Equal((10L, 12m), (Assert.Single(z.Trades).Rate, z.Trades[0].Price));

        // Back to call auctions every two minutes; leaving them clears the pending batch first.
        var batched = await (await admin.Post("/v1/admin/markets/batch/clearing", new ChangeClearingRequest("call-auction", 120))).Read<MarketDto>(HttpStatusCode.OK);
        Assert.Equal(("call-auction", 120), (batched.Clearing, batched.AuctionIntervalSeconds));
        var w = await kit.Need(new PlaceNeedRequest("batch", 10, Noon, Noon.AddHours(1), 13m));
        Assert.Empty(w.Trades);
        await (await admin.Post("/v1/admin/markets/batch/clearing", new ChangeClearingRequest("continuous"))).Read<MarketDto>(HttpStatusCode.OK);
        var all = await kit.Trades("batch");
        Assert.Equal(4, all.Count);
        Assert.Equal((w.Need.Id, 12.5m, 12_500L), (all[0].NeedId, all[0].Price, all[0].AmountMinor));

        // Nothing was lost: the bid of 11 still rests, the second seller has 50 − 10 − 10 − 10 = 20 left.
        var book = await kit.Book("batch", Noon, Noon.AddHours(1));
        Assert.Equal([(12m, 20L)], book.Offers.Select(l => (l.Price, l.Rate)));
        Assert.Equal([(11m, 50L)], book.Needs.Select(l => (l.Price, l.Rate)));
        Assert.True((await kit.Ledger()).Balanced);

        // The mode and interval are stored with the market.
        await kit.Exchange.Restart();
        using var anonymous = kit.Exchange.CreateClient();
        var stored = await (await anonymous.GetAsync("/v1/markets/batch")).Read<MarketDto>(HttpStatusCode.OK);
        Assert.Equal(("continuous", 120), (stored.Clearing, stored.AuctionIntervalSeconds));
        Assert.Equal(Json(book), Json(await kit.Book("batch", Noon, Noon.AddHours(1))));
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PendingBatch_SurvivesARestart_AndClearsAtTheStoredInterval(Store store)
    {
        await using var kit = await Start(store);
        using var admin = kit.Exchange.CreateClient(ExchangeFactory.AdminKey);
        await (await admin.Post("/v1/admin/markets/compute/clearing", new ChangeClearingRequest("call-auction", 300))).Read<MarketDto>(HttpStatusCode.OK);
        await kit.Offer(new PlaceOfferRequest("compute", 50, 10m, Noon, Noon.AddHours(1)));
        await kit.Need(new PlaceNeedRequest("compute", 20, Noon, Noon.AddHours(1), 12m));

        await kit.Exchange.Restart();
        kit.Exchange.Time.Advance(TimeSpan.FromMinutes(4));
        await kit.Account();
        Assert.Empty(await kit.Trades("compute"));
        kit.Exchange.Time.Advance(TimeSpan.FromMinutes(1));
        await Poll.Until(async () => (await kit.Trades("compute")).Count == 1, "the batch to clear at 08:05");
        Assert.Equal((20L, 11m), ((await kit.Trades("compute"))[0].Rate, (await kit.Trades("compute"))[0].Price));
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    public async Task Settings_AreChecked_AndAMarketMayNotNegotiate(Store store)
    {
        await using var kit = await Start(store);
        using var admin = kit.Exchange.CreateClient(ExchangeFactory.AdminKey);
        await (await admin.Post("/v1/admin/markets/compute/clearing", new ChangeClearingRequest("weekly"))).Problem(HttpStatusCode.BadRequest, "clearing-invalid");
        await (await admin.Post("/v1/admin/markets/compute/clearing", new ChangeClearingRequest("call-auction", 7))).Problem(HttpStatusCode.BadRequest, "interval-invalid");
        await (await admin.Post("/v1/admin/markets/compute/clearing", new { clearing = "continuous", every = 5 })).Problem(HttpStatusCode.BadRequest, "json-invalid");
        await (await admin.Post("/v1/admin/markets/nowhere/clearing", new ChangeClearingRequest("continuous"))).Problem(HttpStatusCode.NotFound, "not-found");
        using (var member = kit.Exchange.CreateClient(kit.Buyer))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await member.Post("/v1/admin/markets/compute/clearing", new ChangeClearingRequest("continuous"))).StatusCode);
        }

        await (await admin.Post("/v1/admin/markets", new CreateMarketRequest("odd", "GB", AuctionIntervalSeconds: 7))).Problem(HttpStatusCode.BadRequest, "market-invalid");
        var quiet = await (await admin.Post("/v1/admin/markets", new CreateMarketRequest("quiet", "GB", OpensNegotiations: false, NegotiationTimeoutSeconds: 120)))
            .Read<MarketDto>(HttpStatusCode.Created);
        Assert.Equal((false, 120), (quiet.OpensNegotiations, quiet.NegotiationTimeoutSeconds));
        using var anonymous = kit.Exchange.CreateClient();
        var compute = await (await anonymous.GetAsync("/v1/markets/compute")).Read<MarketDto>(HttpStatusCode.OK);
        Assert.Equal((true, 600, "continuous"), (compute.OpensNegotiations, compute.NegotiationTimeoutSeconds, compute.Clearing));

        // Where negotiations are off, a bid below the lowest ask is only told so, and rests.
        await kit.Offer(new PlaceOfferRequest("quiet", 10, 10m, Noon, Noon.AddHours(1)));
        var low = await kit.Need(new PlaceNeedRequest("quiet", 10, Noon, Noon.AddHours(1), 8m));
        Assert.NotNull(low.Negotiation);
        Assert.Null(low.Negotiation.NegotiationId);
        Assert.Equal([(8m, 10L)], (await kit.Book("quiet", Noon, Noon.AddHours(1))).Needs.Select(l => (l.Price, l.Rate)));
        Assert.Empty(await kit.Negotiations(kit.Buyer));
    }

    [Fact]
    public void StoredDefinition_FromBeforeNegotiations_OpensThem_ButAnExplicitFalseStays()
    {
        var old = System.Text.Json.Nodes.JsonNode.Parse(StoredMarket.Write(new MarketDefinition { Id = "compute", Unit = "MFLOPS" }))!.AsObject();
        Assert.True(old.Remove("opensNegotiations"));
        Assert.True(StoredMarket.Read(old.ToJsonString()).OpensNegotiations);
        var off = StoredMarket.Write(new MarketDefinition { Id = "quiet", Unit = "GB", OpensNegotiations = false });
        Assert.False(StoredMarket.Read(off).OpensNegotiations);
        Assert.Equal(new MarketDefinition { Id = "quiet", Unit = "GB" }, StoredMarket.Read(off));
    }

    private static async Task<NeedDto> ReadNeed(NegotiationKit kit, string key, long id)
    {
        using var client = kit.Exchange.CreateClient(key);
        return await (await client.GetAsync($"/v1/needs/{id}")).Read<NeedDto>(HttpStatusCode.OK);
    }

    private static string Json<T>(T value) => System.Text.Json.JsonSerializer.Serialize(value);
}
