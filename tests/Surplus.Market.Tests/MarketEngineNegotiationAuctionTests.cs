using Xunit;
using static Surplus.Market.Tests.TestMarket;

namespace Surplus.Market.Tests;

/// <summary>
/// One seller's capacity wanted by several buyers below its ask: one negotiation per offer and
/// window at a time, the highest bid first (ties by time), the others told and resting, and the
/// capacity auctioned again when a negotiation gives it back (docs/market.md).
/// </summary>
public sealed class MarketEngineNegotiationAuctionTests
{
    private static readonly Window Afternoon = Hours(21, 12, 18);
    private static readonly Window Evening = Hours(21, 18, 22);
    private static readonly Window LateAfternoon = Hours(21, 15, 20);

    private readonly EngineDriver market = new(Compute with { OpensNegotiations = true }, At(20, 8));

    private IReadOnlyList<MarketEvent> Run(MarketCommand command) => market.Execute(command);

    private static NegotiationState Opened(IEnumerable<MarketEvent> events) => events.OfType<NegotiationOpened>().Single().Negotiation;

    [Fact]
    public void PlaceNeed_OfferAlreadyNegotiatingOverTheWindow_OpensNoSecondNegotiationAndLeavesTheRestForSale()
    {
        market.Rest(Offer(1, Alice, 30, 2.00m, Afternoon));
        Opened(market.Place(Need(1, Bob, 10, 1.00m, Afternoon)));

        var second = market.Place(Need(2, Carol, 10, 1.50m, LateAfternoon));

        Assert.DoesNotContain(second, e => e is NegotiationOpened or NegotiationNeeded);
        Assert.IsType<OrderRested>(second[^1]);
        Assert.Single(market.Engine.Negotiations);

        // The twenty not locked are still for sale at the ask; the locked ten are not.
        var buyer = market.Place(Need(3, Dave, 30, 2.00m, Afternoon));
        Assert.Equal([(3L, 1L, 20L, 2.00m)], buyer.Fills());
    }

    [Fact]
    public void PlaceNeed_CheapestOfferEngaged_NegotiatesWithTheNextSeller()
    {
        market.Rest(Offer(1, Alice, 30, 2.00m, Afternoon), Offer(2, Carol, 30, 3.00m, Afternoon));
        Opened(market.Place(Need(1, Bob, 10, 1.00m, Afternoon)));

        var n = Opened(market.Place(Need(2, Dave, 10, 1.50m, Afternoon)));

        Assert.Equal((new OfferId(2), Carol, new Price(3.00m)), (n.Offer, n.Seller, n.SellerPrice));
    }

    [Fact]
    public void PlaceNeed_WindowsThatDoNotOverlap_MayNegotiateWithTheSameOffer()
    {
        var day = Hours(21, 8, 22);
        market.Rest(Offer(1, Alice, 10, 2.00m, day));
        Opened(market.Place(Need(1, Bob, 10, 1.00m, Afternoon)));

        var n = Opened(market.Place(Need(2, Carol, 10, 1.00m, Evening)));

        Assert.Equal(new OfferId(1), n.Offer);
        Assert.Equal(0, market.SpareOf(1, Afternoon));
        Assert.Equal(0, market.SpareOf(1, Evening));
    }

    [Fact]
    public void PlaceNeed_NegotiationNeeded_NamesTheNegotiationItOpened()
    {
        market.Rest(Offer(1, Alice, 10, 2.00m, Afternoon));

        var events = market.Place(Need(1, Bob, 10, 1.00m, Afternoon));

        Assert.Equal(Opened(events).Id, events.OfType<NegotiationNeeded>().Single().Negotiation);
        var plain = new EngineDriver(Compute, At(20, 8));
        plain.Rest(Offer(1, Alice, 10, 2.00m, Afternoon));
        Assert.Null(plain.Place(Need(1, Bob, 10, 1.00m, Afternoon)).OfType<NegotiationNeeded>().Single().Negotiation);
    }

    [Fact]
    public void PlaceOffer_AskAboveEveryBid_NegotiatesWithTheHighestBidAndTellsTheOthersTheyWereOutbid()
    {
        market.Rest(
            Need(1, Bob, 10, 1.00m, Afternoon),
            Need(2, Carol, 10, 1.50m, Afternoon),
            Need(3, Dave, 10, 1.50m, LateAfternoon), // same bid, later: loses the tie
            Need(4, Bob, 10, 1.20m, Evening));       // another window: not competing

        var events = market.Place(Offer(1, Alice, 10, 2.00m, Hours(21, 8, 22)));

        var n = Opened(events);
        Assert.Equal((new NeedId(2), Carol, new Price(1.50m), new Price(2.00m)), (n.Need, n.Buyer, n.BuyerPrice, n.SellerPrice));
        Assert.Equal(n.Id, events.OfType<NegotiationNeeded>().Single().Negotiation);
        Assert.Equal(
            [new NegotiationOutbid(new NeedId(3), Dave, new OfferId(1), LateAfternoon, market.Now), new NegotiationOutbid(new NeedId(1), Bob, new OfferId(1), Afternoon, market.Now)],
            events.OfType<NegotiationOutbid>());
        Assert.Equal([new NeedId(3), new NeedId(4), new NeedId(1)], market.Engine.Needs.Select(x => x.Spec.Id));
        Assert.IsType<OrderRested>(events[^1]);
    }

    [Fact]
    public void PlaceOffer_CrossingBidsFirst_ThenNegotiatesWhatIsLeft()
    {
        market.Rest(Need(1, Bob, 5, 2.50m, Afternoon), Need(2, Carol, 10, 1.50m, Afternoon));

        var events = market.Place(Offer(1, Alice, 10, 2.00m, Afternoon));

        Assert.Equal([(1L, 1L, 5L, 2.50m)], events.Fills());
        var n = Opened(events);
        Assert.Equal((new NeedId(2), new Rate(5)), (n.Need, n.Rate));
        Assert.Equal(0, market.SpareOf(1, Afternoon));
    }

    [Fact]
    public void PlaceOffer_Spot_DoesNotNegotiate()
    {
        market.Rest(Need(1, Bob, 10, 1.50m, Afternoon));

        var events = market.Place(Offer(1, Alice, 10, 2.00m, Afternoon) with { Mode = OrderMode.Spot });

        Assert.DoesNotContain(events, e => e is NegotiationOpened);
        Assert.IsType<OrderCancelled>(events[^1]);
    }

    [Fact]
    public void PlaceOffer_HiddenLimitsMeet_AgreesAtOnceWithTheRestingNeed()
    {
        market.Rest(Need(1, Bob, 10, 1.50m, Afternoon) with { MaximumPrice = new Price(1.90m) });

        var events = market.Place(Offer(1, Alice, 10, 2.00m, Afternoon) with { MinimumPrice = new Price(1.70m) });

        Assert.Equal([(1L, 1L, 10L, 1.80m)], events.Fills()); // midpoint of [1.70, 1.90]
        Assert.Contains(new OrderFilled(OrderKey.Of(new NeedId(1)), Bob, market.Now), events);
        Assert.Equal(new OrderFilled(OrderKey.Of(new OfferId(1)), Alice, market.Now), events[^1]);
        Assert.Single(events.OfType<OrderFilled>(), f => f.Order.Side == OrderSide.Offer);
        Assert.Empty(market.Engine.Needs);
        Assert.Empty(market.Engine.Offers);
    }

    [Fact]
    public void Decline_CapacityComesBack_OpensNoNegotiationByItself()
    {
        market.Rest(Offer(1, Alice, 10, 2.00m, Afternoon));
        var first = Opened(market.Place(Need(1, Bob, 10, 1.00m, Afternoon)));
        market.Rest(Need(2, Carol, 10, 1.20m, Afternoon), Need(3, Dave, 10, 1.60m, Afternoon));

        var events = Run(new DeclineNegotiation(first.Id, Bob, market.Now));

        // Re-pairing at each decline would pass the capacity round the same bids for ever.
        Assert.DoesNotContain(events, e => e is NegotiationOpened or NegotiationOutbid);
        Assert.Equal([new NeedId(3), new NeedId(2), new NeedId(1)], market.Engine.Needs.Select(x => x.Spec.Id));
        Assert.Equal(10, market.SpareOf(1, Afternoon));

        // The seller lowering its ask arrives again: the highest bid below it negotiates.
        var lowered = market.Amend(OrderKey.Of(new OfferId(1)), Alice, price: 1.80m);
        Assert.Equal(new NeedId(3), Opened(lowered).Need);
    }

    [Fact]
    public void Decline_WhileABidAtTheAskWaited_SellsItAtTheAsk()
    {
        market.Rest(Offer(1, Alice, 10, 2.00m, Afternoon));
        var first = Opened(market.Place(Need(1, Bob, 10, 1.00m, Afternoon)));
        market.Rest(Need(2, Carol, 10, 2.50m, Afternoon)); // nothing free to take while the ten are locked

        var events = Run(new DeclineNegotiation(first.Id, Alice, market.Now));

        var trade = Assert.Single(events.Trades());
        Assert.Equal((new NeedId(2), new Rate(10), new Price(2.00m), OrderSide.Need), (trade.Need, trade.Rate, trade.Price, trade.Aggressor));
        Assert.Equal(new OrderFilled(OrderKey.Of(new OfferId(1)), Alice, market.Now), events[^1]);
        Assert.Equal([new NeedId(1)], market.Engine.Needs.Select(x => x.Spec.Id));
    }

    [Fact]
    public void Deadline_CapacityComesBack_AfterTheExpiriesOfTheSameInstant()
    {
        market.Rest(Offer(1, Alice, 10, 2.00m, Afternoon));
        var first = Opened(market.Place(Need(1, Bob, 10, 1.00m, Afternoon)));
        market.Rest(Need(2, Carol, 10, 2.50m, Afternoon) with { Expiry = first.Deadline }, Need(3, Dave, 10, 2.20m, Afternoon));

        var events = market.AdvanceTo(first.Deadline);

        Assert.Contains(new OrderExpired(OrderKey.Of(new NeedId(2)), Carol, new Rate(10), market.Now), events);
        Assert.Equal([(3L, 1L, 10L, 2.00m)], events.Fills());
    }

    [Fact]
    public void Restore_WithAnEngagedOffer_StillRefusesASecondNegotiationOverTheWindow()
    {
        market.Rest(Offer(1, Alice, 30, 2.00m, Afternoon));
        Opened(market.Place(Need(1, Bob, 10, 1.00m, Afternoon)));
        var restored = MarketEngine.Restore(market.Market, market.Engine.Export());

        var events = restored.Execute(new PlaceNeed(Need(2, Carol, 10, 1.50m, Afternoon), market.Now));

        Assert.DoesNotContain(events, e => e is NegotiationOpened);
    }

    [Fact]
    public void AmendOffer_RateCutIntoWhatANegotiationLocks_EndsTheNegotiationInsteadOfRefusing()
    {
        market.Rest(Offer(1, Alice, 10, 2.00m, Afternoon));
        var n = Opened(market.Place(Need(1, Bob, 10, 1.00m, Afternoon)));

        var events = market.Amend(OrderKey.Of(new OfferId(1)), Alice, rate: 6);

        Assert.Equal(NegotiationOutcome.Withdrawn, events.OfType<NegotiationEnded>().Single().Outcome);
        Assert.Contains(new OrderAmended(OrderKey.Of(new OfferId(1)), Alice, new Price(2.00m), new Rate(6), false, market.Now), events);
        Assert.Equal(6, market.SpareOf(1, Afternoon));
        Assert.Null(market.Engine.FindNegotiation(n.Id));
        Assert.Equal([new NeedId(1)], market.Engine.Needs.Select(x => x.Spec.Id));
    }
}
