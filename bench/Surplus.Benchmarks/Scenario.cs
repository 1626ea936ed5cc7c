using Surplus.Market;

namespace Surplus.Benchmarks;

/// <summary>
/// The market, the instant and the order builders the benchmarks share. Every book is built
/// from a fixed seed, so two runs measure the same orders.
/// </summary>
public static class Scenario
{
    /// <summary>A Monday, 00:00 UTC: every command of a benchmark happens at this instant, so no expiry or hourly roll runs while measuring.</summary>
    public static readonly DateTimeOffset Now = new(2030, 1, 7, 0, 0, 0, TimeSpan.Zero);

    public static readonly MarketDefinition Market = new() { Id = "compute", Unit = "MFLOPS" };

    private static readonly string[] Zones = ["UTC", "Europe/Zurich", "America/New_York"];
    private static readonly string[] WeekDays = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

    public static Window Hours(int fromHour, int hours) =>
        Window.Create(Now.AddHours(fromHour), Now.AddHours(fromHour + hours), Market.Slot).Value;

    public static Price Price(decimal perUnitHour) => new(perUnitHour);

    public static AttributeSet Attributes(string os, int speed) =>
        AttributeSet.Create([new("os", os), new("speed", speed.ToString(System.Globalization.CultureInfo.InvariantCulture))]).Value;

    public static Constraint Constraint(string text) => Surplus.Market.Constraint.Parse(text).Value;

    /// <summary>Applies a command and fails loudly when the engine refuses it: a benchmark must measure what it claims.</summary>
    public static List<MarketEvent> MustApply(MarketEngine engine, MarketCommand command)
    {
        var events = new List<MarketEvent>();
        engine.Execute(command, events);
        if (events.OfType<CommandRejected>().FirstOrDefault() is { } rejected)
        {
            throw new InvalidOperationException($"setup command refused: {rejected.Reason.Message}");
        }

        return events;
    }

    /// <summary>
    /// A book of <paramref name="count"/> standing offers over the next three weeks: four in five
    /// have one window (1 to 72 hours, starting on any hour), one in five recurs (weekly on one
    /// day for 24 hours, or daily 18:00 for 12 hours, in one of three zones, expanded over the
    /// market's eight-week horizon). Sellers differ in OS and speed; asks run 0.50 to 2.00.
    /// </summary>
    public static MarketEngine Book(int count, int seed)
    {
        var random = new Random(seed);
        var engine = new MarketEngine(Market);
        for (var i = 0; i < count; i++)
        {
            var os = random.Next(10) switch { < 6 => "linux", < 9 => "windows", _ => "freebsd" };
            var spec = new OfferSpec
            {
                Id = new OfferId(i + 1),
                Seller = new MemberId(i + 1),
                Rate = new Rate(random.Next(100, 1001)),
                Ask = Price(random.Next(50, 201) / 100m),
                Attributes = Attributes(os, 1500 + (500 * random.Next(5))),
            };
            if (random.Next(5) == 0)
            {
                var zone = Zones[random.Next(Zones.Length)];
                var recurrence = random.Next(2) == 0
                    ? Recurrence.Create($"FREQ=WEEKLY;BYDAY={WeekDays[random.Next(7)]}", new DateOnly(2030, 1, 1), TimeOnly.MinValue, TimeSpan.FromHours(24), zone)
                    : Recurrence.Create("FREQ=DAILY", new DateOnly(2030, 1, 1), new TimeOnly(18, 0), TimeSpan.FromHours(12), zone);
                spec = spec with { Recurrence = recurrence.Value };
            }
            else
            {
                spec = spec with { Window = Hours(1 + random.Next(21 * 24), random.Next(1, 73)) };
            }

            MustApply(engine, new PlaceOffer(spec, Now));
        }

        return engine;
    }

    /// <summary>
    /// Needs against that book: windows of 1 to 8 hours over the same three weeks, rates of 10 to
    /// 200, bids 0.80 to 2.50; half carry a constraint (os=linux, or os=linux and speed&gt;=2500);
    /// half are spot and half standing; one in ten is all-or-none and one in ten has a minimum fill.
    /// </summary>
    public static PlaceNeed[] Needs(int count, int seed)
    {
        var random = new Random(seed);
        var linux = Constraint("os=linux");
        var fast = Constraint("speed>=2500");
        var needs = new PlaceNeed[count];
        for (var i = 0; i < count; i++)
        {
            var rate = random.Next(10, 201);
            var spec = new NeedSpec
            {
                Id = new NeedId(i + 1),
                Buyer = new MemberId(1_000_000 + random.Next(500)),
                Rate = new Rate(rate),
                Window = Hours(1 + random.Next(21 * 24), random.Next(1, 9)),
                Bid = Price(random.Next(80, 251) / 100m),
                Mode = random.Next(2) == 0 ? OrderMode.Spot : OrderMode.Standing,
                Constraints = random.Next(10) switch { < 5 => [], < 8 => [linux], _ => [linux, fast] },
                Fill = random.Next(10) switch { 0 => FillPolicy.AllOrNone, 1 => FillPolicy.MinimumFill(rate / 2), _ => FillPolicy.Divisible },
            };
            needs[i] = new PlaceNeed(spec, Now);
        }

        return needs;
    }
}
