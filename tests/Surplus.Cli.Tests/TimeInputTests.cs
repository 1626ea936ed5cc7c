namespace Surplus.Cli.Tests;

public sealed class TimeInputTests
{
    private static readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider Clock = new(new DateTimeOffset(2026, 11, 23, 8, 0, 20, TimeSpan.Zero));

    [Theory]
    [InlineData("2026-11-28 09:00 Europe/Zurich", "2026-11-28T08:00:00Z")]
    [InlineData("2026-07-04 09:00 Europe/Zurich", "2026-07-04T07:00:00Z")]
    [InlineData("2026-11-28 09:00 America/New_York", "2026-11-28T14:00:00Z")]
    [InlineData("2026-11-28T09:00Z", "2026-11-28T09:00:00Z")]
    [InlineData("2026-11-28T09:00:00+01:00", "2026-11-28T08:00:00Z")]
    [InlineData("now", "2026-11-23T08:01:00Z")]
    [InlineData("+2h", "2026-11-23T10:01:00Z")]
    [InlineData("+90m", "2026-11-23T09:31:00Z")]
    public void Parse_KnownForms_GiveTheInstant(string text, string expected)
    {
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), TimeInput.Parse(text, "--start", Clock));
    }

    [Theory]
    [InlineData("2026-03-29 02:30 Europe/Zurich", "does not exist in Europe/Zurich")]
    [InlineData("2026-10-25 02:30 Europe/Zurich", "happens twice")]
    [InlineData("2026-11-28 09:00 Mars/Olympus", "not an IANA time zone")]
    [InlineData("soonish", "is not a time")]
    public void Parse_BadTimes_SayWhatIsWrong(string text, string message)
    {
        var e = Assert.Throws<UsageException>(() => TimeInput.Parse(text, "--start", Clock));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("--start: ", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("6h", 360)]
    [InlineData("1h30m", 90)]
    [InlineData("1d", 1440)]
    [InlineData("PT6H", 360)]
    public void Duration_KnownForms_GiveMinutes(string text, int minutes)
    {
        Assert.Equal(TimeSpan.FromMinutes(minutes), TimeInput.Duration(text, "--for"));
    }
}
