using Xunit;
using static Surplus.Market.Tests.TestMarket;

namespace Surplus.Market.Tests;

public sealed class OrderRulesTests
{
    private static readonly DateTimeOffset Now = At(20, 8, 30).AddSeconds(20);
    private static readonly Window Tomorrow = Hours(21, 12, 18);
    private static readonly Recurrence Saturdays =
        Recurrence.Create("FREQ=WEEKLY;BYDAY=SA", new DateOnly(2025, 10, 4), TimeOnly.MinValue, TimeSpan.FromDays(1), "UTC").Value;

    private static Rejection? Check(OfferSpec offer) => OrderRules.Check(offer, Compute, Now);

    private static Rejection? Check(NeedSpec need) => OrderRules.Check(need, Compute, Now);

    [Fact]
    public void Check_ValidOfferAndNeed_FindsNothingWrong()
    {
        Assert.Null(Check(Offer(1, Alice, 10, 1.00m, Tomorrow)));
        Assert.Null(Check(Offer(1, Alice, 10, 1.00m, Tomorrow) with { Window = null, Recurrence = Saturdays, MinimumPrice = new Price(0.90m) }));
        Assert.Null(Check(Need(1, Bob, 10, 1.00m, Tomorrow) with { MaximumPrice = new Price(1.50m), Fill = FillPolicy.MinimumFill(10), Expiry = Now.AddHours(1) }));
    }

    [Fact]
    public void Check_OfferWithWindowAndRecurrence_RejectsAvailability()
    {
        var rejection = Check(Offer(1, Alice, 10, 1.00m, Tomorrow) with { Recurrence = Saturdays });

        Assert.Equal(RejectCode.AvailabilityInvalid, rejection!.Code);
    }

    [Fact]
    public void Check_OfferWithNeitherWindowNorRecurrence_RejectsAvailability()
    {
        var rejection = Check(Offer(1, Alice, 10, 1.00m, Tomorrow) with { Window = null });

        Assert.Equal(RejectCode.AvailabilityInvalid, rejection!.Code);
    }

    [Fact]
    public void Check_WindowOffTheMarketsSlot_RejectsAsNotAligned()
    {
        var quarterHours = Compute with { Slot = TimeSpan.FromMinutes(15) };
        var window = Between(At(21, 12, 10), At(21, 13));

        Assert.Equal(RejectCode.WindowNotAligned, OrderRules.Check(Offer(1, Alice, 10, 1.00m, window), quarterHours, Now)!.Code);
        Assert.Equal(RejectCode.WindowNotAligned, OrderRules.Check(Need(1, Bob, 10, 1.00m, window), quarterHours, Now)!.Code);
    }

    [Fact]
    public void Check_OfferWindowAlreadyEnded_RejectsAsPast()
    {
        var rejection = Check(Offer(1, Alice, 10, 1.00m, Between(At(20, 7), At(20, 8, 30))));

        Assert.Equal(RejectCode.WindowInPast, rejection!.Code);
        Assert.Contains("already ended", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_OfferWindowStillRunning_IsAccepted()
    {
        Assert.Null(Check(Offer(1, Alice, 10, 1.00m, Between(At(20, 7), At(20, 8, 31)))));
    }

    [Fact]
    public void Check_NeedStartingBeforeTheCurrentSlot_RejectsAsPast()
    {
        var rejection = Check(Need(1, Bob, 10, 1.00m, Between(At(20, 8, 29), At(20, 9))) with { Mode = OrderMode.Spot });

        Assert.Equal(RejectCode.WindowInPast, rejection!.Code);
        Assert.Contains("2025-10-20T08:30:00Z", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_SpotNeedInTheCurrentSlot_IsAccepted()
    {
        Assert.Null(Check(Need(1, Bob, 10, 1.00m, Between(At(20, 8, 30), At(20, 9))) with { Mode = OrderMode.Spot }));
    }

    [Fact]
    public void Check_StandingNeedAlreadyStarted_RejectsAndSuggestsSpot()
    {
        var rejection = Check(Need(1, Bob, 10, 1.00m, Between(At(20, 8, 30), At(20, 9))));

        Assert.Equal(RejectCode.WindowInPast, rejection!.Code);
        Assert.Contains("spot", rejection.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Check_RateNotPositive_Rejects(long rate)
    {
        Assert.Equal(RejectCode.RateNotPositive, Check(Offer(1, Alice, rate, 1.00m, Tomorrow))!.Code);
        Assert.Equal(RejectCode.RateNotPositive, Check(Need(1, Bob, rate, 1.00m, Tomorrow))!.Code);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1.00")]
    public void Check_PriceNotPositive_Rejects(string price)
    {
        var p = decimal.Parse(price, System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(RejectCode.PriceNotPositive, Check(Offer(1, Alice, 10, p, Tomorrow))!.Code);
        Assert.Equal(RejectCode.PriceNotPositive, Check(Need(1, Bob, 10, p, Tomorrow))!.Code);
    }

    [Fact]
    public void Check_PriceOffTick_RejectsAndNamesTheNearestTicks()
    {
        var rejection = Check(Offer(1, Alice, 10, 41.675m, Tomorrow));

        Assert.Equal(RejectCode.PriceOffTick, rejection!.Code);
        Assert.Contains("use 41.67 or 41.68", rejection.Message, StringComparison.Ordinal);
        Assert.Equal(RejectCode.PriceOffTick, Check(Need(1, Bob, 10, 16.666m, Tomorrow))!.Code);
    }

    [Fact]
    public void Check_HiddenMinimumAboveAsk_Rejects()
    {
        var rejection = Check(Offer(1, Alice, 10, 1.00m, Tomorrow) with { MinimumPrice = new Price(1.01m) });

        Assert.Equal(RejectCode.HiddenLimitInvalid, rejection!.Code);
    }

    [Fact]
    public void Check_HiddenMaximumBelowBid_Rejects()
    {
        var rejection = Check(Need(1, Bob, 10, 1.00m, Tomorrow) with { MaximumPrice = new Price(0.99m) });

        Assert.Equal(RejectCode.HiddenLimitInvalid, rejection!.Code);
    }

    [Fact]
    public void Check_HiddenLimitOffTick_Rejects()
    {
        Assert.Equal(RejectCode.PriceOffTick, Check(Offer(1, Alice, 10, 1.00m, Tomorrow) with { MinimumPrice = new Price(0.995m) })!.Code);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    public void Check_MinimumFillOutsideOneToRate_Rejects(long minimum)
    {
        var rejection = Check(Need(1, Bob, 10, 1.00m, Tomorrow) with { Fill = FillPolicy.MinimumFill(minimum) });

        Assert.Equal(RejectCode.MinFillInvalid, rejection!.Code);
    }

    [Fact]
    public void Check_ExpiryNotAfterNow_Rejects()
    {
        Assert.Equal(RejectCode.ExpiryInPast, Check(Offer(1, Alice, 10, 1.00m, Tomorrow) with { Expiry = Now })!.Code);
        Assert.Equal(RejectCode.ExpiryInPast, Check(Need(1, Bob, 10, 1.00m, Tomorrow) with { Expiry = Now.AddTicks(-1) })!.Code);
    }

    [Fact]
    public void Name_EveryCode_HasItsOwnKebabCaseName()
    {
        var names = Enum.GetValues<RejectCode>().Select(RejectCodes.Name).ToList();

        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(names, n => Assert.Matches("^[a-z]+(-[a-z]+)*$", n));
    }

    [Fact]
    public void Check_RateAboveTheMarketsLargest_RejectsNamingTheSetting()
    {
        var offer = Check(Offer(1, Alice, Compute.MaxRate + 1, 1.00m, Tomorrow));
        var need = Check(Need(1, Bob, long.MaxValue, 1.00m, Tomorrow));

        Assert.Equal(RejectCode.RateTooLarge, offer!.Code);
        Assert.Equal(RejectCode.RateTooLarge, need!.Code);
        Assert.Contains("MaxRate", need.Message, StringComparison.Ordinal);
        Assert.Null(Check(Offer(1, Alice, Compute.MaxRate, 0.01m, Tomorrow)));
    }

    [Fact]
    public void Check_PriceAboveTheMarketsHighest_RejectsNamingTheSetting()
    {
        var ask = Check(Offer(1, Alice, 1, 1_000_000.01m, Tomorrow));
        var maximum = Check(Need(1, Bob, 1, 1.00m, Tomorrow) with { MaximumPrice = new Price(decimal.MaxValue) });

        Assert.Equal(RejectCode.PriceTooLarge, ask!.Code);
        Assert.Equal(RejectCode.PriceTooLarge, maximum!.Code);
        Assert.Contains("MaxPrice", maximum.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_AmountAboveTheMarketsMost_RejectsAtTheHiddenMaximumToo()
    {
        // 10^9 units for 6 hours at 1.00 hold 6 × 10^11 cents; at a hidden maximum of 10,000, 6 × 10^15.
        var need = Need(1, Bob, Compute.MaxRate, 1.00m, Tomorrow);

        Assert.Null(Check(need));
        Assert.Equal(RejectCode.AmountTooLarge, Check(need with { MaximumPrice = new Price(10_000m) })!.Code);
        Assert.Contains("MaxAmountMinor", Check(Offer(1, Alice, Compute.MaxRate, 10_000m, Tomorrow))!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_WindowBeyondTheHorizon_Rejects()
    {
        var far = Between(At(20).AddDays(367), At(20).AddDays(368));
        var past = Between(At(1).AddDays(-366), At(21, 12));

        Assert.Equal(RejectCode.BeyondHorizon, Check(Need(1, Bob, 1, 1.00m, far))!.Code);
        Assert.Equal(RejectCode.BeyondHorizon, Check(Offer(1, Alice, 1, 1.00m, far))!.Code);
        Assert.Equal(RejectCode.BeyondHorizon, Check(Offer(1, Alice, 1, 1.00m, past))!.Code);
        Assert.Null(Check(Offer(1, Alice, 1, 1.00m, Between(At(1), At(21, 12)))));
    }

    [Fact]
    public void Create_WindowEndingInTheCalendarsLastSlot_SuggestsOnlyTheSlotThatExists()
    {
        var result = Window.Create(At(21), DateTimeOffset.MaxValue, Compute.Slot);

        Assert.Equal(RejectCode.WindowNotAligned, result.Error!.Code);
        Assert.EndsWith("use 9999-12-31T23:59:00Z", result.Error.Message, StringComparison.Ordinal);
    }
}
