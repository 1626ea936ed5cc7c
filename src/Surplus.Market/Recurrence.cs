using Ical.Net;
using Ical.Net.CalendarComponents;
using Ical.Net.DataTypes;
using Ical.Net.Evaluation;
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

        if (text.Length > MaxRuleLength)
        {
            return Result<Recurrence>.Fail(RejectMessages.RuleTooLong, ("maxLength", MaxRuleLength));
        }

        RecurrencePattern pattern;
        try
        {
            pattern = new RecurrencePattern(text);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            return Result<Recurrence>.Fail(RejectMessages.RuleInvalid, ("rule", rule), ("why", e.Message.Split('(')[0].Trim()));
        }

        if (!text.Contains("FREQ=", StringComparison.OrdinalIgnoreCase))
        {
            return Result<Recurrence>.Fail(RejectMessages.RuleWithoutFrequency, ("rule", rule));
        }

        // Capacity comes in slots of a minute or more, and the start time gives the time of day: a rule
        // that steps by seconds or minutes, or picks times within a day, only makes expansion costly.
        if (pattern.Frequency is FrequencyType.Secondly or FrequencyType.Minutely
            || pattern.BySecond.Count > 0 || pattern.ByMinute.Count > 0 || pattern.ByHour.Count > 0)
        {
            return Result<Recurrence>.Fail(RejectMessages.RuleWithinTheHour, ("rule", rule));
        }

        if (duration <= TimeSpan.Zero || duration > TimeSpan.FromDays(31))
        {
            return Result<Recurrence>.Fail(RejectMessages.OccurrenceLength);
        }

        var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(zoneId);
        if (zone is null)
        {
            return Result<Recurrence>.Fail(RejectMessages.ZoneUnknown, ("zone", zoneId));
        }

        return Result<Recurrence>.Ok(new Recurrence(text.ToUpperInvariant(), firstDate, localStart, duration, zone));
    }

    /// <summary>
    /// Rebuilds a recurrence that was checked when its offer was placed, without checking its rule,
    /// duration or frequency again: a stored offer keeps the recurrence it was accepted with,
    /// whatever <see cref="Create"/> refuses since. The zone must still be known.
    /// </summary>
    /// <exception cref="ArgumentException">The zone is not an IANA time zone of this build's database.</exception>
    public static Recurrence Restore(string rule, DateOnly firstDate, TimeOnly localStart, TimeSpan duration, string zoneId)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(zoneId);
        var text = rule.Trim();
        if (text.StartsWith("RRULE:", StringComparison.OrdinalIgnoreCase))
        {
            text = text[6..];
        }

        var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(zoneId)
            ?? throw new ArgumentException($"'{zoneId}' is not an IANA time zone known to this build", nameof(zoneId));
        return new Recurrence(text.ToUpperInvariant(), firstDate, localStart, duration, zone);
    }

    /// <summary>The longest rule text taken.</summary>
    public const int MaxRuleLength = 500;

    /// <summary>
    /// How many steps of its frequency the rule may take without an occurrence before expansion
    /// stops, so that a rule whose parts never meet (the 30th of February) ends rather than runs.
    /// </summary>
    private const int MaxStepsWithoutOccurrence = 10_000;

    /// <summary>
    /// What is wrong with the recurrence in <paramref name="market"/> placed at <paramref name="at"/>,
    /// or null: its occurrences must last at least a slot and start at least a slot apart; its first
    /// date must lie within the market's order horizon; its COUNT, and its occurrences over the
    /// market's recurrence horizon, may not pass <see cref="MarketDefinition.MaxOccurrences"/>.
    /// Costs at most that many occurrences, however the rule reads.
    /// </summary>
    public Rejection? Check(MarketDefinition market, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(market);
        if (Duration < market.Slot)
        {
            return new(RejectMessages.OccurrenceShorterThanSlot, ("minutes", Duration.TotalMinutes), ("slotMinutes", market.Slot.TotalMinutes));
        }

        var today = DateOnly.FromDateTime(Instant.FromDateTimeOffset(at).InZone(Zone).Date.ToDateTimeUnspecified());
        var reach = (int)Math.Ceiling(market.OrderHorizon.TotalDays);
        if (FirstDate < today.AddDays(-reach) || FirstDate > today.AddDays(reach))
        {
            return new(RejectMessages.FirstDateBeyondHorizon, ("firstDate", FirstDate), ("today", today), ("days", reach));
        }

        var pattern = new RecurrencePattern(Rule);
        if (pattern.Count is { } count && count > market.MaxOccurrences)
        {
            return new(RejectMessages.CountTooLarge, ("count", count), ("maxOccurrences", market.MaxOccurrences));
        }

        var from = at.UtcTicks;
        var to = from + market.RecurrenceHorizon.Ticks;
        var seen = 0;
        LocalDateTime? previous = null;
        foreach (var start in LocalStarts(EvaluateFrom(from)))
        {
            // Measured in ticks: a local difference in months or years has no fixed length.
            if (previous is { } p && NodaTime.Period.Between(p, start, PeriodUnits.Ticks).Ticks is var gap && gap < market.Slot.Ticks)
            {
                return new(RejectMessages.OccurrencesCloserThanSlot,
                    ("rule", Rule), ("minutes", TimeSpan.FromTicks(gap).TotalMinutes), ("slotMinutes", market.Slot.TotalMinutes));
            }

            previous = start;
            var utc = ToUtcTicks(start);
            if (utc >= to)
            {
                break;
            }

            if (ToUtcTicks(start.PlusTicks(Duration.Ticks)) > from && ++seen > market.MaxOccurrences)
            {
                return new(RejectMessages.OccurrencesTooMany,
                    ("rule", Rule), ("maxOccurrences", market.MaxOccurrences), ("days", market.RecurrenceHorizon.TotalDays));
            }
        }

        return null;
    }

    /// <summary>Where to start evaluating the rule so that every occurrence that ends after <paramref name="fromTicks"/> comes out.</summary>
    private LocalDateTime EvaluateFrom(long fromTicks)
    {
        var fromLocal = Instant.FromUnixTimeTicks(fromTicks - DateTimeOffset.UnixEpoch.Ticks).InZone(Zone).LocalDateTime
            .PlusTicks(-Duration.Ticks).PlusDays(-1);
        return fromLocal > FirstLocal ? fromLocal : FirstLocal;
    }

    private LocalDateTime FirstLocal => new(FirstDate.Year, FirstDate.Month, FirstDate.Day, LocalStart.Hour, LocalStart.Minute, LocalStart.Second);

    /// <summary>
    /// The local starts of the occurrences from <paramref name="evaluateFrom"/> on, in order, lazily.
    /// Ends where the rule ends, where it steps <see cref="MaxStepsWithoutOccurrence"/> times
    /// without an occurrence, or at the end of the calendar.
    /// </summary>
    private IEnumerable<LocalDateTime> LocalStarts(LocalDateTime evaluateFrom)
    {
        var calendarEvent = new CalendarEvent { DtStart = ToCal(FirstLocal), RecurrenceRule = new RecurrencePattern(Rule) };
        using var occurrences = calendarEvent
            .GetOccurrences(ToCal(evaluateFrom), new EvaluationOptions { MaxUnmatchedIncrementsLimit = MaxStepsWithoutOccurrence })
            .GetEnumerator();
        while (true)
        {
            try
            {
                if (!occurrences.MoveNext())
                {
                    yield break;
                }
            }
            catch (Exception e) when (e is EvaluationLimitExceededException or EvaluationOutOfRangeException)
            {
                yield break;
            }

            var start = LocalDateTime.FromDateTime(occurrences.Current.Period.StartTime.Value);

            // The last few days of the calendar hold no occurrence whose end can be counted.
            if (start.Year >= 9999)
            {
                yield break;
            }

            yield return start;
        }
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

        long lastEnd = long.MinValue;
        foreach (var localStart in LocalStarts(EvaluateFrom(fromTicks)))
        {
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
