using System.Net;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Negotiations.NegotiationKit;

namespace Surplus.Server.Tests.Negotiations;

/// <summary>
/// Halting through the API: a halted market takes cancels and declines, its engine's clock goes on
/// (orders expire on the tick), but nothing trades and no call auction clears; halting, switching
/// the clearing mode, restarting and resuming lose no order.
/// </summary>
public sealed class HaltTests
{
    private static readonly DateTimeOffset Noon = Tuesday.AddHours(12);

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Halt_CallAuction_DoesNotClearOnTheTick_AndSwitchRestartResumeLoseNoOrder(Store store)
    {
        await using var kit = await Start(store);
        using var admin = kit.Exchange.CreateClient(ExchangeFactory.AdminKey);
        await (await admin.Post("/v1/admin/markets", new CreateMarketRequest("batch", "MFLOPS", Clearing: "call-auction"))).Read<MarketDto>(HttpStatusCode.Created);
        await kit.Offer(new PlaceOfferRequest("batch", 50, 10m, Noon, Noon.AddHours(1)));
        var bid = await kit.Need(new PlaceNeedRequest("batch", 20, Noon, Noon.AddHours(1), 12m));

        // Two needs that cannot trade and expire on the tick: they show that the engine's clock moved.
        var first = await kit.Need(new PlaceNeedRequest("batch", 1, Noon, Noon.AddHours(1), 1m, Expiry: Monday.AddMinutes(2)));
        var second = await kit.Need(new PlaceNeedRequest("batch", 1, Noon, Noon.AddHours(1), 1m, Expiry: Monday.AddMinutes(6)));

        var halted = await (await admin.PostAsync("/v1/admin/markets/batch/halt", null)).Read<MarketDto>(HttpStatusCode.OK);
        Assert.True(halted.Halted);
        await (await kit.Send(kit.Buyer, "/v1/needs", new PlaceNeedRequest("batch", 5, Noon, Noon.AddHours(1), 20m))).Problem(HttpStatusCode.Conflict, "market-halted");
        await (await kit.Send(kit.Seller, "/v1/offers", new PlaceOfferRequest("batch", 5, 1m, Noon, Noon.AddHours(1)))).Problem(HttpStatusCode.Conflict, "market-halted");

        // Three interval boundaries pass on the tick; the crossing pair does not trade.
        kit.Exchange.Time.Advance(TimeSpan.FromMinutes(3));
        await Poll.Until(async () => (await kit.ReadNeed(first.Need.Id)).Status == "expired", "the tick to expire the first marker need");
        Assert.Empty(await kit.Trades("batch"));

        // Leaving call auctions would clear the batch: refused while halted. A new interval is taken.
        var leave = await admin.Post("/v1/admin/markets/batch/clearing", new ChangeClearingRequest("continuous"));
        Assert.Contains("resume", await leave.Problem(HttpStatusCode.Conflict, "market-halted"), StringComparison.Ordinal);
        var slower = await (await admin.Post("/v1/admin/markets/batch/clearing", new ChangeClearingRequest("call-auction", 120))).Read<MarketDto>(HttpStatusCode.OK);
        Assert.Equal(("call-auction", 120, true), (slower.Clearing, slower.AuctionIntervalSeconds, slower.Halted));

        // The halt is stored: after a restart the market is still halted and still does not clear.
        await kit.Exchange.Restart();
        using var anonymous = kit.Exchange.CreateClient();
        Assert.True((await (await anonymous.GetAsync("/v1/markets/batch")).Read<MarketDto>(HttpStatusCode.OK)).Halted);
        kit.Exchange.Time.Advance(TimeSpan.FromMinutes(4)); // 08:07, past the boundaries at 08:04 and 08:06
        await Poll.Until(async () => (await kit.ReadNeed(second.Need.Id)).Status == "expired", "the tick to expire the second marker need");
        Assert.Empty(await kit.Trades("batch"));
        Assert.Equal(("open", 20L), ((await kit.ReadNeed(bid.Need.Id)).Status, (await kit.ReadNeed(bid.Need.Id)).Remaining));

        // Resuming clears nothing by itself; the next boundary (08:08) clears the batch as it stood.
        using var operatorAfterRestart = kit.Exchange.CreateClient(ExchangeFactory.AdminKey);
        var resumed = await (await operatorAfterRestart.PostAsync("/v1/admin/markets/batch/resume", null)).Read<MarketDto>(HttpStatusCode.OK);
        Assert.False(resumed.Halted);
        Assert.Empty(await kit.Trades("batch"));
        kit.Exchange.Time.Advance(TimeSpan.FromMinutes(1));
        await Poll.Until(async () => (await kit.Trades("batch")).Count == 1, "the batch to clear at 08:08");
        var trade = Assert.Single(await kit.Trades("batch"));
        Assert.Equal((bid.Need.Id, 20L, 11m, 22_000L), (trade.NeedId, trade.Rate, trade.Price, trade.AmountMinor));
        Assert.Equal([(10m, 30L)], (await kit.Book("batch", Noon, Noon.AddHours(1))).Offers.Select(l => (l.Price, l.Rate)));
        Assert.Equal(new AccountDto("USD", 2, Deposit - 22_000, 0), await kit.Account());
        Assert.True((await kit.Ledger()).Balanced);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Halt_Continuous_RefusesMovesButTakesADecline_AndResumeSellsWhatCameBack(Store store)
    {
        await using var kit = await Start(store);
        using var admin = kit.Exchange.CreateClient(ExchangeFactory.AdminKey);
        var (buyer2Id, _, buyer2) = await kit.Exchange.Join("buyer2");
        await kit.Exchange.Deposit(buyer2Id, Deposit);
        await kit.Offer(new PlaceOfferRequest("compute", 10, 20m, Noon, Noon.AddHours(1)));
        var low = await kit.Need(new PlaceNeedRequest("compute", 10, Noon, Noon.AddHours(1), 15m));
        var id = Assert.IsType<long>(low.Negotiation?.NegotiationId);

        // All ten are locked: a bid at the ask finds nothing free and rests.
        var high = await kit.Need(new PlaceNeedRequest("compute", 10, Noon, Noon.AddHours(1), 25m), buyer2);
        Assert.Empty(high.Trades);

        await (await admin.PostAsync("/v1/admin/markets/compute/halt", null)).Read<MarketDto>(HttpStatusCode.OK);
        await (await kit.Send(kit.Buyer, $"/v1/negotiations/{id}/counter", new CounterRequest(18m, 0))).Problem(HttpStatusCode.Conflict, "market-halted");
        await (await kit.Send(kit.Seller, $"/v1/negotiations/{id}/accept", new AcceptRequest(0))).Problem(HttpStatusCode.Conflict, "market-halted");
        Assert.Equal(new AccountDto("USD", 2, Deposit - 15_000, 15_000), await kit.Account());

        // The decline gives the ten back, but a halted market sells them to nobody.
        var declined = await kit.Decline(kit.Buyer, id);
        Assert.Equal("declined", declined.Negotiation.Status);
        Assert.Empty(declined.Trades);
        Assert.Empty(await kit.Trades("compute"));

        // Resuming meets the bid that waited, at the ask of the offer that was there first.
        await (await admin.PostAsync("/v1/admin/markets/compute/resume", null)).Read<MarketDto>(HttpStatusCode.OK);
        var trade = Assert.Single(await kit.Trades("compute"));
        Assert.Equal((high.Need.Id, 10L, 20m), (trade.NeedId, trade.Rate, trade.Price));
        Assert.Equal(new AccountDto("USD", 2, Deposit - 20_000, 0), await kit.Account(buyer2));
        Assert.Equal(("open", 15_000L), ((await kit.ReadNeed(low.Need.Id)).Status, (await kit.ReadNeed(low.Need.Id)).HeldMinor));
        Assert.True((await kit.Ledger()).Balanced);
    }
}
