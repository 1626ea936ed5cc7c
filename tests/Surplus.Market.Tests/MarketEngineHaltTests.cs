using Xunit;
using static Surplus.Market.Tests.TestMarket;

namespace Surplus.Market.Tests;

/// <summary>A halted market: time passes, cancels and declines are taken, nothing trades, no order is lost.</summary>
public sealed class MarketEngineHaltTests
{
    private static readonly Window Afternoon = Hours(21, 12, 18);
    private static readonly MarketDefinition Auction = Compute with { Clearing = ClearingMode.CallAuction, AuctionInterval = TimeSpan.FromMinutes(1), OpensNegotiations = true };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AdvanceTime_HaltedCallAuction_DoesNotClear_AndTheNextBoundaryAfterResumingDoes(bool restored)
    {
        var market = new EngineDriver(Auction, At(20, 8));
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon));
        market.Rest(Need(1, Bob, 10, 1.20m, Afternoon));
        Assert.Equal(new HaltChanged(true, market.Now), Assert.Single(market.Execute(new HaltMarket(market.Now))));
        var engine = restored ? MarketEngine.Restore(Auction, market.Engine.Export()) : market.Engine;
        Assert.True(engine.Halted);

        var halted = engine.Execute(new AdvanceTime(At(20, 8, 5)));
        var resumed = engine.Execute(new ResumeMarket(At(20, 8, 5)));
        var sameInterval = engine.Execute(new AdvanceTime(At(20, 8, 5).AddSeconds(30)));
        var next = engine.Execute(new AdvanceTime(At(20, 8, 6)));

        Assert.Empty(halted);
        Assert.Equal(new HaltChanged(false, At(20, 8, 5)), Assert.Single(resumed));
        Assert.Empty(sameInterval);
        Assert.Equal([(1L, 1L, 10L, 1.10m)], next.Fills());
    }

    [Fact]
    public void Halted_RefusesOrdersAmendsCountersAndAccepts_TakesCancelsAndDeclines()
    {
        var market = new EngineDriver(Compute with { OpensNegotiations = true }, At(20, 8));
        market.Rest(Offer(1, Alice, 20, 2.00m, Afternoon));
        var n = market.Place(Need(1, Bob, 10, 1.00m, Afternoon)).OfType<NegotiationOpened>().Single().Negotiation;
        market.Rest(Need(2, Carol, 5, 1.00m, Hours(21, 19, 20)));
        market.Execute(new HaltMarket(market.Now));

        Assert.Equal(RejectCode.MarketHalted, market.Place(Offer(2, Carol, 10, 1.00m, Afternoon)).Rejection().Code);
        Assert.Equal(RejectCode.MarketHalted, market.Place(Need(3, Dave, 10, 3.00m, Afternoon)).Rejection().Code);
        Assert.Equal(RejectCode.MarketHalted, market.Amend(OrderKey.Of(new OfferId(1)), Alice, price: 1.00m).Rejection().Code);
        Assert.Equal(RejectCode.MarketHalted, market.Execute(new CounterPrice(n.Id, Bob, new Price(1.50m), 0, market.Now)).Rejection().Code);
        Assert.Equal(RejectCode.MarketHalted, market.Execute(new AcceptPrice(n.Id, Bob, 0, market.Now)).Rejection().Code);
        Assert.Equal(0, market.Engine.FindNegotiation(n.Id)!.Version);

        Assert.IsType<OrderCancelled>(market.Cancel(OrderKey.Of(new NeedId(2)), Carol)[^1]);
        var declined = market.Execute(new DeclineNegotiation(n.Id, Alice, market.Now));
        Assert.Equal(NegotiationOutcome.Declined, declined.OfType<NegotiationEnded>().Single().Outcome);
        Assert.Empty(declined.Trades());
    }

    [Fact]
    public void Resume_CapacityThatCameBackWhileHalted_MeetsTheBidsItCrosses()
    {
        var market = new EngineDriver(Compute with { OpensNegotiations = true }, At(20, 8));
        market.Rest(Offer(1, Alice, 10, 2.00m, Afternoon));
        var n = market.Place(Need(1, Bob, 10, 1.00m, Afternoon)).OfType<NegotiationOpened>().Single().Negotiation;
        market.Rest(Need(2, Carol, 10, 2.50m, Afternoon));
        market.Execute(new HaltMarket(market.Now));

        var declined = market.Execute(new DeclineNegotiation(n.Id, Bob, market.Now));
        var resumed = market.Execute(new ResumeMarket(market.Now));

        Assert.Empty(declined.Trades());
        Assert.Equal([(2L, 1L, 10L, 2.00m)], resumed.Fills());
        Assert.DoesNotContain(resumed, e => e is NegotiationOpened);
    }

    [Fact]
    public void ChangeClearing_AwayFromAuctionsWhileHalted_IsRefusedAndTheBatchWaits()
    {
        var market = new EngineDriver(Auction, At(20, 8));
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon));
        market.Rest(Need(1, Bob, 10, 1.20m, Afternoon));
        market.Execute(new HaltMarket(market.Now));

        var refused = market.Execute(new ChangeClearing(ClearingMode.Continuous, TimeSpan.Zero, market.Now));
        var toAuction = market.Execute(new ChangeClearing(ClearingMode.CallAuction, TimeSpan.FromMinutes(5), market.Now));

        Assert.Equal(RejectCode.MarketHalted, refused.Rejection().Code);
        Assert.Equal(new ClearingChanged(ClearingMode.CallAuction, TimeSpan.FromMinutes(5), market.Now), Assert.Single(toAuction));
        Assert.Single(market.Engine.Offers);
        Assert.Single(market.Engine.Needs);
        market.Execute(new ResumeMarket(market.Now));
        var switched = market.Execute(new ChangeClearing(ClearingMode.Continuous, TimeSpan.Zero, market.Now));
        Assert.Equal([(1L, 1L, 10L, 1.10m)], switched.Fills());
    }

    [Fact]
    public void Halt_Twice_IsRefused()
    {
        var market = new EngineDriver(Compute, At(20, 8));
        market.Execute(new HaltMarket(market.Now));

        Assert.Equal(RejectCode.NothingToAmend, market.Execute(new HaltMarket(market.Now)).Rejection().Code);
        market.Execute(new ResumeMarket(market.Now));
        Assert.Equal(RejectCode.NothingToAmend, market.Execute(new ResumeMarket(market.Now)).Rejection().Code);
    }
}
