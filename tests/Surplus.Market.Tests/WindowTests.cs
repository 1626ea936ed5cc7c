using Xunit;

namespace Surplus.Market.Tests;

public sealed class WindowTests
{
    private static readonly TimeSpan QuarterHour = TimeSpan.FromMinutes(15);

    [Fact]
    public void Create_AlignedStartAndEnd_ReturnsHalfOpenWindow()
    {
        var result = Window.Create(TestMarket.At(20, 10), TestMarket.At(20, 12, 15), QuarterHour);

        Assert.True(result.IsOk);
        Assert.Equal(TestMarket.At(20, 10), result.Value.Start);
        Assert.Equal(TestMarket.At(20, 12, 15), result.Value.End);
        Assert.Equal(TimeSpan.FromMinutes(135), result.Value.Length);
    }

    [Fact]
    public void Create_StartWithOffset_IsStoredInUtc()
    {
        var start = new DateTimeOffset(2025, 10, 20, 12, 0, 0, TimeSpan.FromHours(2));

        var window = Window.Create(start, start.AddHours(1), QuarterHour).Value;

        Assert.Equal(TestMarket.At(20, 10), window.Start);
        Assert.Equal(TimeSpan.Zero, window.Start.Offset);
    }

    [Fact]
    public void Create_MisalignedStart_RejectsAndNamesTheNeighbouringSlots()
    {
        var result = Window.Create(TestMarket.At(20, 10, 7), TestMarket.At(20, 11), QuarterHour);

        Assert.False(result.IsOk);
        Assert.Equal(RejectCode.WindowNotAligned, result.Error!.Code);
        Assert.Equal("window-not-aligned", result.Error.Name);
        Assert.Contains("2025-10-20T10:07:00Z", result.Error.Message, StringComparison.Ordinal);
        Assert.Contains("15-minute", result.Error.Message, StringComparison.Ordinal);
        Assert.Contains("2025-10-20T10:00:00Z or 2025-10-20T10:15:00Z", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_MisalignedEnd_RejectsAndNamesTheEnd()
    {
        var result = Window.Create(TestMarket.At(20, 10), TestMarket.At(20, 11, 20), QuarterHour);

        Assert.Equal(RejectCode.WindowNotAligned, result.Error!.Code);
        Assert.Contains("2025-10-20T11:20:00Z", result.Error.Message, StringComparison.Ordinal);
        Assert.Contains("2025-10-20T11:15:00Z or 2025-10-20T11:30:00Z", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_SecondsOffAMinuteSlot_RejectsWithTheSlotInMinutes()
    {
        var start = TestMarket.At(20, 10).AddSeconds(30);

        var result = Window.Create(start, TestMarket.At(20, 11), TimeSpan.FromMinutes(1));

        Assert.Equal(RejectCode.WindowNotAligned, result.Error!.Code);
        Assert.Contains("1-minute", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_EndEqualsStart_RejectsAsEmpty()
    {
        var result = Window.Create(TestMarket.At(20, 10), TestMarket.At(20, 10), QuarterHour);

        Assert.Equal(RejectCode.WindowEmpty, result.Error!.Code);
        Assert.Contains("2025-10-20T10:00:00Z", result.Error.Message, StringComparison.Ordinal);
        Assert.Contains("end after the start", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_EndBeforeStart_RejectsAsReversed()
    {
        var result = Window.Create(TestMarket.At(20, 12), TestMarket.At(20, 10), QuarterHour);

        Assert.Equal(RejectCode.WindowReversed, result.Error!.Code);
        Assert.Contains("swap start and end", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_ReversedAndMisaligned_ReportsReversedFirst()
    {
        var result = Window.Create(TestMarket.At(20, 12, 7), TestMarket.At(20, 10, 3), QuarterHour);

        Assert.Equal(RejectCode.WindowReversed, result.Error!.Code);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Create_SlotNotPositive_Throws(int minutes)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Window.Create(TestMarket.At(20, 10), TestMarket.At(20, 11), TimeSpan.FromMinutes(minutes)));
    }

    [Fact]
    public void Overlaps_AdjacentWindows_DoNotOverlap()
    {
        var morning = TestMarket.Hours(20, 8, 12);
        var afternoon = TestMarket.Hours(20, 12, 18);

        Assert.False(morning.Overlaps(afternoon));
        Assert.False(afternoon.Overlaps(morning));
        Assert.True(morning.Overlaps(TestMarket.Between(TestMarket.At(20, 11, 59), TestMarket.At(20, 12, 1))));
    }

    [Fact]
    public void Contains_InnerAndEdgeWindows_AreContainedButLongerOnesAreNot()
    {
        var day = TestMarket.Hours(20, 8, 18);

        Assert.True(day.Contains(TestMarket.Hours(20, 8, 18)));
        Assert.True(day.Contains(TestMarket.Hours(20, 12, 18)));
        Assert.False(day.Contains(TestMarket.Hours(20, 12, 19)));
        Assert.False(day.Contains(TestMarket.Hours(20, 7, 9)));
    }

    [Fact]
    public void ToString_ShowsHalfOpenUtcInterval()
    {
        Assert.Equal("[2025-10-20T08:00:00Z, 2025-10-20T18:00:00Z)", TestMarket.Hours(20, 8, 18).ToString());
    }
}
