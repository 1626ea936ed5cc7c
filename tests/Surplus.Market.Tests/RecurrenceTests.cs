using Xunit;

namespace Surplus.Market.Tests;

public sealed class RecurrenceTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private static DateTimeOffset Utc(int year, int month, int day, int hour = 0, int minute = 0) =>
        new(year, month, day, hour, minute, 0, TimeSpan.Zero);

    private static Recurrence Create(string rule, DateOnly first, TimeOnly start, TimeSpan duration, string zone) =>
        Recurrence.Create(rule, first, start, duration, zone).Value;

    private static IReadOnlyList<Window> Expand(Recurrence recurrence, DateTimeOffset from, DateTimeOffset to, TimeSpan? slot = null) =>
        recurrence.Expand(from.UtcTicks, to.UtcTicks, slot ?? Minute);

    [Fact]
    public void Create_RulePrefixAndLowerCase_IsNormalised()
    {
        var recurrence = Create("RRULE:freq=weekly;byday=sa", new DateOnly(2025, 10, 4), TimeOnly.MinValue, TimeSpan.FromDays(1), "Europe/Zurich");

        Assert.Equal("FREQ=WEEKLY;BYDAY=SA", recurrence.Rule);
        Assert.Equal("Europe/Zurich", recurrence.ZoneId);
        Assert.Equal(TimeSpan.FromDays(1), recurrence.Duration);
    }

    [Theory]
    [InlineData("FREQ=SOMETIMES")]
    [InlineData("FREQ=WEEKLY;BYDAY=XX")]
    [InlineData("FREQ=WEEKLY;COUNT=x")]
    [InlineData("every saturday")]
    [InlineData("BYDAY=SA")]
    [InlineData("")]
    public void Create_InvalidRule_RejectsWithAnExample(string rule)
    {
        var result = Recurrence.Create(rule, new DateOnly(2025, 10, 4), TimeOnly.MinValue, TimeSpan.FromDays(1), "Europe/Zurich");

        Assert.Equal(RejectCode.RecurrenceInvalid, result.Error!.Code);
        Assert.Contains($"'{rule}'", result.Error.Message, StringComparison.Ordinal);
        Assert.Contains("FREQ=WEEKLY;BYDAY=SA", result.Error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Europe/Atlantis")]
    [InlineData("CEST")]
    [InlineData("")]
    public void Create_UnknownZone_RejectsAndNamesIt(string zone)
    {
        var result = Recurrence.Create("FREQ=WEEKLY;BYDAY=SA", new DateOnly(2025, 10, 4), TimeOnly.MinValue, TimeSpan.FromDays(1), zone);

        Assert.Equal(RejectCode.RecurrenceInvalid, result.Error!.Code);
        Assert.Contains($"'{zone}' is not an IANA time zone", result.Error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-60)]
    [InlineData(31 * 24 * 60 + 1)]
    public void Create_DurationOutOfRange_Rejects(int minutes)
    {
        var result = Recurrence.Create("FREQ=DAILY", new DateOnly(2025, 10, 4), TimeOnly.MinValue, TimeSpan.FromMinutes(minutes), "UTC");

        Assert.Equal(RejectCode.RecurrenceInvalid, result.Error!.Code);
    }

    [Fact]
    public void Expand_SaturdaysInZurich_MapToUtcOnEitherSideOfTheOctoberChange()
    {
        // Summer time (UTC+2) ends on Sunday 26 October 2025 at 03:00 local; winter time is UTC+1.
        var saturdays = Create("FREQ=WEEKLY;BYDAY=SA", new DateOnly(2025, 10, 4), TimeOnly.MinValue, TimeSpan.FromHours(24), "Europe/Zurich");

        var windows = Expand(saturdays, Utc(2025, 10, 15), Utc(2025, 11, 8));

        Assert.Equal(
            [
                TestMarket.Between(Utc(2025, 10, 17, 22), Utc(2025, 10, 18, 22)),
                TestMarket.Between(Utc(2025, 10, 24, 22), Utc(2025, 10, 25, 22)),
                TestMarket.Between(Utc(2025, 10, 31, 23), Utc(2025, 11, 1, 23)),
                TestMarket.Between(Utc(2025, 11, 7, 23), Utc(2025, 11, 8, 23)),
            ],
            windows);
    }

    [Fact]
    public void Expand_SundayOfTheOctoberChange_Lasts25Hours()
    {
        // The change is on a Sunday, so a Saturday 00:00–24:00 never spans it; a Sunday does.
        var sundays = Create("FREQ=WEEKLY;BYDAY=SU", new DateOnly(2025, 10, 5), TimeOnly.MinValue, TimeSpan.FromHours(24), "Europe/Zurich");

        var windows = Expand(sundays, Utc(2025, 10, 20), Utc(2025, 10, 30));

        var only = Assert.Single(windows);
        Assert.Equal(Utc(2025, 10, 25, 22), only.Start);
        Assert.Equal(Utc(2025, 10, 26, 23), only.End);
        Assert.Equal(TimeSpan.FromHours(25), only.Length);
    }

    [Fact]
    public void Expand_SundayOfTheMarchChange_Lasts23Hours()
    {
        var sundays = Create("FREQ=WEEKLY;BYDAY=SU", new DateOnly(2025, 3, 2), TimeOnly.MinValue, TimeSpan.FromHours(24), "Europe/Zurich");

        var only = Assert.Single(Expand(sundays, Utc(2025, 3, 27), Utc(2025, 4, 2)));

        Assert.Equal(Utc(2025, 3, 29, 23), only.Start);
        Assert.Equal(Utc(2025, 3, 30, 22), only.End);
        Assert.Equal(TimeSpan.FromHours(23), only.Length);
    }

    [Fact]
    public void Expand_BeforeFirstDate_GivesNoOccurrence()
    {
        var saturdays = Create("FREQ=WEEKLY;BYDAY=SA", new DateOnly(2025, 10, 25), TimeOnly.MinValue, TimeSpan.FromHours(24), "UTC");

        var windows = Expand(saturdays, Utc(2025, 10, 1), Utc(2025, 11, 2));

        Assert.Equal(
            [TestMarket.Between(Utc(2025, 10, 25), Utc(2025, 10, 26)), TestMarket.Between(Utc(2025, 11, 1), Utc(2025, 11, 2))],
            windows);
    }

    [Fact]
    public void Expand_CountLimit_StopsAfterThatManyOccurrences()
    {
        var threeDays = Create("FREQ=DAILY;COUNT=3", new DateOnly(2025, 10, 20), new TimeOnly(9, 0), TimeSpan.FromHours(8), "UTC");

        var windows = Expand(threeDays, Utc(2025, 10, 1), Utc(2025, 12, 1));

        Assert.Equal([TestMarket.Hours(20, 9, 17), TestMarket.Hours(21, 9, 17), TestMarket.Hours(22, 9, 17)], windows);
    }

    [Fact]
    public void Expand_Range_KeepsOccurrencesEndingAfterFromAndStartingBeforeTo()
    {
        var daily = Create("FREQ=DAILY", new DateOnly(2025, 10, 1), new TimeOnly(9, 0), TimeSpan.FromHours(8), "UTC");

        var windows = Expand(daily, Utc(2025, 10, 20, 17), Utc(2025, 10, 22, 9));

        // The 20th ends exactly at `from` (excluded); the 22nd starts exactly at `to` (excluded).
        Assert.Equal([TestMarket.Hours(21, 9, 17)], windows);
        Assert.Equal([TestMarket.Hours(20, 9, 17), TestMarket.Hours(21, 9, 17)], Expand(daily, Utc(2025, 10, 20, 16, 59), Utc(2025, 10, 22, 9)));
        Assert.Empty(Expand(daily, Utc(2025, 10, 22), Utc(2025, 10, 22)));
    }

    [Fact]
    public void Expand_ZoneOffsetOffTheSlot_TrimsEachOccurrenceInward()
    {
        // 09:00–11:00 in Kolkata (UTC+05:30) is 03:30–05:30 UTC; on hour slots only 04:00–05:00 is whole.
        var daily = Create("FREQ=DAILY", new DateOnly(2025, 10, 1), new TimeOnly(9, 0), TimeSpan.FromHours(2), "Asia/Kolkata");

        var windows = Expand(daily, Utc(2025, 10, 20), Utc(2025, 10, 21), TimeSpan.FromHours(1));

        Assert.Equal([TestMarket.Hours(20, 4, 5)], windows);
    }

    [Fact]
    public void Expand_OccurrencesLongerThanTheirPeriod_DoNotOverlap()
    {
        var daily = Create("FREQ=DAILY", new DateOnly(2025, 10, 20), TimeOnly.MinValue, TimeSpan.FromHours(36), "UTC");

        var windows = Expand(daily, Utc(2025, 10, 20), Utc(2025, 10, 22, 1));

        Assert.Equal(
            [
                TestMarket.Between(Utc(2025, 10, 20), Utc(2025, 10, 21, 12)),
                TestMarket.Between(Utc(2025, 10, 21, 12), Utc(2025, 10, 22, 12)),
                TestMarket.Between(Utc(2025, 10, 22, 12), Utc(2025, 10, 23, 12)),
            ],
            windows);
    }

    private static readonly DateTimeOffset Placed = Utc(2025, 10, 20, 8);

    private static Rejection? Check(string rule, TimeSpan? duration = null, DateOnly? first = null, MarketDefinition? market = null) =>
        Create(rule, first ?? new DateOnly(2025, 10, 20), TimeOnly.MinValue, duration ?? TimeSpan.FromHours(1), "Europe/Zurich")
            .Check(market ?? TestMarket.Compute, Placed);

    [Theory]
    [InlineData("FREQ=SECONDLY")]
    [InlineData("FREQ=MINUTELY;INTERVAL=60")]
    [InlineData("FREQ=DAILY;BYHOUR=1,2")]
    [InlineData("FREQ=DAILY;BYMINUTE=5")]
    [InlineData("FREQ=YEARLY;BYSECOND=0,1,2")]
    public void Create_StepsWithinTheHourOrPicksTimesOfDay_RejectsAsTooFrequent(string rule)
    {
        var result = Recurrence.Create(rule, new DateOnly(2025, 10, 20), TimeOnly.MinValue, TimeSpan.FromHours(1), "UTC");

        Assert.Equal(RejectCode.RecurrenceTooFrequent, result.Error!.Code);
        Assert.Contains("FREQ=HOURLY, DAILY, WEEKLY", result.Error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("FREQ=HOURLY;INTERVAL=2")]
    [InlineData("FREQ=DAILY")]
    [InlineData("FREQ=WEEKLY;BYDAY=SA")]
    [InlineData("FREQ=MONTHLY")]
    [InlineData("FREQ=MONTHLY;BYMONTHDAY=1")]
    [InlineData("FREQ=MONTHLY;BYMONTHDAY=31")]
    [InlineData("FREQ=MONTHLY;BYDAY=-1FR")]
    [InlineData("FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR")]
    [InlineData("FREQ=YEARLY")]
    [InlineData("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29")]
    [InlineData("FREQ=YEARLY;BYYEARDAY=100")]
    [InlineData("FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO")]
    [InlineData("FREQ=MONTHLY;BYMONTHDAY=30;BYMONTH=2")]
    public void CheckAndExpand_EveryFrequency_AnswerWithoutThrowing(string rule)
    {
        var recurrence = Create(rule, new DateOnly(2025, 10, 20), TimeOnly.MinValue, TimeSpan.FromHours(1), "Europe/Zurich");

        var rejection = recurrence.Check(TestMarket.Compute, Placed);
        var windows = recurrence.Expand(Placed.UtcTicks, Placed.AddDays(400).UtcTicks, TimeSpan.FromMinutes(1));

        Assert.True(rejection is null || rejection.Code == RejectCode.RecurrenceTooMany, rejection?.Message);
        Assert.All(windows, w => Assert.True(w.End > w.Start));
    }

    [Fact]
    public void Create_RuleLongerThanTheLimit_Rejects()
    {
        var rule = "FREQ=WEEKLY;BYDAY=" + string.Join(',', Enumerable.Repeat("SA", 200));

        Assert.Equal(RejectCode.RecurrenceInvalid, Recurrence.Create(rule, new DateOnly(2025, 10, 20), TimeOnly.MinValue, TimeSpan.FromHours(1), "UTC").Error!.Code);
    }

    [Fact]
    public void Check_CountAboveTheMarketsMost_RejectsAsTooManyAndNamesTheSetting()
    {
        var rejection = Check("FREQ=DAILY;COUNT=1000000");

        Assert.Equal(RejectCode.RecurrenceTooMany, rejection!.Code);
        Assert.Contains("MaxOccurrences", rejection.Message, StringComparison.Ordinal);
        Assert.Null(Check("FREQ=DAILY;COUNT=1000"));
    }

    [Fact]
    public void Check_MoreOccurrencesOverTheHorizonThanAllowed_RejectsAsTooMany()
    {
        // 56 days of hours are 1,344 occurrences; of every other hour, 672.
        Assert.Equal(RejectCode.RecurrenceTooMany, Check("FREQ=HOURLY")!.Code);
        Assert.Null(Check("FREQ=HOURLY;INTERVAL=2"));
        Assert.Equal(RejectCode.RecurrenceTooMany, Check("FREQ=HOURLY;INTERVAL=2", market: TestMarket.Compute with { MaxOccurrences = 600 })!.Code);
    }

    [Fact]
    public void Check_OccurrencesShorterThanOrCloserThanTheSlot_RejectsAsTooFrequent()
    {
        var quarterHours = TestMarket.Compute with { Slot = TimeSpan.FromMinutes(15) };

        Assert.Equal(RejectCode.RecurrenceTooFrequent, Check("FREQ=DAILY", TimeSpan.FromMinutes(10), market: quarterHours)!.Code);
        Assert.Equal(RejectCode.RecurrenceTooFrequent, Check("FREQ=HOURLY;INTERVAL=2", market: TestMarket.Compute with { Slot = TimeSpan.FromHours(3) }, duration: TimeSpan.FromHours(3))!.Code);
        Assert.Null(Check("FREQ=DAILY", TimeSpan.FromMinutes(15), market: quarterHours));
    }

    [Theory]
    [InlineData(9999, 12, 31)]
    [InlineData(1, 1, 1)]
    [InlineData(2026, 10, 22)]
    [InlineData(2024, 10, 18)]
    public void Check_FirstDateBeyondTheHorizon_Rejects(int year, int month, int day)
    {
        var rejection = Check("FREQ=DAILY", first: new DateOnly(year, month, day));

        Assert.Equal(RejectCode.BeyondHorizon, rejection!.Code);
        Assert.Contains("OrderHorizon", rejection.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30")]
    [InlineData("FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30;BYDAY=MO")]
    public void Expand_RuleThatNeverMeets_EndsWithNothing(string rule)
    {
        var recurrence = Create(rule, new DateOnly(2025, 10, 20), TimeOnly.MinValue, TimeSpan.FromHours(1), "UTC");

        Assert.Empty(Expand(recurrence, Utc(2025, 10, 20), Utc(2025, 12, 20)));
        Assert.Null(recurrence.Check(TestMarket.Compute, Placed));
    }

    [Fact]
    public void Expand_IntervalThatLeavesTheCalendar_EndsAfterTheFirst()
    {
        var recurrence = Create("FREQ=YEARLY;INTERVAL=2147483647", new DateOnly(2025, 10, 20), TimeOnly.MinValue, TimeSpan.FromHours(1), "UTC");

        Assert.Equal([new Window(Utc(2025, 10, 20).UtcTicks, Utc(2025, 10, 20, 1).UtcTicks)], Expand(recurrence, Utc(2025, 10, 20), DateTimeOffset.MaxValue));
    }

    [Fact]
    public void Expand_UpToTheEndOfTheCalendar_StopsBeforeItWithoutOverflow()
    {
        var recurrence = Create("FREQ=DAILY", new DateOnly(9998, 12, 25), TimeOnly.MinValue, TimeSpan.FromDays(2), "Pacific/Kiritimati");

        var windows = Expand(recurrence, new DateTimeOffset(9998, 12, 1, 0, 0, 0, TimeSpan.Zero), DateTimeOffset.MaxValue);

        Assert.NotEmpty(windows);
        Assert.All(windows, w => Assert.True(w.End.Year <= 9999));
    }
}
