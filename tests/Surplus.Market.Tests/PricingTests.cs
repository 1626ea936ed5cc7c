using Xunit;

namespace Surplus.Market.Tests;

public sealed class PricingTests
{
    [Theory]
    // rate, minutes, price, digits, expected minor units (worked by hand)
    [InlineData(100, 360, "41.67", 2, 2_500_200)] // 100 × 6 h × 41.67 = 25002.00
    [InlineData(10, 60, "1.00", 2, 1_000)]
    [InlineData(1, 30, "0.01", 2, 1)] // 0.005 rounds away from zero to 0.01
    [InlineData(1, 90, "0.03", 2, 5)] // 0.045 → 0.05
    [InlineData(1, 90, "0.01", 2, 2)] // 0.015 → 0.02
    [InlineData(1, 20, "0.01", 2, 0)] // 0.00333… → 0.00
    [InlineData(1, 40, "0.01", 2, 1)] // 0.00666… → 0.01
    [InlineData(3, 60, "0.50", 0, 2)] // 1.5 yen → 2
    [InlineData(1, 60, "1.2345", 3, 1_235)] // 1.2345 → 1.235
    [InlineData(7, 1, "0.01", 2, 0)] // 7 × 1/60 h × 0.01 = 0.001166…
    public void Amount_RateTimesHoursTimesPrice_RoundsHalfAwayFromZeroToMinorUnits(long rate, int minutes, string price, int digits, long expected)
    {
        var window = Window.Create(TestMarket.At(20, 0), TestMarket.At(20, 0).AddMinutes(minutes), TimeSpan.FromMinutes(1)).Value;

        var amount = Pricing.Amount(new Rate(rate), window, new Price(decimal.Parse(price, System.Globalization.CultureInfo.InvariantCulture)), digits);

        Assert.Equal(new Money(expected), amount);
    }

    [Fact]
    public void Amount_TooLargeForMinorUnits_Throws()
    {
        var window = TestMarket.Between(TestMarket.At(1), TestMarket.At(31));

        Assert.Throws<OverflowException>(() => Pricing.Amount(new Rate(long.MaxValue / 2), window, new Price(1_000_000m), 2));
    }

    [Theory]
    [InlineData(2_500_200, 25, 6_251)] // 6250.5 → 6251
    [InlineData(2_500_200, 0, 0)]
    [InlineData(2_500_200, 10_000, 2_500_200)]
    [InlineData(100, 50, 1)] // 0.5 → 1
    [InlineData(99, 50, 0)] // 0.495 → 0
    [InlineData(1, 50, 0)] // 0.005 → 0
    [InlineData(300, 50, 2)] // 1.5 → 2
    public void Fee_BasisPointsOfAmount_RoundsHalfAwayFromZero(long amount, int basisPoints, long expected)
    {
        Assert.Equal(new Money(expected), Pricing.Fee(new Money(amount), basisPoints));
    }

    [Theory]
    [InlineData("100000", 100, 24 * 60, "0.01", "41.67")] // the payroll offer: 41.666… per MFLOPS-hour
    [InlineData("10000", 100, 6 * 60, "0.01", "16.67")] // the payroll need: 16.666…
    [InlineData("1.005", 1, 60, "0.01", "1.01")] // exactly half a tick rounds up
    [InlineData("1.004", 1, 60, "0.01", "1.00")]
    [InlineData("3", 2, 90, "0.01", "1.00")]
    [InlineData("1.02", 1, 60, "0.05", "1.00")]
    [InlineData("1.03", 1, 60, "0.05", "1.05")]
    [InlineData("50", 10, 30, "1", "10")]
    public void UnitPrice_TotalForWholeWindow_RoundsToTheTick(string total, long rate, int minutes, string tick, string expected)
    {
        static decimal D(string s) => decimal.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

        var price = Pricing.UnitPrice(D(total), new Rate(rate), TimeSpan.FromMinutes(minutes), D(tick));

        Assert.Equal(D(expected), price.PerUnitHour);
    }

    [Theory]
    [InlineData("41.67", "0.01", true)]
    [InlineData("41.675", "0.01", false)]
    [InlineData("1.05", "0.05", true)]
    [InlineData("1.04", "0.05", false)]
    public void IsOnTick_Price_TrueOnlyForWholeTicks(string price, string tick, bool expected)
    {
        static decimal D(string s) => decimal.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(expected, Pricing.IsOnTick(new Price(D(price)), D(tick)));
    }
}
