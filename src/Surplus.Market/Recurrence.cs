using Ical.Net.CalendarComponents;
using Ical.Net.DataTypes;
using NodaTime;
using NodaTime.TimeZones;

namespace Surplus.Market;

/// <summary>
/// A repeating availability: an RFC 5545 RRULE (<c>FREQ=WEEKLY;BYDAY=SA</c>), a local start time,
/// a duration and an IANA zone — "every Saturday 00:00–24:00 Europe/Zurich". The rule is
/// evaluated by Ical.Net on local dates; NodaTime maps each local start and end to UTC, so an
/// occurrence on a daylight-saving day is 23 or 25 hours long, as the wall clock says. Each
/// occurrence is trimmed inward to the market's slot.
/// </summary>
public sealed record Recurrence
{
    private Recurrence(string rule, DateOnly firstDate, TimeOnly localStart, TimeSpan duration, DateTimeZone zone)
    {
        Rule = rule;
        FirstDate = firstDate;
        LocalStart = localStart;
        Duration = duration;
        Zone = zone;
    }

    /// <summary>The RRULE, without the <c>RRULE:</c> prefix.</summary>
    public string Rule { get; }

    /// <summary>The local date the rule is anchored at (its DTSTART date); no occurrence is earlier.</summary>
    public DateOnly FirstDate { get; }

    /// <summary>The local time each occurrence starts.</summary>
    public TimeOnly LocalStart { get; }

    /// <summary>How long each occurrence lasts on the wall clock.</summary>
    public TimeSpan Duration { get; }

    /// <summary>The IANA time zone of <see cref="LocalStart"/>.</summary>
    public DateTimeZone Zone { get; }

    /// <summary>The zone's IANA id.</summary>
    public string ZoneId => Zone.Id;

    /// <summary>Checks and creates a recurrence.</summary>
    public static Result<Recurrence> Create(string rule, DateOnly firstDate, TimeOnly localStart, TimeSpan duration, string zoneId)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(zoneId);
        var text = rule.Trim();
        if (text.StartsWith("RRULE:", StringComparison.OrdinalIgnoreCase))
        {
            text = text[6..];
        }

        try
        {
            _ = new RecurrencePattern(text);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            return Result<Recurrence>.Fail(RejectCode.RecurrenceInvalid,
                $"'{rule}' is not a valid RFC 5545 RRULE ({e.Message.Split('(')[0].Trim()}); for example FREQ=WEEKLY;BYDAY=SA");
        }

        if (!text.Contains("FREQ=", StringComparison.OrdinalIgnoreCase))
        {
            return Result<Recurrence>.Fail(RejectCode.RecurrenceInvalid, $"'{rule}' has no FREQ; for example FREQ=WEEKLY;BYDAY=SA");
        }

        if (duration <= TimeSpan.Zero || duration > TimeSpan.FromDays(31))
        {
            return Result<Recurrence>.Fail(RejectCode.RecurrenceInvalid, "an occurrence must last more than nothing and at most 31 days");
        }

        var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(zoneId);
        if (zone is null)
        {
            return Result<Recurrence>.Fail(RejectCode.RecurrenceInvalid,
                $"'{zoneId}' is not an IANA time zone; use a name such as Europe/Zurich or UTC");
        }

        return Result<Recurrence>.Ok(new Recurrence(text.ToUpperInvariant(), firstDate, localStart, duration, zone));
    }

    /// <summary>
    /// The occurrences that end after <paramref name="fromTicks"/> and start before <paramref name="toTicks"/>
    /// (UTC ticks), trimmed inward to <paramref name="slot"/>, in order, never overlapping.
    /// </summary>
    public IReadOnlyList<Window> Expand(long fromTicks, long toTicks, TimeSpan slot)
    {
        var result = new List<Window>();
        if (toTicks <= fromTicks)
        {
            return result;
        }

        var first = new LocalDateTime(FirstDate.Year, FirstDate.Month, FirstDate.Day, LocalStart.Hour, LocalStart.Minute, LocalStart.Second);
        var fromLocal = Instant.FromUnixTimeTicks(fromTicks - DateTimeOffset.UnixEpoch.Ticks).InZone(Zone).LocalDateTime
            .PlusTicks(-Duration.Ticks).PlusDays(-1);
        var evaluateFrom = fromLocal > first ? fromLocal : first;

        var calendarEvent = new CalendarEvent { DtStart = ToCal(first), RecurrenceRule = new RecurrencePattern(Rule) };
        long lastEnd = long.MinValue;
        foreach (var occurrence in calendarEvent.GetOccurrences(ToCal(evaluateFrom)))
        {
            var localStart = LocalDateTime.FromDateTime(occurrence.Period.StartTime.Value);
            var start = ToUtcTicks(localStart);
            if (start >= toTicks)
            {
                break;
            }

            var end = ToUtcTicks(localStart.PlusTicks(Duration.Ticks));
            start = Math.Max(CeilToSlot(start, slot), lastEnd);
            end -= end % slot.Ticks;
            if (end <= fromTicks || end <= start)
            {
                continue;
            }

            result.Add(new Window(start, end));
            lastEnd = end;
        }

        return result;
    }

    private long ToUtcTicks(LocalDateTime local) =>
        Zone.ResolveLocal(local, Resolvers.LenientResolver).ToInstant().ToUnixTimeTicks() + DateTimeOffset.UnixEpoch.Ticks;

    private static long CeilToSlot(long ticks, TimeSpan slot)
    {
        var rest = ticks % slot.Ticks;
        return rest == 0 ? ticks : ticks - rest + slot.Ticks;
    }

    private static CalDateTime ToCal(LocalDateTime t) => new(t.Year, t.Month, t.Day, t.Hour, t.Minute, t.Second);
}
