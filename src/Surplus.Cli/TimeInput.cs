using System.Globalization;
using System.Text.RegularExpressions;
using NodaTime;
using NodaTime.Text;

namespace Surplus.Cli;

/// <summary>
/// Times and durations as people type them: ISO-8601 with an offset (<c>2026-11-28T09:00Z</c>,
/// <c>2026-11-28T09:00+01:00</c>), a local time with an IANA zone (<c>2026-11-28 09:00 Europe/Zurich</c>),
/// a local time alone (this machine's zone), or <c>now</c> / <c>+90m</c> / <c>+2h</c> / <c>+1d</c>
/// from now, rounded up to the next whole minute (market slots are whole minutes).
/// </summary>
internal static partial class TimeInput
{
    private static readonly LocalDateTimePattern[] LocalPatterns =
    [
        LocalDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd' 'HH':'mm"),
        LocalDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd' 'HH':'mm':'ss"),
        LocalDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mm"),
        LocalDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mm':'ss"),
        LocalDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd"),
    ];

    /// <summary>Reads a time; <paramref name="what"/> names the option in the error.</summary>
    public static DateTimeOffset Parse(string text, string what, TimeProvider time)
    {
        var value = text.Trim();
        if (value.Equals("now", StringComparison.OrdinalIgnoreCase))
        {
            return CeilingMinute(time.GetUtcNow());
        }

        if (value.StartsWith('+'))
        {
            return CeilingMinute(time.GetUtcNow() + Duration(value[1..], what));
        }

        // ISO-8601 with Z or an offset.
        if (IsoWithOffset().IsMatch(value))
        {
            return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var iso)
                ? iso
                : throw new UsageException($"{what}: '{text}' is not a valid ISO-8601 time (such as 2026-11-28T09:00Z)");
        }

        var zone = DateTimeZoneProviders.Tzdb.GetSystemDefault();
        var local = value;
        var space = value.LastIndexOf(' ');
        if (space > 0 && DateTimeZoneProviders.Tzdb.GetZoneOrNull(value[(space + 1)..]) is { } named)
        {
            zone = named;
            local = value[..space].Trim();
        }
        else if (space > 0 && value[(space + 1)..].Contains('/', StringComparison.Ordinal))
        {
            throw new UsageException($"{what}: '{value[(space + 1)..]}' is not an IANA time zone (such as Europe/Zurich or America/New_York)");
        }

        foreach (var pattern in LocalPatterns)
        {
            if (pattern.Parse(local) is not { Success: true } parsed)
            {
                continue;
            }

            var mapping = zone.MapLocal(parsed.Value);
            return mapping.Count switch
            {
                1 => mapping.Single().ToDateTimeOffset(),
                0 => throw new UsageException($"{what}: {local} does not exist in {zone.Id} (the clocks skip it); give another time"),
                _ => throw new UsageException($"{what}: {local} happens twice in {zone.Id} (the clocks go back); give it with an offset, such as {mapping.First().ToOffsetDateTime():uuuu'-'MM'-'dd'T'HH':'mmo<+HH:mm>}"),
            };
        }

        throw new UsageException($"{what}: '{text}' is not a time; give ISO-8601 (2026-11-28T09:00Z), a local time with a zone (\"2026-11-28 09:00 Europe/Zurich\"), now or +2h");
    }

    /// <summary>Reads a duration: <c>90m</c>, <c>6h</c>, <c>1d</c>, <c>1h30m</c> or ISO-8601 <c>PT6H</c>.</summary>
    public static TimeSpan Duration(string text, string what)
    {
        var value = text.Trim();
        if (value.StartsWith('P') || value.StartsWith('p'))
        {
            try
            {
                return System.Xml.XmlConvert.ToTimeSpan(value.ToUpperInvariant());
            }
            catch (FormatException)
            {
                throw new UsageException($"{what}: '{text}' is not an ISO-8601 duration such as PT6H");
            }
        }

        var match = DurationForm().Match(value);
        if (!match.Success || value.Length == 0)
        {
            throw new UsageException($"{what}: '{text}' is not a duration; give it as 90m, 6h, 1d, 1h30m or PT6H");
        }

        var total = TimeSpan.Zero;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unit = part.Value[^1];
            var number = long.Parse(part.Value[..^1], CultureInfo.InvariantCulture);
            total += unit switch
            {
                'd' => TimeSpan.FromDays(number),
                'h' => TimeSpan.FromHours(number),
                'm' => TimeSpan.FromMinutes(number),
                _ => TimeSpan.FromSeconds(number),
            };
        }

        return total;
    }

    /// <summary>A time as people read it: local to this machine, with its offset.</summary>
    public static string Show(DateTimeOffset? value)
    {
        if (value is not { } t)
        {
            return "";
        }

        var zoned = Instant.FromDateTimeOffset(t).InZone(DateTimeZoneProviders.Tzdb.GetSystemDefault());
        return zoned.ToString(zoned.Second == 0 ? "uuuu'-'MM'-'dd HH':'mm" : "uuuu'-'MM'-'dd HH':'mm':'ss", CultureInfo.InvariantCulture);
    }

    /// <summary>A window as people read it: <c>2026-11-28 12:00–18:00</c>, or both dates when it spans days.</summary>
    public static string ShowWindow(DateTimeOffset? start, DateTimeOffset? end)
    {
        var from = Show(start);
        var to = Show(end);
        return from.Length >= 10 && to.Length >= 10 && from[..10] == to[..10] ? $"{from}–{to[11..]}" : $"{from} → {to}";
    }

    /// <summary>The zone people's times are shown in.</summary>
    public static string Zone => DateTimeZoneProviders.Tzdb.GetSystemDefault().Id;

    private static DateTimeOffset CeilingMinute(DateTimeOffset t)
    {
        var ticks = TimeSpan.TicksPerMinute;
        var up = (t.UtcTicks + ticks - 1) / ticks * ticks;
        return new DateTimeOffset(up, TimeSpan.Zero);
    }

    [GeneratedRegex("^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$")]
    private static partial Regex IsoWithOffset();

    [GeneratedRegex("^(?<part>[0-9]{1,6}[dhms])+$")]
    private static partial Regex DurationForm();
}
