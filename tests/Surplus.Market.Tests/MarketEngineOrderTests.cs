using Xunit;
using static Surplus.Market.Tests.TestMarket;

namespace Surplus.Market.Tests;

/// <summary>An order's life after it is placed: cancel, amend, expiry, and refused commands.</summary>
public sealed class MarketEngineOrderTests
{
    private static readonly Window Afternoon = Hours(21, 12, 18);

    private readonly EngineDriver market = new(Compute, At(20, 8));

    private static OrderKey OfferKey(long id) => OrderKey.Of(new OfferId(id));

    private static OrderKey NeedKey(long id) => OrderKey.Of(new NeedId(id));

    [Fact]
    public void CancelOrder_OwnNeed_LeavesTheBookWithItsRemainder()
    {
        market.Rest(Offer(1, Alice, 4, 1.00m, Afternoon));
        market.Place(Need(1, Bob, 10, 1.00m, Afternoon));

        var events = market.Cancel(NeedKey(1), Bob);

        Assert.Equal([new OrderCancelled(NeedKey(1), Bob, new Rate(6), CancelReason.ByOwner, market.Now)], events);
        Assert.Null(market.Engine.FindNeed(new NeedId(1)));
        Assert.Empty(market.Place(Offer(2, Carol, 10, 1.00m, Afternoon)).Trades());
    }

    [Fact]
    public void CancelOrder_OwnOffer_LeavesTheBook()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon));
        market.Place(Need(1, Bob, 4, 1.00m, Afternoon));

        var events = market.Cancel(OfferKey(1), Alice);

        Assert.Equal([new OrderCancelled(OfferKey(1), Alice, new Rate(6), CancelReason.ByOwner, market.Now)], events);
        Assert.Equal(0, market.Engine.OpenOfferCount);
        Assert.Empty(market.Place(Need(2, Bob, 4, 1.00m, Afternoon)).Trades());
    }

    [Fact]
    public void CancelOrder_SomeoneElsesOrder_IsRefused()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon));

        var rejection = market.Cancel(OfferKey(1), Bob).Rejection();

        Assert.Equal(RejectCode.NotOwner, rejection.Code);
        Assert.NotNull(market.Engine.FindOffer(new OfferId(1)));
    }

    [Fact]
    public void CancelOrder_FilledOrder_IsRefusedAsUnknown()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon));
        market.Place(Need(1, Bob, 10, 1.00m, Afternoon));

        var events = market.Cancel(NeedKey(1), Bob);

        Assert.Equal(new CommandRejected(NeedKey(1), Bob, events.Rejection(), market.Now), events[0]);
        Assert.Equal(RejectCode.UnknownOrder, events.Rejection().Code);
        Assert.Contains("need 1 is not open", events.Rejection().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AmendOrder_NeedRepricedUp_LosesPriorityAndTradesAtTheAsk()
    {
        market.Rest(Offer(1, Alice, 10, 1.50m, Afternoon));
        market.Place(Need(1, Bob, 10, 1.20m, Afternoon));

        var events = market.Amend(NeedKey(1), Bob, price: 1.50m);

        Assert.Equal(new OrderAmended(NeedKey(1), Bob, new Price(1.50m), new Rate(10), LostPriority: true, market.Now), events[0]);
        Assert.Equal([(1L, 1L, 10L, 1.50m)], events.Fills());
        Assert.Equal(OrderSide.Need, events.Trades()[0].Aggressor);
        Assert.Equal(new OrderFilled(NeedKey(1), Bob, market.Now), events[^1]);
    }

    [Fact]
    public void AmendOrder_NeedRepricedButStillBelowTheAsk_RestsAndNegotiatesAgain()
    {
        market.Rest(Offer(1, Alice, 10, 1.50m, Afternoon));
        market.Place(Need(1, Bob, 10, 1.20m, Afternoon));

        var events = market.Amend(NeedKey(1), Bob, price: 1.40m);

        Assert.Empty(events.Trades());
        Assert.Equal(new Price(1.40m), Assert.Single(events.OfType<NegotiationNeeded>()).Bid);
        Assert.Equal(new OrderRested(NeedKey(1), Bob, new Rate(10), market.Now), events[^1]);
        Assert.Equal(new Price(1.40m), market.Engine.FindNeed(new NeedId(1))!.Spec.Bid);
    }

    [Fact]
    public void AmendOrder_NeedRepriced_GoesBehindNeedsAtTheSameBid()
    {
        market.Rest(Need(1, Bob, 10, 1.00m, Afternoon), Need(2, Carol, 10, 1.00m, Afternoon));
        market.Amend(NeedKey(1), Bob, price: 1.01m);
        market.Amend(NeedKey(1), Bob, price: 1.00m);

        var events = market.Place(Offer(1, Alice, 10, 1.00m, Afternoon));

        Assert.Equal([(2L, 1L, 10L, 1.00m)], events.Fills());
    }

    [Fact]
    public void AmendOrder_NeedReduced_KeepsItsPlaceInTheQueue()
    {
        market.Rest(Need(1, Bob, 10, 1.00m, Afternoon), Need(2, Carol, 10, 1.00m, Afternoon));

        var amended = market.Amend(NeedKey(1), Bob, rate: 5);
        var events = market.Place(Offer(1, Alice, 8, 1.00m, Afternoon));

        Assert.Equal(
            [new OrderAmended(NeedKey(1), Bob, new Price(1.00m), new Rate(5), LostPriority: false, market.Now), new OrderRested(NeedKey(1), Bob, new Rate(5), market.Now)],
            amended);
        Assert.Equal([(1L, 1L, 5L, 1.00m), (2L, 1L, 3L, 1.00m)], events.Fills());
    }

    [Fact]
    public void AmendOrder_NeedRateAboveRemaining_IsRefused()
    {
        market.Rest(Offer(1, Alice, 4, 1.00m, Afternoon));
        market.Place(Need(1, Bob, 10, 1.00m, Afternoon));

        var rejection = market.Amend(NeedKey(1), Bob, rate: 7).Rejection();

        Assert.Equal(RejectCode.RateIncrease, rejection.Code);
        Assert.Contains("it is 6", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AmendOrder_NeedBelowItsMinimumFill_IsRefused()
    {
        market.Rest(Need(1, Bob, 10, 1.00m, Afternoon) with { Fill = FillPolicy.MinimumFill(4) });

        Assert.Equal(RejectCode.MinFillInvalid, market.Amend(NeedKey(1), Bob, rate: 3).Rejection().Code);
        Assert.IsType<OrderAmended>(market.Amend(NeedKey(1), Bob, rate: 4)[0]);
    }

    [Fact]
    public void AmendOrder_OfferRepricedDown_ServesRestingNeedsAtTheirBids()
    {
        market.Rest(Need(1, Bob, 6, 1.20m, Afternoon), Need(2, Carol, 6, 1.05m, Afternoon));
        market.Rest(Offer(1, Alice, 10, 1.50m, Afternoon));

        var events = market.Amend(OfferKey(1), Alice, price: 1.10m);

        Assert.Equal(new OrderAmended(OfferKey(1), Alice, new Price(1.10m), new Rate(10), LostPriority: true, market.Now), events[0]);
        Assert.Equal([(1L, 1L, 6L, 1.20m)], events.Fills());
        Assert.Equal(OrderSide.Offer, events.Trades()[0].Aggressor);
        Assert.Equal(new OrderRested(OfferKey(1), Alice, new Rate(4), market.Now), events[^1]);
    }

    [Fact]
    public void AmendOrder_OfferRepriced_GoesBehindOffersAtTheSameAsk()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon), Offer(2, Carol, 10, 1.00m, Afternoon));
        market.Amend(OfferKey(1), Alice, price: 1.01m);
        market.Amend(OfferKey(1), Alice, price: 1.00m);

        var events = market.Place(Need(1, Bob, 10, 1.00m, Afternoon));

        Assert.Equal([(1L, 2L, 10L, 1.00m)], events.Fills());
    }

    [Fact]
    public void AmendOrder_OfferReduced_KeepsItsPlaceAndCutsEverySlot()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon), Offer(2, Carol, 10, 1.00m, Afternoon));

        var amended = market.Amend(OfferKey(1), Alice, rate: 6);
        var events = market.Place(Need(1, Bob, 8, 1.00m, Hours(21, 12, 13)));

        Assert.Equal(new OrderAmended(OfferKey(1), Alice, new Price(1.00m), new Rate(6), LostPriority: false, market.Now), amended[0]);
        Assert.Equal(new OrderRested(OfferKey(1), Alice, new Rate(6), market.Now), amended[^1]);
        Assert.Equal([(1L, 1L, 6L, 1.00m), (1L, 2L, 2L, 1.00m)], events.Fills());
        Assert.Equal(6, market.SpareOf(1, Hours(21, 13, 18)));
    }

    [Fact]
    public void AmendOrder_OfferReducedToWhatIsSold_LeavesNothingSpareWhereItSold()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon));
        market.Place(Need(1, Bob, 6, 1.00m, Hours(21, 14, 15)));

        var events = market.Amend(OfferKey(1), Alice, rate: 6);

        Assert.IsType<OrderAmended>(events[0]);
        Assert.Equal(0, market.SpareOf(1, Hours(21, 14, 15)));
        Assert.Equal(6, market.SpareOf(1, Hours(21, 12, 14)));
        Assert.Equal(6, market.SpareOf(1, Hours(21, 15, 18)));
    }

    [Fact]
    public void AmendOrder_OfferReducedBelowWhatIsSold_IsRefusedAndSaysHowFar()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon));
        market.Place(Need(1, Bob, 6, 1.00m, Hours(21, 14, 15)));

        var rejection = market.Amend(OfferKey(1), Alice, rate: 5).Rejection();

        Assert.Equal(RejectCode.ReduceBelowSold, rejection.Code);
        Assert.Contains("can go down to 6 at the least", rejection.Message, StringComparison.Ordinal);
        Assert.Equal(4, market.SpareOf(1, Hours(21, 14, 15)));
    }

    [Fact]
    public void AmendOrder_OfferRateIncrease_IsRefused()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon));

        Assert.Equal(RejectCode.RateIncrease, market.Amend(OfferKey(1), Alice, rate: 11).Rejection().Code);
    }

    [Fact]
    public void AmendOrder_SameValues_IsRefusedAsNothingToAmend()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon));
        market.Rest(Need(1, Bob, 5, 0.90m, Afternoon));

        Assert.Equal(RejectCode.NothingToAmend, market.Amend(OfferKey(1), Alice).Rejection().Code);
        Assert.Equal(RejectCode.NothingToAmend, market.Amend(OfferKey(1), Alice, price: 1.00m, rate: 10).Rejection().Code);
        Assert.Equal(RejectCode.NothingToAmend, market.Amend(NeedKey(1), Bob, price: 0.90m).Rejection().Code);
    }

    [Fact]
    public void AmendOrder_PriceOffTheTick_IsRefused()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon));

        Assert.Equal(RejectCode.PriceOffTick, market.Amend(OfferKey(1), Alice, price: 1.005m).Rejection().Code);
    }

    [Fact]
    public void AmendOrder_SomeoneElsesOrUnknownOrder_IsRefused()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon));

        Assert.Equal(RejectCode.NotOwner, market.Amend(OfferKey(1), Bob, price: 1.10m).Rejection().Code);
        Assert.Equal(RejectCode.UnknownOrder, market.Amend(OfferKey(2), Alice, price: 1.10m).Rejection().Code);
    }

    [Fact]
    public void AdvanceTime_PastANeedsExpiry_ExpiresIt()
    {
        market.Rest(Need(1, Bob, 10, 1.00m, Afternoon) with { Expiry = At(20, 10) });

        Assert.Empty(market.AdvanceTo(At(20, 9, 59)));
        var events = market.AdvanceTo(At(20, 10));

        Assert.Equal([new OrderExpired(NeedKey(1), Bob, new Rate(10), At(20, 10))], events);
        Assert.Empty(market.Place(Offer(1, Alice, 10, 1.00m, Afternoon)).Trades());
    }

    [Fact]
    public void AdvanceTime_ToANeedsWindowStart_ExpiresIt()
    {
        market.Rest(Offer(1, Alice, 4, 1.00m, Afternoon));
        market.Place(Need(1, Bob, 10, 1.00m, Afternoon));

        Assert.Empty(market.AdvanceTo(At(21, 11, 59)));
        var events = market.AdvanceTo(At(21, 12));

        Assert.Equal(new OrderExpired(NeedKey(1), Bob, new Rate(6), At(21, 12)), Assert.Single(events));
    }

    [Fact]
    public void AdvanceTime_PastAnOffersExpiry_ExpiresItBeforeTheNextCommandMatches()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon) with { Expiry = At(20, 12) });
        market.AdvanceTo(At(20, 12, 30));

        var events = market.Place(Need(1, Bob, 10, 1.00m, Afternoon));

        Assert.Empty(events.Trades());
        Assert.Null(market.Engine.FindOffer(new OfferId(1)));
    }

    [Fact]
    public void Execute_CommandAfterAnExpiry_ReportsTheExpiryFirst()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon) with { Expiry = At(20, 12) });
        market.AdvanceTo(At(20, 12, 30));
        market.Rest(Offer(2, Carol, 10, 1.00m, Afternoon) with { Expiry = At(20, 13) });
        var later = At(20, 14);

        var events = market.Engine.Execute(new PlaceNeed(Need(1, Bob, 10, 1.00m, Afternoon), later));

        Assert.Equal(new OrderExpired(OfferKey(2), Carol, new Rate(10), later), events[0]);
        Assert.IsType<OrderAccepted>(events[1]);
    }

    [Fact]
    public void AdvanceTime_ToAWindowOffersEnd_ExpiresIt()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Hours(20, 9, 10)));

        var events = market.AdvanceTo(At(20, 10));

        Assert.Equal([new OrderExpired(OfferKey(1), Alice, new Rate(10), At(20, 10))], events);
        Assert.Equal(0, market.Engine.OpenOfferCount);
    }

    [Fact]
    public void AdvanceTime_SeveralDueAtOnce_ExpiresInOrderOfDueTimeThenEntry()
    {
        market.Rest(
            Need(3, Bob, 1, 1.00m, Hours(21, 12, 13)),
            Need(1, Bob, 1, 1.00m, Hours(21, 12, 13)),
            Need(2, Bob, 1, 1.00m, Hours(21, 14, 15)) with { Expiry = At(21, 11) });

        var events = market.AdvanceTo(At(22, 0));

        Assert.Equal([NeedKey(2), NeedKey(3), NeedKey(1)], events.OfType<OrderExpired>().Select(e => e.Order));
    }

    [Fact]
    public void Execute_InstantBeforeTheLastCommand_CountsAsTheLastCommandsInstant()
    {
        market.Rest(Need(1, Bob, 10, 1.00m, Afternoon) with { Expiry = At(20, 10) });
        market.AdvanceTo(At(20, 11));

        var events = market.Engine.Execute(new PlaceOffer(Offer(1, Alice, 10, 1.00m, Afternoon), At(20, 9)));

        Assert.All(events, e => Assert.Equal(At(20, 11), e.At));
        Assert.Empty(events.Trades());
        Assert.Equal(At(20, 11), market.Engine.Clock);
    }

    [Theory]
    [InlineData("place offer with an open id", RejectCode.DuplicateId)]
    [InlineData("place need with an open id", RejectCode.DuplicateId)]
    [InlineData("place need off the slot", RejectCode.WindowNotAligned)]
    [InlineData("place need off the tick", RejectCode.PriceOffTick)]
    [InlineData("place need in the past", RejectCode.WindowInPast)]
    [InlineData("place offer with a spent recurrence", RejectCode.RecurrenceEmpty)]
    [InlineData("cancel unknown", RejectCode.UnknownOrder)]
    [InlineData("cancel someone else's", RejectCode.NotOwner)]
    [InlineData("raise a need's rate", RejectCode.RateIncrease)]
    [InlineData("cut a need below its minimum fill", RejectCode.MinFillInvalid)]
    [InlineData("raise a need's bid above its hidden maximum", RejectCode.HiddenLimitInvalid)]
    [InlineData("cut an offer below what is sold", RejectCode.ReduceBelowSold)]
    [InlineData("raise an offer's rate", RejectCode.RateIncrease)]
    [InlineData("amend nothing", RejectCode.NothingToAmend)]
    [InlineData("amend to a zero price", RejectCode.PriceNotPositive)]
    public void Execute_RefusedCommand_ReportsOnlyTheRefusalAndChangesNothing(string what, RejectCode code)
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon), Offer(2, Dave, 4, 1.50m, Afternoon));
        market.Place(Need(1, Bob, 6, 1.00m, Hours(21, 14, 15)));
        market.Rest(Need(2, Carol, 5, 0.90m, Afternoon) with { Fill = FillPolicy.MinimumFill(3), MaximumPrice = new Price(1.20m) });
        var before = SnapshotText.Of(market.Engine.Export());
        var spent = Recurrence.Create("FREQ=DAILY;COUNT=1", new DateOnly(2025, 10, 1), TimeOnly.MinValue, TimeSpan.FromHours(1), "UTC").Value;
        var now = market.Now;
        MarketCommand command = what switch
        {
            "place offer with an open id" => new PlaceOffer(Offer(1, Carol, 10, 1.00m, Afternoon), now),
            "place need with an open id" => new PlaceNeed(Need(2, Bob, 10, 2.00m, Afternoon), now),
            "place need off the slot" => new PlaceNeed(Need(3, Bob, 10, 2.00m, Window.Create(At(21, 12).AddSeconds(30), At(21, 13), TimeSpan.FromSeconds(30)).Value), now),
            "place need off the tick" => new PlaceNeed(Need(3, Bob, 10, 2.005m, Afternoon), now),
            "place need in the past" => new PlaceNeed(Need(3, Bob, 10, 2.00m, Hours(20, 7, 9)), now),
            "place offer with a spent recurrence" => new PlaceOffer(Offer(3, Carol, 10, 0.50m, Afternoon) with { Window = null, Recurrence = spent }, now),
            "cancel unknown" => new CancelOrder(OfferKey(9), Alice, now),
            "cancel someone else's" => new CancelOrder(NeedKey(2), Alice, now),
            "raise a need's rate" => new AmendOrder(NeedKey(2), Carol, null, new Rate(6), now),
            "cut a need below its minimum fill" => new AmendOrder(NeedKey(2), Carol, null, new Rate(2), now),
            "raise a need's bid above its hidden maximum" => new AmendOrder(NeedKey(2), Carol, new Price(1.21m), null, now),
            "cut an offer below what is sold" => new AmendOrder(OfferKey(1), Alice, new Price(0.50m), new Rate(5), now),
            "raise an offer's rate" => new AmendOrder(OfferKey(2), Dave, new Price(0.50m), new Rate(5), now),
            "amend nothing" => new AmendOrder(OfferKey(2), Dave, null, null, now),
            "amend to a zero price" => new AmendOrder(OfferKey(2), Dave, new Price(0m), null, now),
            _ => throw new ArgumentOutOfRangeException(nameof(what), what, "no such case"),
        };

        var events = market.Engine.Execute(command);

        var rejected = Assert.IsType<CommandRejected>(Assert.Single(events));
        Assert.Equal(code, rejected.Reason.Code);
        Assert.False(string.IsNullOrWhiteSpace(rejected.Reason.Message));
        Assert.Equal(before, SnapshotText.Of(market.Engine.Export()));
    }
}
