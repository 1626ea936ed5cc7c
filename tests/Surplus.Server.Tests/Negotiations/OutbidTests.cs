using System.Net;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Negotiations.NegotiationKit;

namespace Surplus.Server.Tests.Negotiations;

/// <summary>
/// Several buyers below one seller's ask (the regular auction): the highest bid negotiates, the
/// others are told they were outbid and rest; capacity a negotiation gives back opens nothing by
/// itself, and the offer arriving again (repriced) goes to the highest bid. The negotiation-needed
/// signal names the negotiation.
/// </summary>
public sealed class OutbidTests
{
    private static readonly DateTimeOffset Noon = Tuesday.AddHours(12);

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceOffer_AboveEveryBid_NegotiatesWithTheHighest_TellsTheOthers_AndALowerAskArrivesAgain(Store store)
    {
        await using var kit = await Start(store);
        var (buyer2Id, _, buyer2) = await kit.Exchange.Join("buyer2");
        await kit.Exchange.Deposit(buyer2Id, Deposit);
        var low = await kit.Need(new PlaceNeedRequest("compute", 10, Noon, Noon.AddHours(1), 15m));
        var high = await kit.Need(new PlaceNeedRequest("compute", 10, Noon, Noon.AddHours(1), 18m), buyer2);

        var offer = await kit.Offer(new PlaceOfferRequest("compute", 10, 20m, Noon, Noon.AddHours(1)));
        var offerId = offer.GetProperty("offer").GetProperty("id").GetInt64();

        var won = Assert.Single(await kit.Negotiations(buyer2));
        Assert.Equal((high.Need.Id, offerId, 18m, 20m, "open"), (won.NeedId, won.OfferId, won.BuyerPrice, won.SellerPrice, won.Status));
        Assert.Empty(await kit.Negotiations(kit.Buyer));
        foreach (var key in new[] { buyer2, kit.Seller })
        {
            var needed = (await kit.Signals(key)).Single(s => s.Type == "negotiation.needed");
            Assert.Equal(won.Id, needed.Data.GetProperty("negotiationId").GetInt64());
        }

        var outbid = Assert.Single(await kit.Signals(kit.Buyer), s => s.Type == "negotiation.outbid");
        Assert.Equal((low.Need.Id, offerId), (outbid.Data.GetProperty("needId").GetInt64(), outbid.Data.GetProperty("offerId").GetInt64()));
        Assert.DoesNotContain(await kit.Signals(kit.Seller), s => s.Type == "negotiation.outbid");
        Assert.Equal(("open", 15_000L), ((await kit.ReadNeed(low.Need.Id)).Status, (await kit.ReadNeed(low.Need.Id)).HeldMinor));

        // The winner walks away: the capacity comes back, and no negotiation opens by itself.
        var declined = await kit.Decline(buyer2, won.Id);
        Assert.Empty(declined.Trades);
        Assert.Empty(await kit.Negotiations(kit.Buyer, "?status=open"));
        Assert.Equal([(20m, 10L)], (await kit.Book("compute", Noon, Noon.AddHours(1))).Offers.Select(l => (l.Price, l.Rate)));

        // The seller lowers its ask: the offer arrives again and the highest bid below it negotiates.
        using (var seller = kit.Exchange.CreateClient(kit.Seller))
        {
            Assert.Equal(HttpStatusCode.OK, (await System.Net.Http.Json.HttpClientJsonExtensions.PatchAsJsonAsync(seller, $"/v1/offers/{offerId}", new AmendOrderRequest(Price: 19m), Infrastructure.Api.Json)).StatusCode);
        }

        var next = Assert.Single(await kit.Negotiations(buyer2, "?status=open"));
        Assert.Equal((high.Need.Id, offerId, 18m, 19m), (next.NeedId, next.OfferId, next.BuyerPrice, next.SellerPrice));
        Assert.Equal(2, (await kit.Signals(kit.Buyer)).Count(s => s.Type == "negotiation.outbid"));
        var sold = await kit.Accept(kit.Seller, next.Id, 0);
        Assert.Equal((10L, 18m, 18_000L), (Assert.Single(sold.Trades).Rate, sold.Trades[0].Price, sold.Trades[0].AmountMinor));
        Assert.Equal(new AccountDto("USD", 2, Deposit - 15_000, 15_000), await kit.Account());
        Assert.Equal(new AccountDto("USD", 2, Deposit - 18_000, 0), await kit.Account(buyer2));
        Assert.True((await kit.Ledger()).Balanced);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceNeed_BelowTheAsk_NegotiationNeededSignalNamesTheNegotiation_AndOneOfferNegotiatesOnceAWindow(Store store)
    {
        await using var kit = await Start(store);
        var (buyer2Id, _, buyer2) = await kit.Exchange.Join("buyer2");
        await kit.Exchange.Deposit(buyer2Id, Deposit);
        await kit.Offer(new PlaceOfferRequest("compute", 30, 20m, Noon, Noon.AddHours(2)));

        var placed = await kit.Need(new PlaceNeedRequest("compute", 10, Noon, Noon.AddHours(1), 15m));
        var id = Assert.IsType<long>(placed.Negotiation?.NegotiationId);
        foreach (var key in new[] { kit.Buyer, kit.Seller })
        {
            var signals = (await kit.Signals(key)).Where(s => s.Type.StartsWith("negotiation.", StringComparison.Ordinal)).ToList();
            Assert.Equal(["negotiation.needed", "negotiation.opened"], signals.Select(s => s.Type));
            Assert.Equal(id, signals[0].Data.GetProperty("negotiationId").GetInt64());
        }

        // A second buyer below the ask over an overlapping window is not locked with the same offer;
        // the twenty left are still for sale at the ask.
        var second = await kit.Need(new PlaceNeedRequest("compute", 10, Noon.AddMinutes(30), Noon.AddHours(2), 16m), buyer2);
        Assert.Null(second.Negotiation);
        Assert.Empty(await kit.Negotiations(buyer2));
        var third = await kit.Need(new PlaceNeedRequest("compute", 20, Noon, Noon.AddHours(1), 20m), buyer2);
        Assert.Equal(20L, Assert.Single(third.Trades).Rate);
        Assert.True((await kit.Ledger()).Balanced);
    }
}
