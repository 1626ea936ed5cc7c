using Xunit;
using static Surplus.Market.Tests.TestMarket;

namespace Surplus.Market.Tests;

/// <summary>When an offer has nothing left to sell.</summary>
public sealed class MarketEngineSoldOutTests
{
    private static readonly MarketDefinition ShortHorizon = Compute with { RecurrenceHorizon = TimeSpan.FromDays(1) };

    [Fact]
    public void PlaceNeed_TakesEveryExpandedDayOfADailyOffer_TheOfferStaysForTheDaysAfter()
    {
        var market = new EngineDriver(ShortHorizon, At(20, 0));
        var daily = Recurrence.Create("FREQ=DAILY", new DateOnly(2025, 10, 20), new TimeOnly(12, 0), TimeSpan.FromHours(1), "UTC").Value;
        market.Rest(new OfferSpec { Id = new OfferId(1), Seller = Alice, Rate = new Rate(10), Ask = new Price(1m), Recurrence = daily });

        // The horizon (one day plus a day of slack) covers the 20th and the 21st; buy both out.
        var first = market.Place(Need(1, Bob, 10, 1m, Hours(20, 12, 13)));
        var second = market.Place(Need(2, Bob, 10, 1m, Hours(21, 12, 13)));

        Assert.Single(first.Trades());
        Assert.Single(second.Trades());
        Assert.DoesNotContain(second, e => e is OrderFilled { Order.Side: OrderSide.Offer });
        Assert.NotNull(market.Engine.FindOffer(new OfferId(1)));

        // A day later the horizon has moved on and the next day is for sale.
        market.AdvanceTo(At(21, 13));
        var third = market.Place(Need(3, Carol, 10, 1m, Hours(22, 12, 13)));
        Assert.Single(third.Trades());
    }

    [Fact]
    public void PlaceNeed_TakesAllOfAOneOffOffer_TheOfferIsFilled()
    {
        var market = new EngineDriver(Compute, At(20, 0));
        market.Rest(Offer(1, Alice, 10, 1m, Hours(20, 12, 13)));

        var events = market.Place(Need(1, Bob, 10, 1m, Hours(20, 12, 13)));

        Assert.Contains(new OrderFilled(OrderKey.Of(new OfferId(1)), Alice, market.Now), events);
        Assert.Null(market.Engine.FindOffer(new OfferId(1)));
    }
}
