using Xunit;
using static Surplus.Market.Tests.TestMarket;

namespace Surplus.Market.Tests;

/// <summary>Recurring offers: expansion over the rolling horizon, local time zones, and what the roll may not undo.</summary>
public sealed class MarketEngineRecurringTests
{
    private static DateTimeOffset Utc(int month, int day, int hour = 0, int minute = 0) => new(2025, month, day, hour, minute, 0, TimeSpan.Zero);

    private static Recurrence Rule(string rule, DateOnly first, TimeOnly start, double hours, string zone) =>
        Recurrence.Create(rule, first, start, TimeSpan.FromHours(hours), zone).Value;

    private static readonly Recurrence ZurichSaturdays = Rule("FREQ=WEEKLY;BYDAY=SA", new DateOnly(2025, 10, 4), TimeOnly.MinValue, 24, "Europe/Zurich");

    private static OfferSpec Recurring(long id, MemberId seller, long rate, decimal ask, Recurrence recurrence) =>
        Offer(id, seller, rate, ask, Hours(21, 0, 1)) with { Window = null, Recurrence = recurrence };

    private static NeedSpec Spot(NeedSpec need) => need with { Mode = OrderMode.Spot };

    [Fact]
    public void PlaceOffer_Recurring_IsAvailableForTheOccurrencesWithinTheHorizon()
    {
        // Placed on Monday 20 October at 08:00 with the default 8-week horizon (plus the day of slack the engine adds).
        var market = new EngineDriver(Compute, At(20, 8));
        market.Rest(Recurring(1, Alice, 100, 1.00m, ZurichSaturdays));

        var availability = market.Engine.FindOffer(new OfferId(1))!.Availability;

        Assert.Equal(8, availability.Count);
        Assert.Equal(Between(Utc(10, 24, 22), Utc(10, 25, 22)), availability[0]);
        Assert.Equal(Between(Utc(10, 31, 23), Utc(11, 1, 23)), availability[1]);
        Assert.Equal(Between(Utc(12, 12, 23), Utc(12, 13, 23)), availability[^1]);
    }

    [Fact]
    public void Roll_NewOccurrenceCoversARestingNeed_SellsItAtTheAsk()
    {
        // Expanded on Monday 20 October until 16 December (eight weeks and a day): a need for
        // Saturday 20 December rests until the horizon reaches it, then buys at once.
        var market = new EngineDriver(Compute, At(20, 8));
        market.Rest(Recurring(1, Alice, 100, 1.00m, ZurichSaturdays));
        var saturday = Between(Utc(12, 19, 23), Utc(12, 20, 5));
        market.Rest(Need(1, Bob, 30, 1.50m, saturday));

        var early = market.AdvanceTo(Utc(10, 22, 8));
        var events = market.AdvanceTo(Utc(10, 26, 8));

        Assert.Empty(early.Trades());
        var trade = Assert.Single(events.Trades());
        Assert.Equal((new NeedId(1), new Rate(30), new Price(1.00m), OrderSide.Need), (trade.Need, trade.Rate, trade.Price, trade.Aggressor));
        Assert.Contains(new OrderFilled(OrderKey.Of(new NeedId(1)), Bob, market.Now), events);
        Assert.Equal(70, market.SpareOf(1, saturday));
    }

    [Fact]
    public void PlaceNeed_RecurringOfferInZurich_TradesOnlyInsideTheLocalSaturday()
    {
        var market = new EngineDriver(Compute, At(20, 8));
        market.Rest(Recurring(1, Alice, 100, 1.00m, ZurichSaturdays));

        // Summer time: Saturday 25 October is 22:00Z on Friday to 22:00Z on Saturday.
        Assert.Single(market.Place(Spot(Need(1, Bob, 10, 1.00m, Between(Utc(10, 24, 22), Utc(10, 25, 22))))).Trades());
        Assert.Empty(market.Place(Spot(Need(2, Bob, 10, 1.00m, Between(Utc(10, 24, 21, 59), Utc(10, 24, 23))))).Trades());
        Assert.Empty(market.Place(Spot(Need(3, Bob, 10, 1.00m, Between(Utc(10, 25, 21), Utc(10, 25, 22, 1))))).Trades());

        // Winter time: Saturday 1 November is 23:00Z on Friday to 23:00Z on Saturday.
        Assert.Empty(market.Place(Spot(Need(4, Bob, 10, 1.00m, Between(Utc(10, 31, 22), Utc(10, 31, 23))))).Trades());
        Assert.Single(market.Place(Spot(Need(5, Bob, 10, 1.00m, Between(Utc(10, 31, 23), Utc(11, 1, 23))))).Trades());
    }

    [Fact]
    public void PlaceNeed_SundayOfTheOctoberChange_Buys25Hours()
    {
        var sundays = Rule("FREQ=WEEKLY;BYDAY=SU", new DateOnly(2025, 10, 5), TimeOnly.MinValue, 24, "Europe/Zurich");
        var market = new EngineDriver(Compute, At(20, 8));
        market.Rest(Recurring(1, Alice, 10, 1.00m, sundays));

        var trade = Assert.Single(market.Place(Need(1, Bob, 4, 1.00m, Between(Utc(10, 25, 22), Utc(10, 26, 23)))).Trades());

        Assert.Equal(TimeSpan.FromHours(25), trade.Window.Length);
        Assert.Equal(new Money(10_000), trade.Amount); // 4 × 25 h × 1.00
    }

    [Fact]
    public void AdvanceTime_AWeekLater_ExtendsTheOfferOverTheRollingHorizon()
    {
        var market = new EngineDriver(Compute, At(20, 8));
        market.Rest(Recurring(1, Alice, 100, 1.00m, ZurichSaturdays));
        var december20 = Between(Utc(12, 20, 10), Utc(12, 20, 16));
        Assert.Empty(market.Place(Spot(Need(1, Bob, 10, 1.00m, december20))).Trades());

        market.AdvanceTo(At(27, 8));
        var events = market.Place(Spot(Need(2, Bob, 10, 1.00m, december20)));

        Assert.Equal([(2L, 1L, 10L, 1.00m)], events.Fills());
        Assert.Equal(Between(Utc(12, 19, 23), Utc(12, 20, 23)), market.Engine.FindOffer(new OfferId(1))!.Availability[^1]);
    }

    [Fact]
    public void AdvanceTime_PastOccurrences_AreForgotten()
    {
        var market = new EngineDriver(Compute, At(20, 8));
        market.Rest(Recurring(1, Alice, 100, 1.00m, ZurichSaturdays));

        market.AdvanceTo(Utc(11, 1, 12, 30));

        var offer = market.Engine.FindOffer(new OfferId(1))!;
        Assert.Equal(Between(Utc(11, 1, 12, 30), Utc(11, 1, 23)), offer.Availability[0]);
        Assert.Equal(Utc(11, 1, 12, 30).UtcTicks, offer.Capacity[0].StartTicks);
    }

    [Fact]
    public void AdvanceTime_OccurrenceStraddlingTheHorizon_IsNotSoldTwice()
    {
        // Placed on a Friday at noon, the horizon ends in the middle of Saturday 20 December: that
        // Saturday is expanded whole and sold; when the horizon rolls on it must not come back unsold.
        var saturdays = Rule("FREQ=WEEKLY;BYDAY=SA", new DateOnly(2025, 10, 4), TimeOnly.MinValue, 24, "UTC");
        var market = new EngineDriver(Compute, At(24, 12));
        market.Rest(Recurring(1, Alice, 10, 1.00m, saturdays));
        var straddling = Between(Utc(12, 20, 13), Utc(12, 20, 14));
        Assert.Equal([(1L, 1L, 10L, 1.00m)], market.Place(Need(1, Bob, 10, 1.00m, straddling)).Fills());

        market.AdvanceTo(At(25, 13));
        var events = market.Place(Need(2, Carol, 10, 1.00m, straddling));

        Assert.Empty(events.Trades());
        Assert.Equal(0, market.SpareOf(1, straddling));
        var availability = market.Engine.FindOffer(new OfferId(1))!.Availability;
        Assert.All(availability.Zip(availability.Skip(1)), pair => Assert.True(pair.First.EndTicks <= pair.Second.StartTicks, $"{pair.First} overlaps {pair.Second}"));
    }

    [Fact]
    public void AdvanceTime_ReducedRecurringOffer_ExtendsAtTheReducedRate()
    {
        var market = new EngineDriver(Compute, At(20, 8));
        market.Rest(Recurring(1, Alice, 100, 1.00m, ZurichSaturdays));
        market.Amend(OrderKey.Of(new OfferId(1)), Alice, rate: 60);

        market.AdvanceTo(At(27, 8));

        Assert.Equal(60, market.SpareOf(1, Between(Utc(12, 19, 23), Utc(12, 20, 23))));
        Assert.Equal(60, market.SpareOf(1, Between(Utc(11, 1, 0), Utc(11, 1, 1))));
    }

    [Fact]
    public void AdvanceTime_AllOccurrencesPast_TheOfferLeavesTheBook()
    {
        var twoDays = Rule("FREQ=DAILY;COUNT=2", new DateOnly(2025, 10, 21), new TimeOnly(9, 0), 8, "UTC");
        var market = new EngineDriver(Compute, At(20, 8));
        market.Rest(Recurring(1, Alice, 10, 1.00m, twoDays));

        Assert.Empty(market.AdvanceTo(At(22, 16, 59)));
        var events = market.AdvanceTo(At(22, 17));

        Assert.Equal([new OrderExpired(OrderKey.Of(new OfferId(1)), Alice, Rate.Zero, At(22, 17))], events);
        Assert.Equal(0, market.Engine.OpenOfferCount);
    }

    [Fact]
    public void PlaceOffer_RecurrenceWithNothingLeft_IsRefused()
    {
        var spent = Rule("FREQ=DAILY;COUNT=2", new DateOnly(2025, 10, 1), new TimeOnly(9, 0), 8, "UTC");
        var market = new EngineDriver(Compute, At(20, 8));

        var rejection = market.Place(Recurring(1, Alice, 10, 1.00m, spent)).Rejection();

        Assert.Equal(RejectCode.RecurrenceEmpty, rejection.Code);
        Assert.Contains("FREQ=DAILY;COUNT=2", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PlaceOffer_RecurringWithExpiry_ExpiresThen()
    {
        var market = new EngineDriver(Compute, At(20, 8));
        market.Rest(Recurring(1, Alice, 100, 1.00m, ZurichSaturdays) with { Expiry = At(26) });

        var events = market.AdvanceTo(At(26));

        Assert.Equal([new OrderExpired(OrderKey.Of(new OfferId(1)), Alice, new Rate(100), At(26))], events);
    }
}
