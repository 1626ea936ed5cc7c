using Xunit;
using static Surplus.Market.Tests.TestMarket;

namespace Surplus.Market.Tests;

/// <summary>
/// The example of the design: payroll needs 100 MFLOPS on Saturday afternoon; a seller offers
/// 100 MFLOPS every Saturday for $100,000 a day.
/// </summary>
public sealed class PayrollExampleTests
{
    private static DateTimeOffset Utc(int day, int hour) => new(2025, 10, day, hour, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Payroll_BidBelowTheAsk_NegotiatesThenTradesTheWholeWindowOnceTheBidMeetsTheAsk()
    {
        var market = new EngineDriver(Compute, At(20, 8));
        var everySaturday = Recurrence.Create("FREQ=WEEKLY;BYDAY=SA", new DateOnly(2025, 10, 4), TimeOnly.MinValue, TimeSpan.FromHours(24), "Europe/Zurich").Value;
        var ask = Pricing.UnitPrice(100_000m, new Rate(100), TimeSpan.FromHours(24), Compute.Tick);
        var bid = Pricing.UnitPrice(10_000m, new Rate(100), TimeSpan.FromHours(6), Compute.Tick);
        Assert.Equal(new Price(41.67m), ask);
        Assert.Equal(new Price(16.67m), bid);
        var offer = new OfferSpec { Id = new OfferId(1), Seller = Alice, Rate = new Rate(100), Recurrence = everySaturday, Ask = ask };
        // Saturday 25 October, 12:00–18:00 in Zurich (summer time, UTC+2).
        var saturdayAfternoon = Between(Utc(25, 10), Utc(25, 16));
        var need = new NeedSpec { Id = new NeedId(1), Buyer = Bob, Rate = new Rate(100), Window = saturdayAfternoon, Bid = bid };

        market.Rest(offer);
        var placed = market.Place(need);

        Assert.Empty(placed.Trades());
        Assert.Equal(
            new NegotiationNeeded(new NeedId(1), Bob, new Price(16.67m), new OfferId(1), Alice, new Price(41.67m), new Rate(100), saturdayAfternoon, market.Now),
            Assert.Single(placed.OfType<NegotiationNeeded>()));
        Assert.Equal(new OrderRested(OrderKey.Of(new NeedId(1)), Bob, new Rate(100), market.Now), placed[^1]);

        var amended = market.Amend(OrderKey.Of(new NeedId(1)), Bob, price: 41.67m);

        var trade = Assert.Single(amended.Trades());
        Assert.Equal((new NeedId(1), new OfferId(1), Bob, Alice), (trade.Need, trade.Offer, trade.Buyer, trade.Seller));
        Assert.Equal(new Rate(100), trade.Rate);
        Assert.Equal(saturdayAfternoon, trade.Window);
        Assert.Equal(new Price(41.67m), trade.Price);
        Assert.Equal(new Money(2_500_200), trade.Amount); // 100 × 6 × 41.67 = 25002.00
        Assert.Empty(amended.OfType<NegotiationNeeded>());
        Assert.Equal(new OrderFilled(OrderKey.Of(new NeedId(1)), Bob, market.Now), amended[^1]);
        Assert.Equal(0, market.SpareOf(1, saturdayAfternoon));
        Assert.Equal(100, market.SpareOf(1, Between(Utc(24, 22), Utc(25, 10))));
        Assert.Equal(100, market.SpareOf(1, Between(Utc(25, 16), Utc(25, 22))));
    }
}
