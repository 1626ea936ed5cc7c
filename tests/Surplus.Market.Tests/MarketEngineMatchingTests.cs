using Xunit;
using static Surplus.Market.Tests.TestMarket;

namespace Surplus.Market.Tests;

/// <summary>Continuous matching (Figure 4 and its mirror): eligibility, priority, fills and fill policies.</summary>
public sealed class MarketEngineMatchingTests
{
    private static readonly Window Afternoon = Hours(21, 12, 18);

    private readonly EngineDriver market = new(Compute, At(20, 8));

    [Fact]
    public void PlaceNeed_OfferAtOrBelowBid_TradesAtTheAskForTheWholeWindow()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Hours(21, 8, 20)));

        var events = market.Place(Need(1, Bob, 10, 1.20m, Afternoon));

        Assert.Collection(events,
            e => Assert.Equal(new OrderAccepted(OrderKey.Of(new NeedId(1)), Bob, market.Now), e),
            e =>
            {
                var trade = Assert.IsType<Traded>(e).Trade;
                Assert.Equal(new TradeId(1), trade.Id);
                Assert.Equal("compute", trade.Market);
                Assert.Equal((new NeedId(1), new OfferId(1), Bob, Alice), (trade.Need, trade.Offer, trade.Buyer, trade.Seller));
                Assert.Equal(new Rate(10), trade.Rate);
                Assert.Equal(Afternoon, trade.Window);
                Assert.Equal(new Price(1.00m), trade.Price);
                Assert.Equal(new Money(6_000), trade.Amount); // 10 × 6 h × 1.00 = 60.00
                Assert.Equal(OrderSide.Need, trade.Aggressor);
                Assert.Equal(market.Now, trade.At);
            },
            e => Assert.Equal(new OrderFilled(OrderKey.Of(new NeedId(1)), Bob, market.Now), e));
        Assert.Equal(0, market.SpareOf(1, Afternoon));
        Assert.Equal(10, market.SpareOf(1, Hours(21, 8, 12)));
        Assert.Equal(10, market.SpareOf(1, Hours(21, 18, 20)));
    }

    [Fact]
    public void PlaceNeed_MarketWithFee_ChargesBasisPointsOfTheAmount()
    {
        var withFee = new EngineDriver(Compute with { FeeBasisPoints = 25 }, At(20, 8));
        withFee.Rest(Offer(1, Alice, 7, 1.23m, Afternoon));

        var trade = Assert.Single(withFee.Place(Need(1, Bob, 7, 1.23m, Afternoon)).Trades());

        Assert.Equal(new Money(5_166), trade.Amount); // 7 × 6 × 1.23 = 51.66
        Assert.Equal(new Money(13), trade.Fee); // 5166 × 0.0025 = 12.915 → 13
    }

    [Fact]
    public void PlaceNeed_OwnOffer_IsSkippedForTheNextSeller()
    {
        market.Rest(Offer(1, Bob, 10, 1.00m, Afternoon), Offer(2, Alice, 10, 1.10m, Afternoon));

        var events = market.Place(Need(1, Bob, 10, 1.20m, Afternoon));

        Assert.Equal([(1L, 2L, 10L, 1.10m)], events.Fills());
        Assert.Equal(10, market.SpareOf(1, Afternoon));
    }

    [Fact]
    public void PlaceNeed_OnlyOwnOffer_RestsWithoutTrading()
    {
        market.Rest(Offer(1, Bob, 10, 1.00m, Afternoon));

        var events = market.Place(Need(1, Bob, 10, 1.20m, Afternoon));

        Assert.Empty(events.Trades());
        Assert.Equal(new OrderRested(OrderKey.Of(new NeedId(1)), Bob, new Rate(10), market.Now), events[^1]);
    }

    [Fact]
    public void PlaceOffer_OwnNeed_IsSkippedForTheNextBuyer()
    {
        market.Rest(Need(1, Alice, 10, 1.50m, Afternoon), Need(2, Bob, 10, 1.20m, Afternoon));

        var events = market.Place(Offer(1, Alice, 10, 1.00m, Afternoon));

        Assert.Equal([(2L, 1L, 10L, 1.20m)], events.Fills());
        Assert.Equal(new Rate(10), market.Engine.FindNeed(new NeedId(1))!.Remaining);
    }

    [Fact]
    public void PlaceNeed_ConstraintsNotMet_SkipsThatOffer()
    {
        market.Rest(
            Offer(1, Alice, 10, 1.00m, Afternoon) with { Attributes = Attributes(("os", "windows"), ("speed", "3000")) },
            Offer(2, Carol, 10, 1.05m, Afternoon) with { Attributes = Attributes(("os", "linux"), ("speed", "1500")) },
            Offer(3, Dave, 10, 1.10m, Afternoon) with { Attributes = Attributes(("os", "Linux"), ("speed", "2000")) });

        var events = market.Place(Need(1, Bob, 10, 1.20m, Afternoon) with { Constraints = [Requires("os=linux"), Requires("speed>=2000")] });

        Assert.Equal([(1L, 3L, 10L, 1.10m)], events.Fills());
    }

    [Fact]
    public void PlaceOffer_AttributesMissingForAConstraint_DoesNotServeThatNeed()
    {
        market.Rest(Need(1, Bob, 10, 1.20m, Afternoon) with { Constraints = [Requires("speed>=2000")] });

        var events = market.Place(Offer(1, Alice, 10, 1.00m, Afternoon));

        Assert.Empty(events.Trades());
        Assert.Equal(new OrderRested(OrderKey.Of(new OfferId(1)), Alice, new Rate(10), market.Now), events[^1]);
    }

    [Fact]
    public void PlaceNeed_OfferPrefersOtherBuyers_SkipsThatOffer()
    {
        market.Rest(
            Offer(1, Alice, 10, 1.00m, Afternoon) with { PreferredBuyers = Only(Carol) },
            Offer(2, Dave, 10, 1.10m, Afternoon) with { PreferredBuyers = Only(Carol, Bob) });

        var events = market.Place(Need(1, Bob, 10, 1.20m, Afternoon));

        Assert.Equal([(1L, 2L, 10L, 1.10m)], events.Fills());
    }

    [Fact]
    public void PlaceNeed_BuyerPrefersOtherSellers_SkipsTheOthers()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon), Offer(2, Dave, 10, 1.10m, Afternoon));

        var events = market.Place(Need(1, Bob, 10, 1.20m, Afternoon) with { PreferredSellers = Only(Dave) });

        Assert.Equal([(1L, 2L, 10L, 1.10m)], events.Fills());
    }

    [Fact]
    public void PlaceNeed_CheapestSellerExcluded_TradesWithTheNextEvenIfPreferred()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon), Offer(2, Dave, 10, 1.10m, Afternoon));

        var events = market.Place(Need(1, Bob, 10, 1.20m, Afternoon) with { PreferredSellers = Only(Alice, Dave), ExcludedSellers = Only(Alice) });

        Assert.Equal([(1L, 2L, 10L, 1.10m)], events.Fills());
    }

    [Fact]
    public void PlaceOffer_ByAnExcludedSeller_LeavesTheNeedResting()
    {
        market.Rest(Need(1, Bob, 5, 1.50m, Afternoon) with { ExcludedSellers = Only(Alice) }, Need(2, Carol, 5, 1.40m, Afternoon));

        var events = market.Place(Offer(1, Alice, 10, 1.00m, Afternoon));

        Assert.Equal([(2L, 1L, 5L, 1.40m)], events.Fills());
    }

    [Fact]
    public void PlaceOffer_PreferredListsOnBothSides_ServesOnlyNeedsThatAdmitEachOther()
    {
        market.Rest(
            Need(1, Bob, 5, 1.50m, Afternoon) with { PreferredSellers = Only(Carol) },
            Need(2, Carol, 5, 1.40m, Afternoon),
            Need(3, Dave, 5, 1.30m, Afternoon));

        var events = market.Place(Offer(1, Alice, 10, 1.00m, Afternoon) with { PreferredBuyers = Only(Dave, Bob) });

        Assert.Equal([(3L, 1L, 5L, 1.30m)], events.Fills());
    }

    [Fact]
    public void PlaceNeed_OfferCoversOnlyPartOfTheWindow_DoesNotTrade()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Hours(21, 12, 17)), Offer(2, Carol, 10, 1.00m, Hours(21, 13, 18)));

        var events = market.Place(Need(1, Bob, 10, 1.20m, Afternoon));

        Assert.Empty(events.Trades());
        Assert.IsType<OrderRested>(events[^1]);
    }

    [Fact]
    public void PlaceNeed_OneSlotSoldOut_TakesOnlyWhatIsSpareInEverySlot()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon));
        Assert.Equal([(1L, 1L, 6L, 1.00m)], market.Place(Need(1, Carol, 6, 1.00m, Hours(21, 14, 15))).Fills());

        var events = market.Place(Need(2, Bob, 10, 1.00m, Afternoon));

        Assert.Equal([(2L, 1L, 4L, 1.00m)], events.Fills());
        Assert.Equal(new OrderRested(OrderKey.Of(new NeedId(2)), Bob, new Rate(6), market.Now), events[^1]);
        Assert.Equal(0, market.SpareOf(1, Hours(21, 14, 15)));
        Assert.Equal(6, market.SpareOf(1, Hours(21, 12, 14)));
        Assert.Equal(6, market.SpareOf(1, Hours(21, 15, 18)));
    }

    [Fact]
    public void PlaceNeed_LastMinuteOfTheWindowSoldOut_DoesNotTakeThatOffer()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon));
        market.Place(Need(1, Carol, 10, 1.00m, Between(At(21, 17, 59), At(21, 18))));

        var events = market.Place(Need(2, Bob, 1, 1.00m, Afternoon));

        Assert.Empty(events.Trades());
    }

    [Fact]
    public void PlaceNeed_SeveralAsks_FillsCheapestFirstEachAtItsOwnAsk()
    {
        market.Rest(
            Offer(1, Alice, 10, 1.10m, Afternoon),
            Offer(2, Carol, 10, 1.00m, Afternoon),
            Offer(3, Dave, 10, 1.05m, Afternoon));

        var events = market.Place(Need(1, Bob, 25, 1.20m, Afternoon));

        Assert.Equal([(1L, 2L, 10L, 1.00m), (1L, 3L, 10L, 1.05m), (1L, 1L, 5L, 1.10m)], events.Fills());
        Assert.Equal([1L, 2L, 3L], events.Trades().Select(t => t.Id.Value));
        Assert.Equal(new OrderFilled(OrderKey.Of(new OfferId(2)), Carol, market.Now), events[2]);
        Assert.Equal(new OrderFilled(OrderKey.Of(new OfferId(3)), Dave, market.Now), events[4]);
        Assert.Equal(new OrderFilled(OrderKey.Of(new NeedId(1)), Bob, market.Now), events[^1]);
        Assert.Equal(5, market.SpareOf(1, Afternoon));
    }

    [Fact]
    public void PlaceNeed_EqualAsks_FillsTheEarlierOfferFirst()
    {
        market.Rest(Offer(7, Alice, 10, 1.00m, Afternoon), Offer(3, Carol, 10, 1.00m, Afternoon), Offer(5, Dave, 10, 1.00m, Afternoon));

        var events = market.Place(Need(1, Bob, 15, 1.00m, Afternoon));

        Assert.Equal([(1L, 7L, 10L, 1.00m), (1L, 3L, 5L, 1.00m)], events.Fills());
    }

    [Fact]
    public void PlaceNeed_AskAboveBid_StopsThere()
    {
        market.Rest(Offer(1, Alice, 5, 1.00m, Afternoon), Offer(2, Carol, 10, 1.21m, Afternoon));

        var events = market.Place(Need(1, Bob, 10, 1.20m, Afternoon));

        Assert.Equal([(1L, 1L, 5L, 1.00m)], events.Fills());
        Assert.Equal(new OrderRested(OrderKey.Of(new NeedId(1)), Bob, new Rate(5), market.Now), events[^1]);
    }

    [Fact]
    public void PlaceOffer_SeveralBids_FillsHighestFirstEachAtItsOwnBid()
    {
        market.Rest(
            Need(1, Bob, 10, 1.10m, Afternoon),
            Need(2, Carol, 10, 1.30m, Afternoon),
            Need(3, Dave, 10, 1.20m, Afternoon),
            Need(4, Bob, 10, 0.90m, Afternoon));

        var events = market.Place(Offer(1, Alice, 25, 1.00m, Afternoon));

        Assert.Equal([(2L, 1L, 10L, 1.30m), (3L, 1L, 10L, 1.20m), (1L, 1L, 5L, 1.10m)], events.Fills());
        Assert.All(events.Trades(), t => Assert.Equal(OrderSide.Offer, t.Aggressor));
        Assert.Equal(new OrderFilled(OrderKey.Of(new OfferId(1)), Alice, market.Now), events[^1]);
        Assert.Equal(new Rate(5), market.Engine.FindNeed(new NeedId(1))!.Remaining);
        Assert.Equal(new Rate(10), market.Engine.FindNeed(new NeedId(4))!.Remaining);
    }

    [Fact]
    public void PlaceOffer_EqualBids_FillsTheEarlierNeedFirst()
    {
        market.Rest(Need(9, Bob, 10, 1.20m, Afternoon), Need(2, Carol, 10, 1.20m, Afternoon));

        var events = market.Place(Offer(1, Alice, 12, 1.00m, Afternoon));

        Assert.Equal([(9L, 1L, 10L, 1.20m), (2L, 1L, 2L, 1.20m)], events.Fills());
    }

    [Fact]
    public void PlaceOffer_NeedsInDifferentWindows_ServesEachWhereItHasSpare()
    {
        market.Rest(
            Need(1, Bob, 8, 1.30m, Hours(21, 12, 14)),
            Need(2, Carol, 8, 1.20m, Hours(21, 13, 15)),
            Need(3, Dave, 8, 1.10m, Hours(21, 16, 17)));

        var events = market.Place(Offer(1, Alice, 10, 1.00m, Afternoon));

        // Need 2 overlaps need 1 at 13–14, where only 2 are left.
        Assert.Equal([(1L, 1L, 8L, 1.30m), (2L, 1L, 2L, 1.20m), (3L, 1L, 8L, 1.10m)], events.Fills());
        Assert.Equal(new OrderRested(OrderKey.Of(new OfferId(1)), Alice, new Rate(10), market.Now), events[^1]);
    }

    [Fact]
    public void PlaceNeed_Spot_RemainderIsCancelledAndDoesNotRest()
    {
        market.Rest(Offer(1, Alice, 4, 1.00m, Afternoon));

        var events = market.Place(Need(1, Bob, 10, 1.20m, Afternoon) with { Mode = OrderMode.Spot });

        Assert.Equal([(1L, 1L, 4L, 1.00m)], events.Fills());
        Assert.Equal(new OrderCancelled(OrderKey.Of(new NeedId(1)), Bob, new Rate(6), CancelReason.SpotRemainder, market.Now), events[^1]);
        Assert.Null(market.Engine.FindNeed(new NeedId(1)));
        Assert.Empty(market.Place(Offer(2, Carol, 10, 1.00m, Afternoon)).Trades());
    }

    [Fact]
    public void PlaceNeed_SpotInTheCurrentSlot_TradesFromTheSlotStart()
    {
        var now = new EngineDriver(Compute, At(21, 12, 0).AddSeconds(30));
        now.Rest(Offer(1, Alice, 10, 1.00m, Afternoon));

        var events = now.Place(Need(1, Bob, 10, 1.00m, Between(At(21, 12), At(21, 13))) with { Mode = OrderMode.Spot });

        Assert.Equal([(1L, 1L, 10L, 1.00m)], events.Fills());
    }

    [Fact]
    public void PlaceNeed_StandingRemainder_RestsAndIsFilledByALaterOffer()
    {
        market.Rest(Offer(1, Alice, 4, 1.00m, Afternoon));
        market.Place(Need(1, Bob, 10, 1.20m, Afternoon));

        var events = market.Place(Offer(2, Carol, 20, 1.10m, Afternoon));

        Assert.Equal([(1L, 2L, 6L, 1.20m)], events.Fills());
        Assert.Contains(new OrderFilled(OrderKey.Of(new NeedId(1)), Bob, market.Now), events);
        Assert.Equal(new OrderRested(OrderKey.Of(new OfferId(2)), Carol, new Rate(14), market.Now), events[^1]);
        Assert.Equal(14, market.SpareOf(2, Afternoon));
    }

    [Fact]
    public void PlaceOffer_Spot_RemainderIsCancelled()
    {
        market.Rest(Need(1, Bob, 4, 1.20m, Afternoon));

        var events = market.Place(Offer(1, Alice, 10, 1.00m, Afternoon) with { Mode = OrderMode.Spot });

        Assert.Equal([(1L, 1L, 4L, 1.20m)], events.Fills());
        Assert.Equal(new OrderCancelled(OrderKey.Of(new OfferId(1)), Alice, new Rate(6), CancelReason.SpotRemainder, market.Now), events[^1]);
        Assert.Null(market.Engine.FindOffer(new OfferId(1)));
    }

    [Fact]
    public void PlaceNeed_MinimumFill_SkipsSellersWithLessThanTheMinimum()
    {
        market.Rest(Offer(1, Alice, 3, 1.00m, Afternoon), Offer(2, Carol, 10, 1.10m, Afternoon));

        var events = market.Place(Need(1, Bob, 12, 1.20m, Afternoon) with { Fill = FillPolicy.MinimumFill(5) });

        Assert.Equal([(1L, 2L, 10L, 1.10m)], events.Fills());
        Assert.Equal(new OrderRested(OrderKey.Of(new NeedId(1)), Bob, new Rate(2), market.Now), events[^1]);
    }

    [Fact]
    public void PlaceNeed_MinimumFillWithLessRemainingThanTheMinimum_TakesTheRest()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon), Offer(2, Carol, 2, 1.10m, Afternoon));

        var events = market.Place(Need(1, Bob, 12, 1.20m, Afternoon) with { Fill = FillPolicy.MinimumFill(5) });

        Assert.Equal([(1L, 1L, 10L, 1.00m), (1L, 2L, 2L, 1.10m)], events.Fills());
    }

    [Fact]
    public void PlaceOffer_LessThanAMinimumFill_DoesNotServeThatNeed()
    {
        market.Rest(Need(1, Bob, 12, 1.30m, Afternoon) with { Fill = FillPolicy.MinimumFill(5) }, Need(2, Carol, 4, 1.20m, Afternoon));

        var events = market.Place(Offer(1, Alice, 4, 1.00m, Afternoon));

        Assert.Equal([(2L, 1L, 4L, 1.20m)], events.Fills());
    }

    [Fact]
    public void PlaceNeed_AllOrNoneAndNotEnoughSpare_TradesNothingAndRests()
    {
        market.Rest(Offer(1, Alice, 5, 1.00m, Afternoon), Offer(2, Carol, 5, 1.10m, Afternoon));

        var events = market.Place(Need(1, Bob, 12, 1.20m, Afternoon) with { Fill = FillPolicy.AllOrNone });

        Assert.Empty(events.Trades());
        Assert.Equal(new OrderRested(OrderKey.Of(new NeedId(1)), Bob, new Rate(12), market.Now), events[^1]);
        Assert.Equal(5, market.SpareOf(1, Afternoon));
        Assert.Equal(5, market.SpareOf(2, Afternoon));
    }

    [Fact]
    public void PlaceNeed_AllOrNoneCoveredBySeveralSellers_TradesAllAtOnce()
    {
        market.Rest(Offer(1, Alice, 5, 1.00m, Afternoon), Offer(2, Carol, 5, 1.10m, Afternoon));

        var events = market.Place(Need(1, Bob, 10, 1.20m, Afternoon) with { Fill = FillPolicy.AllOrNone });

        Assert.Equal([(1L, 1L, 5L, 1.00m), (1L, 2L, 5L, 1.10m)], events.Fills());
        Assert.IsType<OrderFilled>(events[^1]);
    }

    [Fact]
    public void PlaceNeed_AllOrNoneSpotAndNotEnoughSpare_IsCancelledWhole()
    {
        market.Rest(Offer(1, Alice, 5, 1.00m, Afternoon));

        var events = market.Place(Need(1, Bob, 12, 1.20m, Afternoon) with { Fill = FillPolicy.AllOrNone, Mode = OrderMode.Spot });

        Assert.Empty(events.Trades());
        Assert.Equal(new OrderCancelled(OrderKey.Of(new NeedId(1)), Bob, new Rate(12), CancelReason.SpotRemainder, market.Now), events[^1]);
    }

    [Fact]
    public void PlaceOffer_AllOrNoneNeed_IsServedOnlyWhole()
    {
        market.Rest(Need(1, Bob, 12, 1.30m, Afternoon) with { Fill = FillPolicy.AllOrNone }, Need(2, Carol, 3, 1.20m, Afternoon));

        Assert.Equal([(2L, 1L, 3L, 1.20m)], market.Place(Offer(1, Alice, 10, 1.00m, Afternoon)).Fills());
        Assert.Equal([(1L, 2L, 12L, 1.30m)], market.Place(Offer(2, Dave, 12, 1.00m, Afternoon)).Fills());
    }

    [Fact]
    public void PlaceNeed_BestEligibleAskAboveBid_ReportsTheNegotiationAndRests()
    {
        market.Rest(Offer(1, Bob, 10, 1.00m, Afternoon), Offer(2, Alice, 4, 1.50m, Afternoon), Offer(3, Carol, 10, 1.60m, Afternoon));

        var events = market.Place(Need(1, Bob, 10, 1.20m, Afternoon));

        Assert.Empty(events.Trades());
        Assert.Equal(
            new NegotiationNeeded(new NeedId(1), Bob, new Price(1.20m), new OfferId(2), Alice, new Price(1.50m), new Rate(4), Afternoon, market.Now),
            Assert.Single(events.OfType<NegotiationNeeded>()));
        Assert.Equal(new OrderRested(OrderKey.Of(new NeedId(1)), Bob, new Rate(10), market.Now), events[^1]);
    }

    [Fact]
    public void PlaceNeed_PartlyFilledThenAskAboveBid_NegotiatesTheRest()
    {
        market.Rest(Offer(1, Alice, 4, 1.00m, Afternoon), Offer(2, Carol, 10, 1.50m, Afternoon));

        var events = market.Place(Need(1, Bob, 10, 1.20m, Afternoon));

        Assert.Equal([(1L, 1L, 4L, 1.00m)], events.Fills());
        var negotiation = Assert.Single(events.OfType<NegotiationNeeded>());
        Assert.Equal((new OfferId(2), Carol, new Rate(6)), (negotiation.Offer, negotiation.Seller, negotiation.Rate));
    }

    [Fact]
    public void PlaceNeed_NoEligibleOffer_ReportsNoNegotiation()
    {
        market.Rest(Offer(1, Alice, 10, 1.50m, Hours(21, 12, 17)), Offer(2, Bob, 10, 1.50m, Afternoon));

        var events = market.Place(Need(1, Bob, 10, 1.20m, Afternoon));

        Assert.Empty(events.OfType<NegotiationNeeded>());
    }

    [Fact]
    public void PlaceNeed_Filled_ReportsNoNegotiationWithDearerOffers()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon), Offer(2, Carol, 10, 1.50m, Afternoon));

        var events = market.Place(Need(1, Bob, 10, 1.20m, Afternoon));

        Assert.Empty(events.OfType<NegotiationNeeded>());
    }
}
