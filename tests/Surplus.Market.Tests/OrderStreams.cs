using CsCheck;

namespace Surplus.Market.Tests;

/// <summary>A repeating availability as the reference reads it: plain dates, hours and a zone.</summary>
internal sealed record PlainRecurrence(string Rule, DateOnly FirstDate, int LocalHour, int Hours, string Zone, DayOfWeek[] Days, int Interval, int? Count);

/// <summary>A constraint as the reference reads it.</summary>
internal sealed record PlainConstraint(string Name, string Operator, string Value)
{
    public override string ToString() => $"{Name}{Operator}{Value}";
}

/// <summary>
/// One command of a random stream, with what the reference matcher needs to read it without the
/// engine's own parsing: the recurrence in plain terms, the constraints and the attributes.
/// </summary>
internal sealed record StreamStep(
    MarketCommand Command,
    PlainRecurrence? Recurrence,
    IReadOnlyList<PlainConstraint> Constraints,
    IReadOnlyDictionary<string, string> Attributes)
{
    public override string ToString() => Command switch
    {
        PlaceOffer p => $"{p.At:O} offer {p.Offer.Id} by {p.Offer.Seller} rate {p.Offer.Rate} ask {p.Offer.Ask} {(object?)p.Offer.Window ?? Recurrence!.Rule + " from " + Recurrence.FirstDate} {p.Offer.Mode} expiry {p.Offer.Expiry:O} attributes {string.Join(",", Attributes.Select(a => a.Key + "=" + a.Value))} buyers {string.Join(",", p.Offer.PreferredBuyers)}",
        PlaceNeed p => $"{p.At:O} need {p.Need.Id} by {p.Need.Buyer} rate {p.Need.Rate} bid {p.Need.Bid} {p.Need.Window} {p.Need.Mode} {p.Need.Fill} expiry {p.Need.Expiry:O} constraints {string.Join(",", Constraints)} sellers {string.Join(",", p.Need.PreferredSellers)} excluded {string.Join(",", p.Need.ExcludedSellers)}",
        _ => Command.ToString(),
    };
}

/// <summary>
/// Random streams of commands for the property tests: one-off and recurring offers, needs with
/// every fill policy and both modes, constraints and attributes from a tiny set, four members (so
/// that a member meets its own orders), cancels, amends and time passing. CsCheck draws plain
/// integers; <see cref="Build"/> turns them into commands, so shrinking stays meaningful.
/// </summary>
internal static class OrderStreams
{
    /// <summary>Monday 20 October 2025; the stream crosses the end of summer time in Zurich on the 26th.</summary>
    public static readonly DateTimeOffset Start = new(2025, 10, 20, 6, 0, 0, TimeSpan.Zero);

    /// <summary>Streams never run past this instant, so the reference's arrays can be fixed in size.</summary>
    public static readonly DateTimeOffset End = Start.AddDays(16);

    public static readonly MarketDefinition Market = new()
    {
        Id = "compute",
        Unit = "MFLOPS",
        Slot = TimeSpan.FromMinutes(15),
        Tick = 0.01m,
        FeeBasisPoints = 25,
        RecurrenceHorizon = TimeSpan.FromDays(3),
    };

    public const int Members = 4;

    private static readonly PlainRecurrence[] Recurrences =
    [
        new("FREQ=WEEKLY;BYDAY=SA", default, 0, 24, "Europe/Zurich", [DayOfWeek.Saturday], 1, null),
        new("FREQ=WEEKLY;BYDAY=SU", default, 0, 24, "Europe/Zurich", [DayOfWeek.Sunday], 1, null),
        new("FREQ=DAILY", default, 9, 8, "UTC", [], 1, null),
        new("FREQ=DAILY;COUNT=3", default, 21, 4, "Europe/Zurich", [], 1, 3),
        new("FREQ=WEEKLY;BYDAY=MO,WE,FR", default, 6, 6, "UTC", [DayOfWeek.Monday, DayOfWeek.Wednesday, DayOfWeek.Friday], 1, null),
        new("FREQ=DAILY;INTERVAL=2", default, 20, 5, "Europe/Zurich", [], 2, null),
    ];

    private static readonly PlainConstraint[][] ConstraintSets =
    [
        [], [], [], [],
        [new("os", "=", "linux")],
        [new("os", "!=", "windows")],
        [new("speed", ">=", "2000")],
        [new("speed", "<", "3000"), new("os", "=", "linux")],
    ];

    // Parsing a rule is slow; the streams share the few they use (a Recurrence is immutable).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<PlainRecurrence, Recurrence> Parsed = new();

    private static readonly string?[] Systems = [null, "linux", "windows", "Linux"];
    private static readonly string?[] Speeds = [null, "1000", "2000", "3000"];

    /// <summary>Raw streams: 50 to 200 steps of eight integers each.</summary>
    public static Gen<int[][]> Raw { get; } = Gen.Int[0, 1 << 20].Array[8].Array[50, 200];

    /// <summary>A raw stream and where to export and restore the engine in it.</summary>
    public static Gen<(int[][] Steps, int Split)> RawWithSplit { get; } = Gen.Select(Raw, Gen.Int[0, 1000], (steps, split) => (steps, split % steps.Length));

    private static long SlotTicks => Market.Slot.Ticks;

    private static DateTimeOffset SlotStart(DateTimeOffset t) => new(t.UtcTicks - (t.UtcTicks % SlotTicks), TimeSpan.Zero);

    private static Window Span(DateTimeOffset start, int slots) => Window.Create(start, start.AddTicks(slots * SlotTicks), Market.Slot).Value;

    private static decimal Price(decimal from, int steps) => from + (steps * 0.01m);

    private static MemberId Member(int r) => new(1 + (r % Members));

    public static IReadOnlyList<StreamStep> Build(int[][] raw)
    {
        var steps = new List<StreamStep>(raw.Length);
        var now = Start;
        var offers = new List<(long Id, MemberId Owner)>();
        var needs = new List<(long Id, MemberId Owner)>();
        long nextId = 1;
        var none = new Dictionary<string, string>();
        foreach (var r in raw)
        {
            var kind = r[0] % 100;
            if (kind < 81 && r[7] % 3 == 0 && now < End)
            {
                now = now.AddSeconds(r[7] % 3600);
            }

            // Now and then a command arrives stamped a little before the last one: time must not run back.
            var at = r[7] % 23 == 0 ? now.AddMinutes(-5) : now;
            if (kind < 25)
            {
                var id = r[2] % 30 == 0 && needs.Count > 0 ? needs[r[2] % needs.Count].Id : nextId++;
                var buyer = Member(r[1]);
                var rate = 1 + (r[2] % 12);
                var spot = r[6] % 4 == 0;
                // Mostly within the next twelve hours, where most offers are; now and then days ahead.
                var ahead = r[4] % 4 == 0 ? r[4] % (4 * 96) : r[4] % 48;
                var start = spot
                    ? SlotStart(now).AddTicks((r[4] % 8) * SlotTicks)
                    : r[6] % 25 == 1 ? SlotStart(now) : SlotStart(now).AddTicks((1 + ahead) * SlotTicks);
                var fill = ((r[6] / 4) % 4) switch
                {
                    2 => FillPolicy.AllOrNone,
                    3 => FillPolicy.MinimumFill(1 + (r[7] % rate)),
                    _ => FillPolicy.Divisible,
                };
                var constraints = ConstraintSets[(r[7] / 16) % ConstraintSets.Length];
                var need = new NeedSpec
                {
                    Id = new NeedId(id),
                    Buyer = buyer,
                    Rate = new Rate(rate),
                    Bid = new Price(Price(0.90m, r[3] % 16)),
                    Window = Span(start, 1 + (r[5] % 32)),
                    Mode = spot ? OrderMode.Spot : OrderMode.Standing,
                    Fill = fill,
                    Expiry = (r[5] / 32) % 6 == 0 ? now.AddMinutes(10 * (1 + (r[5] % 20))).AddSeconds(r[4] % 60) : null,
                    Constraints = constraints.Select(c => Constraint.Parse(c.ToString()).Value).ToList(),
                    PreferredSellers = ((r[7] / 128) % 8) switch
                    {
                        0 => new HashSet<MemberId> { Member(r[1] + 1) },
                        1 => new HashSet<MemberId> { Member(r[1] + 2), Member(r[1] + 3) },
                        _ => new HashSet<MemberId>(),
                    },
                    ExcludedSellers = ((r[7] / 1024) % 5) switch
                    {
                        0 => new HashSet<MemberId> { Member(r[1] + 1) },
                        1 => new HashSet<MemberId> { Member(r[1] + 2), Member(r[1] + 4) },
                        _ => new HashSet<MemberId>(),
                    },
                };
                needs.Add((id, buyer));
                steps.Add(new StreamStep(new PlaceNeed(need, at), null, constraints, none));
            }
            else if (kind < 54)
            {
                var id = r[2] % 30 == 0 && offers.Count > 0 ? offers[r[2] % offers.Count].Id : nextId++;
                var seller = Member(r[1]);
                var attributes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                if (Systems[r[7] % Systems.Length] is { } os)
                {
                    attributes["os"] = os;
                }

                if (Speeds[(r[7] / 4) % Speeds.Length] is { } speed)
                {
                    attributes["speed"] = speed;
                }

                var offer = new OfferSpec
                {
                    Id = new OfferId(id),
                    Seller = seller,
                    Rate = new Rate(1 + (r[2] % 20)),
                    Ask = new Price(Price(0.95m, r[3] % 16)),
                    Mode = r[6] % 8 == 0 ? OrderMode.Spot : OrderMode.Standing,
                    Expiry = (r[6] / 8) % 6 == 0 ? now.AddMinutes(15 * (1 + (r[5] % 30))).AddSeconds(r[4] % 60) : null,
                    Attributes = AttributeSet.Create(attributes).Value,
                    PreferredBuyers = (r[7] / 16) % 8 == 0 ? new HashSet<MemberId> { Member(r[1] + 1) } : new HashSet<MemberId>(),
                };
                PlainRecurrence? plain = null;
                if (kind < 48)
                {
                    var start = SlotStart(now).AddTicks(((r[4] % 64) - 4) * SlotTicks);
                    offer = offer with { Window = Span(start, 4 + (r[5] % 200)) };
                }
                else
                {
                    var template = Recurrences[r[4] % Recurrences.Length];
                    var first = DateOnly.FromDateTime(now.UtcDateTime).AddDays((r[5] % 4) - 2);
                    while (template.Days.Length > 0 && !template.Days.Contains(first.DayOfWeek))
                    {
                        first = first.AddDays(1);
                    }

                    plain = template with { FirstDate = first };
                    offer = offer with { Recurrence = Parsed.GetOrAdd(plain, p => Recurrence.Create(p.Rule, p.FirstDate, new TimeOnly(p.LocalHour, 0), TimeSpan.FromHours(p.Hours), p.Zone).Value) };
                }

                offers.Add((id, seller));
                steps.Add(new StreamStep(new PlaceOffer(offer, at), plain, [], attributes));
            }
            else if (kind < 81)
            {
                var isOffer = r[1] % 2 == 0;
                var placed = isOffer ? offers : needs;
                // Mostly one of the last few orders, which are likelier to be open.
                var pick = r[2] % 5 == 0 ? r[2] % Math.Max(1, placed.Count) : placed.Count - 1 - (r[2] % Math.Min(6, Math.Max(1, placed.Count)));
                var (id, owner) = placed.Count > 0 ? placed[pick] : (999, Member(r[1]));
                var by = r[3] % 6 == 0 ? Member((int)owner.Value) : owner;
                var key = isOffer ? OrderKey.Of(new OfferId(id)) : OrderKey.Of(new NeedId(id));
                MarketCommand command;
                if (kind < 63)
                {
                    command = new CancelOrder(key, by, at);
                }
                else
                {
                    var change = r[4] % 20 == 19 ? -1 : r[4] % 3;
                    Price? price = change is 0 or 2 ? new Price(Price(isOffer ? 0.95m : 0.90m, r[5] % 16)) : null;
                    Rate? rate = change is 1 or 2 ? new Rate(1 + (r[6] % 15)) : null;
                    command = new AmendOrder(key, by, price, rate, at);
                }

                steps.Add(new StreamStep(command, null, [], none));
            }
            else
            {
                var step = TimeSpan.FromMinutes(15 * (1 + (r[1] % 20))) + TimeSpan.FromSeconds(r[2] % 2 == 0 ? 0 : r[2] % 900);
                if (r[3] % 20 == 0)
                {
                    step += TimeSpan.FromDays(1 + (r[3] % 3));
                }

                if (now + step < End)
                {
                    now += step;
                }

                steps.Add(new StreamStep(new AdvanceTime(now), null, [], none));
            }
        }

        return steps;
    }
}
