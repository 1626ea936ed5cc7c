using System.Globalization;

namespace Surplus.Market.Tests;

/// <summary>
/// A slow matcher written as plainly as possible, to check the engine trade for trade. It keeps
/// spare capacity as one number per slot, scans every order for every decision and shares no code
/// with the engine: it reads the commands' plain data and works out recurrences (with
/// <see cref="TimeZoneInfo"/>), constraints, priority and amounts on its own. It follows the
/// engine's documented semantics, including the hourly roll that forgets the past and extends
/// recurring offers over the horizon. It describes what happens as lines of text, in the same
/// form as <see cref="EventText"/> describes the engine's events.
/// </summary>
internal sealed class ReferenceMarket
{
    private static readonly long SlotTicks = OrderStreams.Market.Slot.Ticks;
    private static readonly long Origin = OrderStreams.Start.AddDays(-16).UtcTicks;
    private static readonly int SlotCount = (int)((OrderStreams.End.AddDays(10).UtcTicks - Origin) / SlotTicks);

    private readonly List<Ask> offers = [];
    private readonly List<Bid> needs = [];
    private readonly List<string> events = [];
    private readonly List<Ask> rolled = [];
    private long clock;
    private long nextSequence = 1;
    private long nextTradeId = 1;

    private sealed class Ask
    {
        public long Id;
        public long Seller;
        public long Rate;
        public decimal Price;
        public long Sequence;
        public bool Spot;
        public long? Expiry;
        public int? WindowEnd;
        public Dictionary<string, string> Attributes = [];
        public HashSet<long> PreferredBuyers = [];
        public List<(long Start, long End)>? Occurrences;
        public long ExpandedUntil;
        public int[] Spare = new int[SlotCount];
        public bool[] Available = new bool[SlotCount];
        public int LiveFrom;
        public int FirstSlot = int.MaxValue;
        public int EndSlot;

        public long Due => WindowEnd is { } end ? Math.Min(TicksOf(end), Expiry ?? long.MaxValue) : Expiry ?? long.MaxValue;

        public void MakeAvailable(int from, int to)
        {
            for (var s = from; s < to; s++)
            {
                Available[s] = true;
                Spare[s] = (int)Rate;
            }

            FirstSlot = Math.Min(FirstSlot, from);
            EndSlot = Math.Max(EndSlot, to);
        }

        public long MostSpare()
        {
            long most = 0;
            for (var s = Math.Max(LiveFrom, FirstSlot); s < EndSlot; s++)
            {
                most = Math.Max(most, Spare[s]);
            }

            return most;
        }

        public long LeastSpare(int from, int to)
        {
            long least = long.MaxValue;
            for (var s = from; s < to; s++)
            {
                least = Math.Min(least, Spare[s]);
            }

            return least;
        }
    }

    private sealed class Bid
    {
        public long Id;
        public long Buyer;
        public long Remaining;
        public decimal Price;
        public long Sequence;
        public bool Spot;
        public long? Expiry;
        public int Start;
        public int End;
        public string Fill = "";
        public long MinimumFill;
        public List<PlainConstraint> Constraints = [];
        public HashSet<long> PreferredSellers = [];
        public HashSet<long> ExcludedSellers = [];

        public long Due => Math.Min(TicksOf(Start), Expiry ?? long.MaxValue);
    }

    private static int SlotOf(long ticks) => (int)((ticks - Origin) / SlotTicks);

    private static long TicksOf(int slot) => Origin + (slot * SlotTicks);

    private string Now => clock.ToString(CultureInfo.InvariantCulture);

    private static string Key(string side, long id) => $"{side} {id}";

    private static string WindowText(int start, int end) => $"{TicksOf(start)}-{TicksOf(end)}";

    private static string Money(decimal price) => price.ToString("0.00", CultureInfo.InvariantCulture);

    public IReadOnlyList<string> Apply(StreamStep step)
    {
        events.Clear();
        var at = Math.Max(step.Command.At.UtcTicks, clock);
        var newHour = at / TimeSpan.TicksPerHour != clock / TimeSpan.TicksPerHour;
        clock = at;
        ExpireDueOrders();
        if (newHour)
        {
            Roll();
        }

        // New occurrences meet the resting needs as an arriving offer would, at the offer's ask
        // when the need came after it.
        foreach (var offer in rolled.Where(offers.Contains).ToList())
        {
            MatchIncoming(offer, rolled: true);
            if (SoldOut(offer))
            {
                offers.Remove(offer);
                events.Add($"{Now} filled {Key("offer", offer.Id)} by {offer.Seller}");
            }
        }

        rolled.Clear();

        switch (step.Command)
        {
            case PlaceOffer place:
                PlaceOffer(place.Offer, step);
                break;
            case PlaceNeed place:
                PlaceNeed(place.Need, step);
                break;
            case CancelOrder cancel:
                Cancel(cancel);
                break;
            case AmendOrder amend:
                Amend(amend);
                break;
        }

        return [.. events];
    }

    private void ExpireDueOrders()
    {
        var due = new List<(long Due, long Sequence, object Order)>();
        foreach (var offer in offers)
        {
            if (offer.Due <= clock)
            {
                due.Add((offer.Due, offer.Sequence, offer));
            }
        }

        foreach (var need in needs)
        {
            if (need.Due <= clock)
            {
                due.Add((need.Due, need.Sequence, need));
            }
        }

        foreach (var (_, _, order) in due.OrderBy(d => d.Due).ThenBy(d => d.Sequence))
        {
            if (order is Ask offer)
            {
                offers.Remove(offer);
                events.Add($"{Now} expired {Key("offer", offer.Id)} by {offer.Seller} remaining {offer.MostSpare()}");
            }
            else if (order is Bid need)
            {
                needs.Remove(need);
                events.Add($"{Now} expired {Key("need", need.Id)} by {need.Buyer} remaining {need.Remaining}");
            }
        }
    }

    private void Roll()
    {
        var slot = SlotOf(clock);
        var horizon = clock + OrderStreams.Market.RecurrenceHorizon.Ticks;
        var spent = new List<Ask>();
        foreach (var offer in OffersByPriority())
        {
            for (var s = offer.LiveFrom; s < slot; s++)
            {
                offer.Spare[s] = 0;
                offer.Available[s] = false;
            }

            offer.LiveFrom = Math.Max(offer.LiveFrom, slot);
            if (offer.Occurrences is not null && offer.ExpandedUntil < horizon)
            {
                var until = horizon + TimeSpan.TicksPerDay;
                foreach (var (start, end) in offer.Occurrences)
                {
                    if (start >= offer.ExpandedUntil && start < until && end > clock)
                    {
                        offer.MakeAvailable(Math.Max(SlotOf(start), slot), SlotOf(end));
                        if (!rolled.Contains(offer))
                        {
                            rolled.Add(offer);
                        }
                    }
                }

                offer.ExpandedUntil = until;
            }

            if (SoldOut(offer))
            {
                spent.Add(offer);
            }
        }

        foreach (var offer in spent)
        {
            offers.Remove(offer);
            events.Add($"{Now} expired {Key("offer", offer.Id)} by {offer.Seller} remaining 0");
        }
    }

    /// <summary>Nothing left to sell: a recurring offer only when its rule has no occurrence past what is expanded.</summary>
    private static bool SoldOut(Ask offer) =>
        offer.MostSpare() == 0
        && (offer.Occurrences is null
            || !offer.Occurrences.Any(o => o.End > offer.ExpandedUntil && o.Start < offer.ExpandedUntil + OrderStreams.Market.RecurrenceHorizon.Ticks));

    private IEnumerable<Ask> OffersByPriority() => offers.OrderBy(o => o.Price).ThenBy(o => o.Sequence).ToList();

    private IEnumerable<Bid> NeedsByPriority() => needs.OrderByDescending(n => n.Price).ThenBy(n => n.Sequence).ToList();

    private void Reject(string side, long id, long by, RejectCode code) =>
        events.Add($"{Now} rejected {Key(side, id)} by {by}: {code}");

    private void PlaceOffer(OfferSpec spec, StreamStep step)
    {
        var slotStartTicks = clock - (clock % SlotTicks);
        if (spec.Window is { } w && w.EndTicks <= clock)
        {
            Reject("offer", spec.Id.Value, spec.Seller.Value, RejectCode.WindowInPast);
            return;
        }

        if (offers.Any(o => o.Id == spec.Id.Value))
        {
            Reject("offer", spec.Id.Value, spec.Seller.Value, RejectCode.DuplicateId);
            return;
        }

        var offer = new Ask
        {
            Id = spec.Id.Value,
            Seller = spec.Seller.Value,
            Rate = spec.Rate.Value,
            Price = spec.Ask.PerUnitHour,
            Spot = spec.Mode == OrderMode.Spot,
            Expiry = spec.Expiry?.UtcTicks,
            Attributes = new Dictionary<string, string>(step.Attributes, StringComparer.OrdinalIgnoreCase),
            PreferredBuyers = spec.PreferredBuyers.Select(m => m.Value).ToHashSet(),
        };
        if (spec.Window is { } window)
        {
            offer.WindowEnd = SlotOf(window.EndTicks);
            offer.MakeAvailable(SlotOf(Math.Max(window.StartTicks, slotStartTicks)), SlotOf(window.EndTicks));
        }
        else
        {
            offer.Occurrences = Occurrences(step.Recurrence!);
            offer.ExpandedUntil = clock + OrderStreams.Market.RecurrenceHorizon.Ticks + TimeSpan.TicksPerDay;
            foreach (var (start, end) in offer.Occurrences)
            {
                if (end > slotStartTicks && start < offer.ExpandedUntil)
                {
                    offer.MakeAvailable(SlotOf(start), SlotOf(end));
                }
            }

            if (offer.EndSlot == 0)
            {
                Reject("offer", spec.Id.Value, spec.Seller.Value, RejectCode.RecurrenceEmpty);
                return;
            }
        }

        offer.Sequence = nextSequence++;
        events.Add($"{Now} accepted {Key("offer", offer.Id)} by {offer.Seller}");
        MatchIncoming(offer);
        var spare = offer.MostSpare();
        if (SoldOut(offer))
        {
            events.Add($"{Now} filled {Key("offer", offer.Id)} by {offer.Seller}");
        }
        else if (offer.Spot)
        {
            events.Add($"{Now} cancelled {Key("offer", offer.Id)} by {offer.Seller} remaining {spare} {CancelReason.SpotRemainder}");
        }
        else
        {
            offers.Add(offer);
            events.Add($"{Now} rested {Key("offer", offer.Id)} by {offer.Seller} remaining {spare}");
        }
    }

    private void PlaceNeed(NeedSpec spec, StreamStep step)
    {
        var slotStartTicks = clock - (clock % SlotTicks);
        var window = spec.Window;
        if (window.StartTicks < slotStartTicks || (spec.Mode == OrderMode.Standing && window.StartTicks < clock))
        {
            Reject("need", spec.Id.Value, spec.Buyer.Value, RejectCode.WindowInPast);
            return;
        }

        if (needs.Any(n => n.Id == spec.Id.Value))
        {
            Reject("need", spec.Id.Value, spec.Buyer.Value, RejectCode.DuplicateId);
            return;
        }

        var need = new Bid
        {
            Id = spec.Id.Value,
            Buyer = spec.Buyer.Value,
            Remaining = spec.Rate.Value,
            Price = spec.Bid.PerUnitHour,
            Spot = spec.Mode == OrderMode.Spot,
            Expiry = spec.Expiry?.UtcTicks,
            Start = SlotOf(window.StartTicks),
            End = SlotOf(window.EndTicks),
            Fill = spec.Fill.Kind.ToString(),
            MinimumFill = spec.Fill.MinimumRate,
            Constraints = [.. step.Constraints],
            PreferredSellers = spec.PreferredSellers.Select(m => m.Value).ToHashSet(),
            ExcludedSellers = spec.ExcludedSellers.Select(m => m.Value).ToHashSet(),
            Sequence = nextSequence++,
        };
        events.Add($"{Now} accepted {Key("need", need.Id)} by {need.Buyer}");
        MatchIncoming(need);
        if (need.Remaining == 0)
        {
            events.Add($"{Now} filled {Key("need", need.Id)} by {need.Buyer}");
        }
        else if (need.Spot)
        {
            events.Add($"{Now} cancelled {Key("need", need.Id)} by {need.Buyer} remaining {need.Remaining} {CancelReason.SpotRemainder}");
        }
        else
        {
            needs.Add(need);
            events.Add($"{Now} rested {Key("need", need.Id)} by {need.Buyer} remaining {need.Remaining}");
        }
    }

    private void MatchIncoming(Bid need)
    {
        var remaining = need.Remaining;
        var plan = new List<(Ask Offer, long Fill)>();
        (Ask Offer, long Spare)? negotiate = null;
        foreach (var offer in OffersByPriority())
        {
            var spare = offer.LeastSpare(need.Start, need.End);
            if (spare <= 0 || !Eligible(offer, need))
            {
                continue;
            }

            if (offer.Price > need.Price)
            {
                negotiate = (offer, spare);
                break;
            }

            var fill = Math.Min(remaining, spare);
            if (need.Fill == nameof(FillKind.MinimumFill) && fill < Math.Min(need.MinimumFill, remaining))
            {
                continue;
            }

            plan.Add((offer, fill));
            remaining -= fill;
            if (remaining == 0)
            {
                break;
            }
        }

        if (need.Fill == nameof(FillKind.AllOrNone) && remaining > 0)
        {
            plan.Clear();
        }

        foreach (var (offer, fill) in plan)
        {
            Trade(need, offer, fill, offer.Price, OrderSide.Need);
            if (SoldOut(offer))
            {
                offers.Remove(offer);
                events.Add($"{Now} filled {Key("offer", offer.Id)} by {offer.Seller}");
            }
        }

        if (need.Remaining > 0 && negotiate is { } dear)
        {
            events.Add($"{Now} negotiate need {need.Id} buyer {need.Buyer} bid {Money(need.Price)} offer {dear.Offer.Id} seller {dear.Offer.Seller} ask {Money(dear.Offer.Price)} rate {Math.Min(need.Remaining, dear.Spare)} window {WindowText(need.Start, need.End)}");
        }
    }

    private void MatchIncoming(Ask offer, bool rolled = false)
    {
        foreach (var need in NeedsByPriority())
        {
            if (need.Price < offer.Price)
            {
                break;
            }

            if (!Eligible(offer, need))
            {
                continue;
            }

            var fill = Math.Min(need.Remaining, offer.LeastSpare(need.Start, need.End));
            if (need.Fill == nameof(FillKind.MinimumFill) && fill < Math.Min(need.MinimumFill, need.Remaining))
            {
                fill = 0;
            }

            if (fill == 0 || (need.Fill == nameof(FillKind.AllOrNone) && fill < need.Remaining))
            {
                continue;
            }

            var offerFirst = rolled && offer.Sequence < need.Sequence;
            Trade(need, offer, fill, offerFirst ? offer.Price : need.Price, offerFirst ? OrderSide.Need : OrderSide.Offer);
            if (need.Remaining == 0)
            {
                needs.Remove(need);
                events.Add($"{Now} filled {Key("need", need.Id)} by {need.Buyer}");
            }

            if (offer.MostSpare() == 0)
            {
                break;
            }
        }
    }

    private void Trade(Bid need, Ask offer, long fill, decimal price, OrderSide aggressor)
    {
        for (var s = need.Start; s < need.End; s++)
        {
            offer.Spare[s] -= (int)fill;
        }

        need.Remaining -= fill;
        var hours = (need.End - need.Start) * (decimal)OrderStreams.Market.Slot.TotalMinutes / 60m;
        var amount = (long)(Math.Round(fill * hours * price, 2, MidpointRounding.AwayFromZero) * 100);
        var fee = (long)Math.Round(amount * OrderStreams.Market.FeeBasisPoints / 10_000m, MidpointRounding.AwayFromZero);
        events.Add($"{Now} trade {nextTradeId++}: need {need.Id} offer {offer.Id} buyer {need.Buyer} seller {offer.Seller} rate {fill} window {WindowText(need.Start, need.End)} price {Money(price)} amount {amount} fee {fee} aggressor {aggressor}");
    }

    private static bool Eligible(Ask offer, Bid need) =>
        offer.Seller != need.Buyer
        && (offer.PreferredBuyers.Count == 0 || offer.PreferredBuyers.Contains(need.Buyer))
        && (need.PreferredSellers.Count == 0 || need.PreferredSellers.Contains(offer.Seller))
        && !need.ExcludedSellers.Contains(offer.Seller)
        && need.Constraints.All(c => Satisfies(offer.Attributes, c));

    /// <summary>Whether attributes meet a constraint: a missing attribute meets only <c>!=</c>.</summary>
    public static bool Satisfies(IReadOnlyDictionary<string, string> attributes, PlainConstraint constraint)
    {
        var has = attributes.TryGetValue(constraint.Name, out var actual);
        var same = has && (decimal.TryParse(actual, CultureInfo.InvariantCulture, out var a) && decimal.TryParse(constraint.Value, CultureInfo.InvariantCulture, out var b)
            ? a == b
            : string.Equals(actual, constraint.Value, StringComparison.OrdinalIgnoreCase));
        return constraint.Operator switch
        {
            "=" => same,
            "!=" => !same,
            ">=" => has && decimal.Parse(actual!, CultureInfo.InvariantCulture) >= decimal.Parse(constraint.Value, CultureInfo.InvariantCulture),
            "<" => has && decimal.Parse(actual!, CultureInfo.InvariantCulture) < decimal.Parse(constraint.Value, CultureInfo.InvariantCulture),
            _ => throw new ArgumentException($"operator {constraint.Operator} is not in the test's set", nameof(constraint)),
        };
    }

    /// <summary>The occurrences of a recurrence as UTC ticks, from its first date to past the end of any stream.</summary>
    public static List<(long Start, long End)> Occurrences(PlainRecurrence recurrence)
    {
        var zone = recurrence.Zone == "UTC" ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(recurrence.Zone);
        var last = DateOnly.FromDateTime(OrderStreams.End.UtcDateTime).AddDays(10);
        var result = new List<(long, long)>();
        for (var (day, index) = (recurrence.FirstDate, 0); day <= last; day = day.AddDays(1), index++)
        {
            var matches = recurrence.Days.Length > 0 ? recurrence.Days.Contains(day.DayOfWeek) : index % recurrence.Interval == 0;
            if (!matches)
            {
                continue;
            }

            if (recurrence.Count is { } count && result.Count == count)
            {
                break;
            }

            var localStart = day.ToDateTime(new TimeOnly(recurrence.LocalHour, 0));
            var start = TimeZoneInfo.ConvertTimeToUtc(localStart, zone);
            var end = TimeZoneInfo.ConvertTimeToUtc(localStart.AddHours(recurrence.Hours), zone);
            result.Add((start.Ticks, end.Ticks));
        }

        return result;
    }

    private void Cancel(CancelOrder cancel)
    {
        var side = cancel.Order.Side == OrderSide.Offer ? "offer" : "need";
        if (cancel.Order.Side == OrderSide.Offer)
        {
            var offer = offers.FirstOrDefault(o => o.Id == cancel.Order.Id);
            if (Refused(side, cancel.Order.Id, offer?.Seller, cancel.By.Value))
            {
                return;
            }

            offers.Remove(offer!);
            events.Add($"{Now} cancelled {Key(side, offer!.Id)} by {offer.Seller} remaining {offer.MostSpare()} {CancelReason.ByOwner}");
        }
        else
        {
            var need = needs.FirstOrDefault(n => n.Id == cancel.Order.Id);
            if (Refused(side, cancel.Order.Id, need?.Buyer, cancel.By.Value))
            {
                return;
            }

            needs.Remove(need!);
            events.Add($"{Now} cancelled {Key(side, need!.Id)} by {need.Buyer} remaining {need.Remaining} {CancelReason.ByOwner}");
        }
    }

    private bool Refused(string side, long id, long? owner, long by)
    {
        if (owner is null)
        {
            Reject(side, id, by, RejectCode.UnknownOrder);
            return true;
        }

        if (owner != by)
        {
            Reject(side, id, by, RejectCode.NotOwner);
            return true;
        }

        return false;
    }

    private void Amend(AmendOrder amend)
    {
        var side = amend.Order.Side == OrderSide.Offer ? "offer" : "need";
        if (amend.NewPrice is null && amend.NewRate is null)
        {
            Reject(side, amend.Order.Id, amend.By.Value, RejectCode.NothingToAmend);
            return;
        }

        if (amend.Order.Side == OrderSide.Offer)
        {
            var offer = offers.FirstOrDefault(o => o.Id == amend.Order.Id);
            if (!Refused(side, amend.Order.Id, offer?.Seller, amend.By.Value))
            {
                Amend(offer!, amend.NewPrice?.PerUnitHour ?? offer!.Price, amend.NewRate?.Value ?? offer!.Rate);
            }
        }
        else
        {
            var need = needs.FirstOrDefault(n => n.Id == amend.Order.Id);
            if (!Refused(side, amend.Order.Id, need?.Buyer, amend.By.Value))
            {
                Amend(need!, amend.NewPrice?.PerUnitHour ?? need!.Price, amend.NewRate?.Value ?? need!.Remaining);
            }
        }
    }

    private void Amend(Ask offer, decimal price, long rate)
    {
        var cut = offer.Rate - rate;
        var code = rate > offer.Rate ? RejectCode.RateIncrease
            : price == offer.Price && cut == 0 ? RejectCode.NothingToAmend
            : cut > 0 && Enumerable.Range(offer.LiveFrom, SlotCount - offer.LiveFrom).Any(s => offer.Available[s] && offer.Spare[s] < cut) ? RejectCode.ReduceBelowSold
            : (RejectCode?)null;
        if (code is { } refused)
        {
            Reject("offer", offer.Id, offer.Seller, refused);
            return;
        }

        for (var s = offer.LiveFrom; s < SlotCount; s++)
        {
            if (offer.Available[s])
            {
                offer.Spare[s] -= (int)cut;
            }
        }

        offer.Rate = rate;
        var repriced = price != offer.Price;
        offer.Price = price;
        if (repriced)
        {
            offer.Sequence = nextSequence++;
        }

        events.Add($"{Now} amended {Key("offer", offer.Id)} by {offer.Seller} price {Money(price)} rate {rate} lost-priority {repriced}");
        if (repriced)
        {
            offers.Remove(offer);
            MatchIncoming(offer);
            offers.Add(offer);
        }

        var spare = offer.MostSpare();
        if (SoldOut(offer))
        {
            offers.Remove(offer);
            events.Add($"{Now} filled {Key("offer", offer.Id)} by {offer.Seller}");
        }
        else
        {
            events.Add($"{Now} rested {Key("offer", offer.Id)} by {offer.Seller} remaining {spare}");
        }
    }

    private void Amend(Bid need, decimal price, long rate)
    {
        var code = rate > need.Remaining ? RejectCode.RateIncrease
            : price == need.Price && rate == need.Remaining ? RejectCode.NothingToAmend
            : need.Fill == nameof(FillKind.MinimumFill) && need.MinimumFill > rate && rate < need.Remaining ? RejectCode.MinFillInvalid
            : (RejectCode?)null;
        if (code is { } refused)
        {
            Reject("need", need.Id, need.Buyer, refused);
            return;
        }

        needs.Remove(need);
        var repriced = price != need.Price;
        need.Price = price;
        need.Remaining = rate;
        if (repriced)
        {
            need.Sequence = nextSequence++;
        }

        events.Add($"{Now} amended {Key("need", need.Id)} by {need.Buyer} price {Money(price)} rate {rate} lost-priority {repriced}");
        if (repriced)
        {
            MatchIncoming(need);
        }

        if (need.Remaining > 0)
        {
            needs.Add(need);
            events.Add($"{Now} rested {Key("need", need.Id)} by {need.Buyer} remaining {need.Remaining}");
        }
        else
        {
            events.Add($"{Now} filled {Key("need", need.Id)} by {need.Buyer}");
        }
    }
}
