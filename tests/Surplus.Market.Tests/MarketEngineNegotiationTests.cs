using Xunit;
using static Surplus.Market.Tests.TestMarket;

namespace Surplus.Market.Tests;

/// <summary>Negotiation (Figure 4, steps 350–354) on a market that opens negotiations.</summary>
public sealed class MarketEngineNegotiationTests
{
    private static readonly Window Afternoon = Hours(21, 12, 18);

    private readonly EngineDriver market = new(Compute with { OpensNegotiations = true }, At(20, 8));

    private NegotiationState OpenPair(decimal ask = 2.00m, decimal bid = 1.00m, long offerRate = 10, long needRate = 10, Price? maximum = null, Price? minimum = null)
    {
        market.Rest(Offer(1, Alice, offerRate, ask, Afternoon) with { MinimumPrice = minimum });
        var events = market.Place(Need(1, Bob, needRate, bid, Afternoon) with { MaximumPrice = maximum });
        return Assert.IsType<NegotiationOpened>(events.Single(e => e is NegotiationOpened)).Negotiation;
    }

    private IReadOnlyList<MarketEvent> Run(MarketCommand command) => market.Engine.Execute(command);

    [Fact]
    public void PlaceNeed_AskAboveBid_OpensANegotiationAndLocksBothSides()
    {
        var n = OpenPair(offerRate: 30);

        Assert.Equal((new NeedId(1), Bob, new OfferId(1), Alice), (n.Need, n.Buyer, n.Offer, n.Seller));
        Assert.Equal((new Rate(10), Afternoon, new Price(1.00m), new Price(2.00m), 0), (n.Rate, n.Window, n.BuyerPrice, n.SellerPrice, n.Version));
        Assert.Equal(market.Now + Compute.NegotiationTimeout, n.Deadline);
        Assert.Equal(20, market.SpareOf(1, Afternoon));
        Assert.Empty(market.Engine.Needs);
        Assert.NotNull(market.Engine.FindNeed(new NeedId(1)));

        // Another buyer willing to pay the ask cannot take the locked ten.
        var other = market.Place(Need(2, Carol, 30, 2.00m, Afternoon));
        Assert.Equal([(2L, 1L, 20L, 2.00m)], other.Fills());
    }

    [Fact]
    public void PlaceNeed_StandingAndNoNegotiation_StillRestsOnAMarketThatDoesNotNegotiate()
    {
        var plain = new EngineDriver(Compute, At(20, 8));
        plain.Rest(Offer(1, Alice, 10, 2.00m, Afternoon));

        var events = plain.Place(Need(1, Bob, 10, 1.00m, Afternoon));

        Assert.Contains(events, e => e is NegotiationNeeded);
        Assert.DoesNotContain(events, e => e is NegotiationOpened);
        Assert.IsType<OrderRested>(events[^1]);
    }

    [Fact]
    public void Counter_CrossingTheOtherPrice_TradesAtThePriceThatWasOnTheTable()
    {
        var n = OpenPair();

        var seller = Run(new CounterPrice(n.Id, Alice, new Price(1.60m), 0, market.Now));
        var countered = Assert.IsType<NegotiationCountered>(Assert.Single(seller)).Negotiation;
        Assert.Equal((new Price(1.60m), 1), (countered.SellerPrice, countered.Version));

        var buyer = Run(new CounterPrice(n.Id, Bob, new Price(1.70m), 1, market.Now));

        Assert.Equal(NegotiationOutcome.Agreed, buyer.OfType<NegotiationEnded>().Single().Outcome);
        Assert.Equal([(1L, 1L, 10L, 1.60m)], buyer.Fills());
        Assert.Contains(new OrderFilled(OrderKey.Of(new NeedId(1)), Bob, market.Now), buyer);
        Assert.Contains(new OrderFilled(OrderKey.Of(new OfferId(1)), Alice, market.Now), buyer);
        Assert.Empty(market.Engine.Negotiations);
    }

    [Fact]
    public void Accept_ByTheBuyer_TradesAtTheSellersLastPrice()
    {
        var n = OpenPair(offerRate: 20);
        Run(new CounterPrice(n.Id, Alice, new Price(1.50m), 0, market.Now));

        var events = Run(new AcceptPrice(n.Id, Bob, 1, market.Now));

        Assert.Equal([(1L, 1L, 10L, 1.50m)], events.Fills());
        Assert.Equal(new Money(9_000), events.Trades()[0].Amount); // 10 × 6 h × 1.50
        Assert.Equal(10, market.SpareOf(1, Afternoon));
        Assert.NotNull(market.Engine.FindOffer(new OfferId(1)));
    }

    [Fact]
    public void Counter_WithAnOlderVersion_IsRefusedAsStaleAndChangesNothing()
    {
        var n = OpenPair();
        Run(new CounterPrice(n.Id, Alice, new Price(1.80m), 0, market.Now));

        var events = Run(new CounterPrice(n.Id, Bob, new Price(1.20m), 0, market.Now));

        Assert.Equal(RejectCode.NegotiationStale, events.Rejection().Code);
        Assert.Equal(new Price(1.00m), market.Engine.FindNegotiation(n.Id)!.BuyerPrice);
    }

    [Fact]
    public void Counter_ByAnOutsider_IsRefusedAsUnknown()
    {
        var n = OpenPair();

        var events = Run(new CounterPrice(n.Id, Carol, new Price(1.50m), 0, market.Now));

        Assert.Equal(RejectCode.NegotiationUnknown, events.Rejection().Code);
    }

    [Fact]
    public void Counter_OffTheTick_IsRefused()
    {
        var n = OpenPair();

        var events = Run(new CounterPrice(n.Id, Bob, new Price(1.505m), 0, market.Now));

        Assert.Equal(RejectCode.PriceOffTick, events.Rejection().Code);
        Assert.Equal(0, market.Engine.FindNegotiation(n.Id)!.Version);
    }

    [Fact]
    public void Decline_ReleasesTheCapacityAndTheStandingNeedRests()
    {
        var n = OpenPair(offerRate: 30);

        var events = Run(new DeclineNegotiation(n.Id, Alice, market.Now));

        Assert.Equal(NegotiationOutcome.Declined, events.OfType<NegotiationEnded>().Single().Outcome);
        Assert.Equal(new OrderRested(OrderKey.Of(new NeedId(1)), Bob, new Rate(10), market.Now), events[^1]);
        Assert.Equal(30, market.SpareOf(1, Afternoon));
        Assert.Single(market.Engine.Needs);
        Assert.Empty(events.Trades());
    }

    [Fact]
    public void Deadline_Passed_EndsTheNegotiationAndASpotNeedIsCancelled()
    {
        market.Rest(Offer(1, Alice, 10, 2.00m, Afternoon));
        var opened = market.Place(Need(1, Bob, 10, 1.00m, Afternoon) with { Mode = OrderMode.Spot });
        var n = opened.OfType<NegotiationOpened>().Single().Negotiation;
        Assert.DoesNotContain(opened, e => e is OrderCancelled);

        var early = market.AdvanceTo(n.Deadline.AddMinutes(-1));
        var late = market.AdvanceTo(n.Deadline);

        Assert.Empty(early);
        Assert.Equal(NegotiationOutcome.Expired, late.OfType<NegotiationEnded>().Single().Outcome);
        Assert.Equal(new OrderCancelled(OrderKey.Of(new NeedId(1)), Bob, new Rate(10), CancelReason.SpotRemainder, market.Now), late[^1]);
        Assert.Equal(10, market.SpareOf(1, Afternoon));
        Assert.Null(market.Engine.FindNeed(new NeedId(1)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WindowStart_BeforeTheDeadline_ExpiresTheLockedNeedAndGivesTheCapacityBack(bool restored)
    {
        // A negotiation may outlast the time left before the need's window starts; the need must not trade after that.
        var patient = new EngineDriver(Compute with { OpensNegotiations = true, NegotiationTimeout = TimeSpan.FromHours(3) }, At(20, 8));
        var soon = Hours(20, 9, 10);
        patient.Rest(Offer(1, Alice, 10, 2.00m, soon));
        var n = patient.Place(Need(1, Bob, 10, 1.00m, soon)).OfType<NegotiationOpened>().Single().Negotiation;
        var engine = restored ? MarketEngine.Restore(patient.Market, patient.Engine.Export()) : patient.Engine;

        var early = engine.Execute(new AdvanceTime(soon.Start.AddMinutes(-1)));
        var events = engine.Execute(new AdvanceTime(soon.Start));

        Assert.Empty(early);
        Assert.Equal(NegotiationOutcome.Withdrawn, events.OfType<NegotiationEnded>().Single().Outcome);
        Assert.Equal(new OrderExpired(OrderKey.Of(new NeedId(1)), Bob, new Rate(10), soon.Start), events.OfType<OrderExpired>().Single());
        Assert.Null(engine.FindNegotiation(n.Id));
        Assert.Null(engine.FindNeed(new NeedId(1)));
        Assert.Equal(RejectCode.NegotiationUnknown, AcceptPriceRefused(engine, n));
    }

    private static RejectCode AcceptPriceRefused(MarketEngine engine, NegotiationState n) =>
        engine.Execute(new AcceptPrice(n.Id, Bob, 0, engine.Clock)).Rejection().Code;

    [Fact]
    public void Cancel_ALockedNeed_EndsTheNegotiationAndGivesTheCapacityBack()
    {
        var n = OpenPair();

        var events = market.Cancel(OrderKey.Of(new NeedId(1)), Bob);

        Assert.Equal(NegotiationOutcome.Withdrawn, events.OfType<NegotiationEnded>().Single().Outcome);
        Assert.IsType<OrderCancelled>(events[^1]);
        Assert.Equal(10, market.SpareOf(1, Afternoon));
        Assert.Null(market.Engine.FindNegotiation(n.Id));
    }

    [Fact]
    public void Cancel_TheOffer_EndsItsNegotiationAndTheNeedRests()
    {
        OpenPair();

        var events = market.Cancel(OrderKey.Of(new OfferId(1)), Alice);

        Assert.Equal(NegotiationOutcome.Withdrawn, events.OfType<NegotiationEnded>().Single().Outcome);
        Assert.Contains(new OrderRested(OrderKey.Of(new NeedId(1)), Bob, new Rate(10), market.Now), events);
        Assert.Single(market.Engine.Needs);
    }

    [Fact]
    public void HiddenLimitsThatMeet_AgreeAtOnceAtTheMidpointOnTheTick()
    {
        // Interval [max(1.00, 1.40), min(2.00, 1.75)] = [1.40, 1.75]; midpoint 1.575 → 1.57 on the tick.
        market.Rest(Offer(1, Alice, 10, 2.00m, Afternoon) with { MinimumPrice = new Price(1.40m) });

        var events = market.Place(Need(1, Bob, 10, 1.00m, Afternoon) with { MaximumPrice = new Price(1.75m) });

        Assert.Equal(NegotiationOutcome.Agreed, events.OfType<NegotiationEnded>().Single().Outcome);
        Assert.Equal([(1L, 1L, 10L, 1.57m)], events.Fills());
        Assert.Equal(new OrderFilled(OrderKey.Of(new NeedId(1)), Bob, market.Now), events[^1]);
        Assert.Single(events, e => e is OrderFilled f && f.Order.Side == OrderSide.Need);
        Assert.Empty(market.Engine.Negotiations);
    }

    [Fact]
    public void HiddenLimitsThatDoNotMeet_LeaveTheNegotiationOpen()
    {
        var n = OpenPair(maximum: new Price(1.30m), minimum: new Price(1.50m));

        Assert.NotNull(market.Engine.FindNegotiation(n.Id));
    }

    [Fact]
    public void Restore_MidNegotiation_KeepsTheLocksTheDeadlineAndTheVersion()
    {
        var n = OpenPair(offerRate: 30);
        Run(new CounterPrice(n.Id, Alice, new Price(1.80m), 0, market.Now));
        var restored = MarketEngine.Restore(market.Market, market.Engine.Export());

        Assert.Equal(market.Engine.FindNegotiation(n.Id), restored.FindNegotiation(n.Id), NegotiationComparer.Instance);
        var original = market.Engine.Execute(new AcceptPrice(n.Id, Bob, 1, market.Now));
        var again = restored.Execute(new AcceptPrice(n.Id, Bob, 1, market.Now));
        Assert.Equal(original.Fills(), again.Fills());
        Assert.Equal(original.Count, again.Count);
        var expiredOriginal = market.Engine.Execute(new AdvanceTime(n.Deadline));
        var expiredAgain = restored.Execute(new AdvanceTime(n.Deadline));
        Assert.Equal(expiredOriginal.Count, expiredAgain.Count);
    }

    [Fact]
    public void AutomaticNegotiation_Agree_FollowsTheRuleOfTheDesign()
    {
        Assert.Null(AutomaticNegotiation.Agree(new Price(1m), null, new Price(2m), new Price(1.5m), 0.01m));
        Assert.Null(AutomaticNegotiation.Agree(new Price(1m), new Price(1.4m), new Price(2m), new Price(1.5m), 0.01m));
        Assert.Equal(new Price(1.5m), AutomaticNegotiation.Agree(new Price(1m), new Price(2m), new Price(2m), new Price(1m), 0.01m));
        Assert.Equal(new Price(1.5m), AutomaticNegotiation.Agree(new Price(1m), new Price(1.5m), new Price(2m), new Price(1.5m), 0.01m));
        Assert.Equal(new Price(1.55m), AutomaticNegotiation.Midpoint(new Price(2.00m), new Price(1.11m), 0.01m));
    }

    private sealed class NegotiationComparer : IEqualityComparer<NegotiationState?>
    {
        public static readonly NegotiationComparer Instance = new();

        public bool Equals(NegotiationState? x, NegotiationState? y) =>
            x is not null && y is not null && x with { Moves = [] } == y with { Moves = [] } && x.Moves.SequenceEqual(y.Moves);

        public int GetHashCode(NegotiationState? obj) => obj?.Id.GetHashCode() ?? 0;
    }
}
