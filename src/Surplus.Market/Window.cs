using System.Globalization;

namespace Surplus.Market;

/// <summary>
/// A half-open UTC interval <c>[Start, End)</c>. Windows handed to the engine are aligned to the
/// market's slot; <see cref="Create"/> checks that and says what is wrong instead of rounding.
/// </summary>
public readonly record struct Window
{
    /// <summary>Creates a window from UTC ticks without checks, for trusted internal callers.</summary>
    internal Window(long startTicks, long endTicks)
    {
        StartTicks = startTicks;
        EndTicks = endTicks;
    }

    /// <summary>The first instant inside the window, in UTC ticks.</summary>
    public long StartTicks { get; }

    /// <summary>The first instant after the window, in UTC ticks.</summary>
    public long EndTicks { get; }

    /// <summary>The first instant inside the window.</summary>
    public DateTimeOffset Start => new(StartTicks, TimeSpan.Zero);

    /// <summary>The first instant after the window.</summary>
    public DateTimeOffset End => new(EndTicks, TimeSpan.Zero);

    /// <summary>How long the window lasts.</summary>
    public TimeSpan Length => TimeSpan.FromTicks(EndTicks - StartTicks);

    /// <summary>Checks and creates a window aligned to <paramref name="slot"/>.</summary>
    public static Result<Window> Create(DateTimeOffset start, DateTimeOffset end, TimeSpan slot)
    {
        if (slot <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(slot), slot, "a slot is a positive length of time");
        }

        long s = start.UtcTicks, e = end.UtcTicks;
        if (e < s)
        {
            return Result<Window>.Fail(RejectMessages.WindowReversed, ("end", Format(e)), ("start", Format(s)));
        }

        if (e == s)
        {
            return Result<Window>.Fail(RejectMessages.WindowEmpty, ("start", Format(s)));
        }

        if (s % slot.Ticks != 0 || e % slot.Ticks != 0)
        {
            var bad = s % slot.Ticks != 0 ? s : e;
            var earlier = bad - (bad % slot.Ticks);

            // The slot after the last one of the calendar does not exist.
            return earlier <= DateTimeOffset.MaxValue.UtcTicks - slot.Ticks
                ? Result<Window>.Fail(RejectMessages.WindowNotAligned,
                    ("edge", Format(bad)), ("slot", FormatSlot(slot)), ("earlier", Format(earlier)), ("later", Format(earlier + slot.Ticks)))
                : Result<Window>.Fail(RejectMessages.WindowNotAlignedAtTheEnd,
                    ("edge", Format(bad)), ("slot", FormatSlot(slot)), ("earlier", Format(earlier)));
        }

        return Result<Window>.Ok(new Window(s, e));
    }

    /// <summary>True when <paramref name="other"/> lies wholly inside this window.</summary>
    public bool Contains(Window other) => StartTicks <= other.StartTicks && other.EndTicks <= EndTicks;

    /// <summary>True when the two windows share at least one instant.</summary>
    public bool Overlaps(Window other) => StartTicks < other.EndTicks && other.StartTicks < EndTicks;

    /// <inheritdoc />
    public override string ToString() => $"[{Format(StartTicks)}, {Format(EndTicks)})";

    internal static string Format(long ticks) =>
        new DateTimeOffset(ticks, TimeSpan.Zero).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string FormatSlot(TimeSpan slot) =>
        slot.TotalMinutes >= 1 && slot.Ticks % TimeSpan.TicksPerMinute == 0
            ? $"{slot.TotalMinutes.ToString(CultureInfo.InvariantCulture)}-minute"
            : $"{slot.TotalSeconds.ToString(CultureInfo.InvariantCulture)}-second";
}
