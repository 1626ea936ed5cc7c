using CsCheck;
using Xunit;

namespace Surplus.Market.Tests;

public sealed class CapacityProfileTests
{
    private static CapacityProfile Profile(params (long Start, long Spare)[] segments) =>
        CapacityProfile.FromSegments(segments.Select(s => new CapacitySegment(s.Start, s.Spare)));

    private static (long, long)[] Steps(CapacityProfile profile) => profile.Segments.Select(s => (s.StartTicks, s.Spare)).ToArray();

    [Fact]
    public void New_Profile_HasNoSpareAnywhere()
    {
        var profile = new CapacityProfile();

        Assert.Equal(0, profile.SegmentCount);
        Assert.Equal(0, profile.MinSpare(0, 100));
        Assert.Equal(0, profile.MaxSpare());
        Assert.Null(profile.EndOfAvailability());
        Assert.Null(profile.StartOfAvailability());
    }

    [Fact]
    public void Set_Window_GivesThatSpareInsideAndZeroOutside()
    {
        var profile = new CapacityProfile();

        profile.Set(10, 20, 5);

        Assert.Equal([(10L, 5L), (20L, 0L)], Steps(profile));
        Assert.Equal(0, profile.SpareAt(9));
        Assert.Equal(5, profile.SpareAt(10));
        Assert.Equal(5, profile.SpareAt(19));
        Assert.Equal(0, profile.SpareAt(20));
        Assert.Equal(20, profile.EndOfAvailability());
        Assert.Equal(10, profile.StartOfAvailability());
    }

    [Fact]
    public void StartOfAvailability_SoldOutAtFirst_IsTheFirstInstantWithSpareLeft()
    {
        var profile = Profile((10, 5), (20, 8), (30, 0));

        profile.Subtract(10, 20, 5);

        Assert.Equal(20, profile.StartOfAvailability());
        Assert.Equal(30, profile.EndOfAvailability());
        profile.Subtract(20, 30, 8);
        Assert.Null(profile.StartOfAvailability());
    }

    [Theory]
    [InlineData(10, 20, 5)]
    [InlineData(12, 15, 5)]
    [InlineData(9, 20, 0)] // starts before the availability
    [InlineData(15, 21, 0)] // ends after it
    [InlineData(0, 5, 0)]
    public void MinSpare_Window_IsTheLeastSpareOverAllOfIt(long start, long end, long expected)
    {
        var profile = Profile((10, 5), (20, 0));

        Assert.Equal(expected, profile.MinSpare(start, end));
    }

    [Fact]
    public void MinSpare_DipInsideWindow_IsTheDip()
    {
        var profile = Profile((0, 8), (4, 3), (6, 8), (10, 0));

        Assert.Equal(3, profile.MinSpare(0, 10));
        Assert.Equal(3, profile.MinSpare(5, 6));
        Assert.Equal(8, profile.MinSpare(0, 4));
        Assert.Equal(8, profile.MinSpare(6, 10));
        Assert.Equal(8, profile.MaxSpare());
    }

    [Fact]
    public void Set_AdjacentWindowsWithTheSameSpare_MergeIntoOneSegment()
    {
        var profile = new CapacityProfile();

        profile.Set(0, 10, 5);
        profile.Set(10, 20, 5);

        Assert.Equal([(0L, 5L), (20L, 0L)], Steps(profile));
    }

    [Fact]
    public void Set_GapBetweenWindows_KeepsAZeroSegment()
    {
        var profile = new CapacityProfile();

        profile.Set(0, 10, 5);
        profile.Set(15, 20, 5);

        Assert.Equal([(0L, 5L), (10L, 0L), (15L, 5L), (20L, 0L)], Steps(profile));
        Assert.Equal(0, profile.MinSpare(5, 16));
    }

    [Fact]
    public void Set_ZeroAtTheFront_TrimsLeadingZeros()
    {
        var profile = Profile((0, 5), (10, 7), (20, 0));

        profile.Set(0, 10, 0);

        Assert.Equal([(10L, 7L), (20L, 0L)], Steps(profile));
    }

    [Fact]
    public void Set_ZeroEverywhere_LeavesAnEmptyProfile()
    {
        var profile = Profile((0, 5), (10, 0));

        profile.Set(0, 10, 0);

        Assert.Equal(0, profile.SegmentCount);
    }

    [Theory]
    [InlineData(10, 10, 1)]
    [InlineData(10, 5, 1)]
    [InlineData(0, 10, -1)]
    public void Set_EmptyWindowOrNegativeSpare_Throws(long start, long end, long spare)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CapacityProfile().Set(start, end, spare));
    }

    [Fact]
    public void Subtract_InnerWindow_ReducesOnlyThatWindow()
    {
        var profile = Profile((0, 10), (60, 0));

        profile.Subtract(20, 30, 4);

        Assert.Equal([(0L, 10L), (20L, 6L), (30L, 10L), (60L, 0L)], Steps(profile));
    }

    [Fact]
    public void Subtract_EverythingThatIsSpare_LeavesZeroThereAndMergesZeros()
    {
        var profile = Profile((0, 10), (20, 4), (30, 0));

        profile.Subtract(20, 30, 4);

        Assert.Equal([(0L, 10L), (20L, 0L)], Steps(profile));
        Assert.Equal(20, profile.EndOfAvailability());
    }

    [Fact]
    public void Subtract_ThenSetBack_MergesToTheOriginalSegments()
    {
        var profile = Profile((0, 10), (60, 0));

        profile.Subtract(20, 30, 4);
        profile.Set(20, 30, 10);

        Assert.Equal([(0L, 10L), (60L, 0L)], Steps(profile));
    }

    [Theory]
    [InlineData(120, 130, 11)] // more than the window has
    [InlineData(100, 150, 7)] // more than the dip at 120–130
    [InlineData(155, 165, 1)] // past the end of availability
    [InlineData(95, 105, 1)] // before its start
    [InlineData(120, 130, 0)] // nothing
    [InlineData(120, 130, -1)]
    public void Subtract_MoreThanSpareOrNothing_ThrowsAndChangesNothing(long start, long end, long amount)
    {
        var profile = Profile((100, 10), (120, 6), (130, 10), (160, 0));
        var before = Steps(profile);

        Assert.Throws<InvalidOperationException>(() => profile.Subtract(start, end, amount));
        Assert.Equal(before, Steps(profile));
    }

    [Fact]
    public void DropBefore_InsideASegment_MovesItsStart()
    {
        var profile = Profile((0, 10), (20, 6), (30, 0));

        profile.DropBefore(25);

        Assert.Equal([(25L, 6L), (30L, 0L)], Steps(profile));
        Assert.Equal(0, profile.SpareAt(24));
    }

    [Fact]
    public void DropBefore_InsideAGap_StartsAtTheNextAvailability()
    {
        var profile = Profile((0, 10), (10, 0), (20, 6), (30, 0));

        profile.DropBefore(15);

        Assert.Equal([(20L, 6L), (30L, 0L)], Steps(profile));
    }

    [Fact]
    public void DropBefore_BeforeEverything_ChangesNothing()
    {
        var profile = Profile((10, 5), (20, 0));

        profile.DropBefore(3);

        Assert.Equal([(10L, 5L), (20L, 0L)], Steps(profile));
    }

    [Fact]
    public void DropBefore_AfterEverything_LeavesAnEmptyProfile()
    {
        var profile = Profile((10, 5), (20, 0));

        profile.DropBefore(20);

        Assert.Equal(0, profile.SegmentCount);
        Assert.Equal(0, profile.MaxSpare());
    }

    [Fact]
    public void FromSegments_Segments_RoundTrips()
    {
        var profile = Profile((0, 10), (20, 6), (30, 0));

        Assert.Equal(Steps(profile), Steps(CapacityProfile.FromSegments(profile.Segments)));
    }

    [Fact]
    public void FromSegments_OutOfOrder_Throws()
    {
        Assert.Throws<ArgumentException>(() => Profile((10, 5), (10, 3), (20, 0)));
        Assert.Throws<ArgumentException>(() => Profile((10, 5), (5, 0)));
    }

    [Fact]
    public void FromSegments_NegativeSpare_Throws()
    {
        Assert.Throws<ArgumentException>(() => Profile((10, -1), (20, 0)));
    }

    [Fact]
    public void FromSegments_LastSegmentNotZero_Throws()
    {
        Assert.Throws<ArgumentException>(() => Profile((10, 5)));
    }

    /// <summary>Random Set, Subtract and DropBefore against a plain array of spare per position.</summary>
    [Fact]
    public void Operations_RandomSequence_AgreeWithAnArrayPerPosition()
    {
        const int Size = 40;
        var operation = Gen.Select(Gen.Int[0, 5], Gen.Int[0, Size], Gen.Int[0, Size], Gen.Int[0, 6]);
        operation.Array[1, 40].Sample(operations =>
        {
            var profile = new CapacityProfile();
            var spare = new long[Size + 2];
            foreach (var (kind, a, b, amount) in operations)
            {
                long start = Math.Min(a, b), end = Math.Max(a, b);
                if (kind <= 2 && start < end)
                {
                    profile.Set(start, end, amount);
                    for (var i = start; i < end; i++)
                    {
                        spare[i] = amount;
                    }
                }
                else if (kind <= 4 && start < end)
                {
                    var least = spare[(int)start..(int)end].Min();
                    Assert.Equal(least, profile.MinSpare(start, end));
                    if (amount > 0 && amount <= least)
                    {
                        profile.Subtract(start, end, amount);
                        for (var i = start; i < end; i++)
                        {
                            spare[i] -= amount;
                        }
                    }
                    else
                    {
                        Assert.Throws<InvalidOperationException>(() => profile.Subtract(start, end, amount));
                    }
                }
                else if (kind == 5)
                {
                    profile.DropBefore(a);
                    for (var i = 0; i < a; i++)
                    {
                        spare[i] = 0;
                    }
                }

                for (var i = 0; i < spare.Length; i++)
                {
                    Assert.Equal(spare[i], profile.SpareAt(i));
                }

                var segments = profile.Segments;
                Assert.True(segments.Count == 0 || segments[^1].Spare == 0, "the last segment is zero");
                Assert.True(segments.Count == 0 || segments[0].Spare > 0, "no zero segment at the front");
                for (var i = 1; i < segments.Count; i++)
                {
                    Assert.True(segments[i - 1].StartTicks < segments[i].StartTicks, "segments in order");
                    Assert.NotEqual(segments[i - 1].Spare, segments[i].Spare);
                }
            }
        }, iter: 500);
    }
}
