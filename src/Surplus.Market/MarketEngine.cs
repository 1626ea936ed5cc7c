namespace Surplus.Market;

/// <summary>
/// The order book and matching engine of one market (Figures 4 and 5). Commands go in one at a
/// time, events come out in order; the engine has no clock of its own (each command carries its
/// instant), does no I/O and holds no static state, so the same commands always give the same
/// events. Not thread-safe: one owner applies commands in turn, which is the lock-out of steps
/// 308/328.
/// </summary>
public sealed partial class MarketEngine
{
    // Offers by ask ascending then time, needs by bid descending then time (steps 344/346, 364),
    // each side with the indexes that keep matching from walking the whole book.
    private readonly OfferBook offerBook = new();
    private readonly NeedBook needBook = new();

    // Pending expiries by (instant, sequence): deterministic order, stale entries skipped.
    private readonly PriorityQueue<OrderKey, (long Ticks, long Sequence)> expiries = new();
    private readonly List<(RestingOffer Offer, long Rate)> plan = [];

    // Recurring offers the last roll gave new occurrences, in book order.
    private readonly List<RestingOffer> rolled = [];

    private long clock = DateTimeOffset.MinValue.UtcTicks;
    private long nextSequence = 1;
    private long nextTradeId = 1;

    /// <summary>Creates an empty engine for a market.</summary>
    public MarketEngine(MarketDefinition market)
    {
        ArgumentNullException.ThrowIfNull(market);
        if (market.Validate() is { } problem)
        {
            throw new ArgumentException(problem, nameof(market));
        }

        Market = market;
    }

    /// <summary>The market this engine matches.</summary>
    public MarketDefinition Market { get; private set; }

    /// <summary>The instant of the last command applied.</summary>
    public DateTimeOffset Clock => new(Math.Max(clock, 0), TimeSpan.Zero);

    /// <summary>The sequence number the next accepted or repriced order will get (its time priority).</summary>
    public long NextSequence => nextSequence;

    /// <summary>The id the next trade will get.</summary>
    public long NextTradeId => nextTradeId;

    /// <summary>How many offers rest in the book.</summary>
    public int OpenOfferCount => offerBook.Count;

    /// <summary>How many needs rest in the book.</summary>
    public int OpenNeedCount => needBook.OpenCount;

    /// <summary>
    /// Rebuilds an engine from a snapshot taken by <see cref="Export"/>. The orders may come in any
    /// order; they are put in the book in book order, so that each index is filled from the back
    /// (an order appended after the last of its list) instead of by an insert at a searched place.
    /// </summary>
    public static MarketEngine Restore(MarketDefinition market, EngineSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var engine = new MarketEngine(market)
        {
            clock = snapshot.Clock.UtcTicks,
            nextSequence = snapshot.NextSequence,
            nextTradeId = snapshot.NextTradeId,
            Halted = snapshot.Halted,
        };

        var offers = new RestingOffer[snapshot.Offers.Count];
        var offerKeys = new OfferKey[offers.Length];
        for (var i = 0; i < offers.Length; i++)
        {
            var state = snapshot.Offers[i];
            offers[i] = new RestingOffer(state.Spec, state.Sequence, CapacityProfile.FromSegments(state.Capacity), [.. state.Availability])
            {
                ExpandedUntil = state.ExpandedUntilTicks,
            };
            offerKeys[i] = offers[i].Key;
        }

        InBookOrder(offerKeys, offers);
        engine.offerBook.EnsureCapacity(offers.Length);
        foreach (var offer in offers)
        {
            engine.Rest(offer);
        }

        var locked = (snapshot.Negotiations ?? []).Select(n => n.Need.Value).ToHashSet();
        var needs = new List<RestingNeed>(snapshot.Needs.Count);
        var needKeys = new List<NeedKey>(snapshot.Needs.Count);
        foreach (var state in snapshot.Needs)
        {
            var need = new RestingNeed(state.Spec, state.Sequence) { Remaining = state.Remaining.Value };
            if (locked.Contains(need.Id))
            {
                engine.needBook.AddLocked(need);
            }
            else
            {
                needs.Add(need);
                needKeys.Add(need.Key);
            }
        }

        var inBook = needs.ToArray();
        InBookOrder(needKeys.ToArray(), inBook);
        engine.needBook.Load(inBook);
        foreach (var need in inBook)
        {
            engine.ExpireInTime(need);
        }

        engine.RestoreNegotiations(snapshot);
        return engine;
    }

    /// <summary>Sorts <paramref name="items"/> by their keys, unless they already are (a snapshot written in book order).</summary>
    private static void InBookOrder<TKey, T>(TKey[] keys, T[] items)
        where TKey : IComparable<TKey>
    {
        for (var i = 1; i < keys.Length; i++)
        {
            if (keys[i - 1].CompareTo(keys[i]) >= 0)
            {
                Array.Sort(keys, items);
                return;
            }
        }
    }

    /// <summary>Everything the engine holds, as plain data, in a stable order.</summary>
    public EngineSnapshot Export() => new(
        new DateTimeOffset(Math.Max(clock, 0), TimeSpan.Zero),
        nextSequence,
        nextTradeId,
        offerBook.All.OrderBy(o => o.Sequence).Select(o => o.ToState()).ToList(),
        needBook.All.OrderBy(n => n.Sequence).Select(n => n.ToState()).ToList(),
        negotiations.Values.OrderBy(n => n.Id.Value).Select(n => n.ToState()).ToList(),
        nextNegotiationId,
        Halted);

    /// <summary>The open offer with this id, if any.</summary>
    public OfferState? FindOffer(OfferId id) => offerBook.Find(id.Value)?.ToState();

    /// <summary>The open need with this id, if any.</summary>
    public NeedState? FindNeed(NeedId id) => needBook.Find(id.Value)?.ToState();

    /// <summary>The open offers, by ask then time.</summary>
    public IEnumerable<OfferState> Offers => offerBook.Select(o => o.ToState());

    /// <summary>
    /// Calls <paramref name="visit"/> with each open offer's segments of spare capacity that overlap
    /// <c>[startTicks, endTicks)</c>, without copying the offers: what a view of the book's capacity reads.
    /// </summary>
    public void VisitSpare<TState>(long startTicks, long endTicks, ref TState state, SpareVisitor<TState> visit)
        where TState : allows ref struct
    {
        foreach (var offer in offerBook)
        {
            offer.Capacity.VisitSpare(startTicks, endTicks, ref state, visit);
        }
    }

    /// <summary>The open needs, by bid descending then time.</summary>
    public IEnumerable<NeedState> Needs => needBook.Select(n => n.ToState());

    /// <summary>The book for a window: what offers could sell over all of it, and what needs overlap it.</summary>
    public BookDepth Depth(Window window)
    {
        var offerLevels = new List<DepthLevel>();
        foreach (var offer in offerBook)
        {
            var spare = offer.Capacity.MinSpare(window.StartTicks, window.EndTicks);
            if (spare > 0)
            {
                AddToLevel(offerLevels, offer.Ask, spare);
            }
        }

        var needLevels = new List<DepthLevel>();
        foreach (var need in needBook)
        {
            if (need.Window.Overlaps(window))
            {
                AddToLevel(needLevels, need.Bid, need.Remaining);
            }
        }

        return new BookDepth(window, offerLevels, needLevels);

        static void AddToLevel(List<DepthLevel> levels, Price price, long rate)
        {
            if (levels.Count > 0 && levels[^1].Price == price)
            {
                levels[^1] = levels[^1] with { Rate = DepthLevel.AddRates(levels[^1].Rate, rate), Orders = levels[^1].Orders + 1 };
            }
            else
            {
                levels.Add(new DepthLevel(price, rate, 1));
            }
        }
    }

    /// <summary>
    /// Verifies what the engine keeps between commands and throws
    /// <see cref="InvalidOperationException"/> naming what is broken: each book's own invariants
    /// (<see cref="OfferBook.CheckInvariants"/>, <see cref="NeedBook.CheckInvariants"/>), every
    /// negotiation between an open need it locks and an open offer, each offer's lock count equal
    /// to its negotiations, every sequence already handed out, and nothing left over from a
    /// command. A check for tests, walking everything: not for the hot path.
    /// </summary>
    internal void CheckInvariants()
    {
        offerBook.CheckInvariants();
        needBook.CheckInvariants();
        var locks = new Dictionary<RestingOffer, int>(ReferenceEqualityComparer.Instance);
        foreach (var n in negotiations.Values)
        {
            if (!ReferenceEquals(needBook.Find(n.Need.Id), n.Need) || !ReferenceEquals(n.Need.Negotiation, n))
            {
                Fail($"negotiation {n.Id} locks {n.Need}, which is not open or not locked by it");
            }

            if (!offerBook.Holds(n.Offer))
            {
                Fail($"negotiation {n.Id} holds capacity of {n.Offer}, which is not open");
            }

            locks[n.Offer] = locks.GetValueOrDefault(n.Offer) + 1;
        }

        foreach (var offer in offerBook)
        {
            if (offer.Locks != locks.GetValueOrDefault(offer))
            {
                Fail($"{offer} counts {offer.Locks} locks but {locks.GetValueOrDefault(offer)} negotiations hold it");
            }

            if (offer.Sequence >= nextSequence)
            {
                Fail($"{offer} has a sequence not handed out yet (next is {nextSequence})");
            }
        }

        foreach (var need in needBook.All)
        {
            if (need.Negotiation is { } n && !(negotiations.TryGetValue(n.Id.Value, out var open) && ReferenceEquals(open, n)))
            {
                Fail($"{need} is locked by negotiation {n.Id}, which is not open");
            }

            if (need.Sequence >= nextSequence)
            {
                Fail($"{need} has a sequence not handed out yet (next is {nextSequence})");
            }
        }

        if (rolled.Count > 0 || returned.Count > 0 || plan.Count > 0 || auctionPlan.Count > 0)
        {
            Fail("a command left offers to revisit or a plan of fills behind");
        }

        static void Fail(string message) => throw new InvalidOperationException($"engine: {message}");
    }

    /// <summary>Applies one command and returns its events.</summary>
    public IReadOnlyList<MarketEvent> Execute(MarketCommand command)
    {
        var events = new List<MarketEvent>();
        Execute(command, events);
        return events;
    }

    /// <summary>
    /// Applies one command and appends its events to <paramref name="events"/>. An instant earlier
    /// than the last command's counts as the last command's: time never runs backwards.
    /// </summary>
    public void Execute(MarketCommand command, List<MarketEvent> events)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(events);
        var at = Math.Max(command.At.UtcTicks, clock);
        Advance(at, events);
        switch (command)
        {
            case PlaceOffer place:
                Place(place.Offer, events);
                break;
            case PlaceNeed place:
                Place(place.Need, events);
                break;
            case CancelOrder cancel:
                Cancel(cancel, events);
                break;
            case AmendOrder amend:
                Amend(amend, events);
                break;
            case AdvanceTime:
                break;
            default:
                if (!ExecuteOther(command, events))
                {
                    throw new ArgumentException($"unknown command {command.GetType().Name}", nameof(command));
                }

                break;
        }

        OfferReturnedCapacity(events);
    }

    private DateTimeOffset Now => new(clock, TimeSpan.Zero);

    private void Advance(long at, List<MarketEvent> events)
    {
        var hourChanged = at / TimeSpan.TicksPerHour != clock / TimeSpan.TicksPerHour;
        var auctionDue = Market.Clearing == ClearingMode.CallAuction && !Halted && at / Market.AuctionInterval.Ticks != clock / Market.AuctionInterval.Ticks;
        clock = at;
        while (expiries.TryPeek(out var key, out var due) && due.Ticks <= at)
        {
            expiries.Dequeue();
            if (key.Side == OrderSide.Offer && offerBook.Find(key.Id) is { } offer && offer.Sequence == due.Sequence)
            {
                WithdrawNegotiations(offer, events);
                RemoveOffer(offer);
                events.Add(new OrderExpired(key, offer.Seller, new Rate(offer.Capacity.MaxSpare()), Now));
            }
            else if (key.Side == OrderSide.Need && needBook.Find(key.Id) is { } need && need.Sequence == due.Sequence)
            {
                WithdrawNegotiation(need, events, backToBook: false);
                RemoveNeed(need);
                events.Add(new OrderExpired(key, need.Buyer, new Rate(need.Remaining), Now));
            }
        }

        if (hourChanged)
        {
            Roll(events);
        }

        MeetTheBookWithRolledCapacity(events);

        ExpireNegotiations(events);
        if (auctionDue)
        {
            ClearAuction(events);
        }
    }

    /// <summary>
    /// Occurrences a roll added to recurring offers meet the resting needs as an arriving offer
    /// would (a need resting for a window the horizon had not reached yet is served as soon as it
    /// does), in book order, at the offer's ask: the offer was in the book first. Not between call
    /// auctions or while halted; a sold-out offer leaves.
    /// </summary>
    private void MeetTheBookWithRolledCapacity(List<MarketEvent> events)
    {
        if (rolled.Count == 0)
        {
            return;
        }

        if (Market.Clearing == ClearingMode.Continuous && !Halted)
        {
            foreach (var offer in rolled)
            {
                if (offerBook.Holds(offer))
                {
                    MeetTheBookAgain(offer, negotiate: true, events);
                }
            }
        }

        rolled.Clear();
    }

    /// <summary>Once an hour of engine time: forget the past and extend recurring offers over the horizon.</summary>
    private void Roll(List<MarketEvent> events)
    {
        var slotStart = clock - (clock % Market.Slot.Ticks);
        var horizon = clock + Market.RecurrenceHorizon.Ticks;
        List<RestingOffer>? exhausted = null;
        offerBook.DropBefore(slotStart);
        foreach (var offer in offerBook)
        {
            if (offer.Spec.Recurrence is { } recurrence && offer.ExpandedUntil < horizon)
            {
                var until = horizon + TimeSpan.TicksPerDay;

                // An occurrence that straddles ExpandedUntil is in the book whole already, sales
                // included: add only what lies after the last window (and nothing in the past).
                var covered = Math.Max(offer.ExpandedUntil, slotStart);
                if (offer.Availability.Length > 0)
                {
                    covered = Math.Max(covered, offer.Availability[^1].EndTicks);
                }

                foreach (var w in recurrence.Expand(offer.ExpandedUntil, until, Market.Slot))
                {
                    var start = Math.Max(w.StartTicks, covered);
                    if (start < w.EndTicks)
                    {
                        offerBook.Extend(offer, start, w.EndTicks);
                        if (rolled.Count == 0 || !ReferenceEquals(rolled[^1], offer))
                        {
                            rolled.Add(offer);
                        }
                    }
                }

                offer.ExpandedUntil = until;
            }

            if (SoldOut(offer))
            {
                (exhausted ??= []).Add(offer);
            }
        }

        foreach (var offer in exhausted ?? [])
        {
            RemoveOffer(offer);
            events.Add(new OrderExpired(OrderKey.Of(offer.Spec.Id), offer.Seller, Rate.Zero, Now));
        }
    }

    private void Place(OfferSpec spec, List<MarketEvent> events)
    {
        var key = OrderKey.Of(spec.Id);
        var problem = HaltedProblem("orders")
            ?? OrderRules.Check(spec, Market, Now)
            ?? (offerBook.Contains(spec.Id.Value) ? new Rejection(RejectMessages.DuplicateId, ("order", $"offer {spec.Id}")) : null);
        if (problem is not null)
        {
            events.Add(new CommandRejected(key, spec.Seller, problem, Now));
            return;
        }

        var slotStart = clock - (clock % Market.Slot.Ticks);
        Window[] availability;
        long expandedUntil = 0;
        if (spec.Window is { } window)
        {
            availability = [new Window(Math.Max(window.StartTicks, slotStart), window.EndTicks)];
        }
        else
        {
            expandedUntil = clock + Market.RecurrenceHorizon.Ticks + TimeSpan.TicksPerDay;
            availability = [.. spec.Recurrence!.Expand(slotStart, expandedUntil, Market.Slot)];
            if (availability.Length == 0)
            {
                events.Add(new CommandRejected(key, spec.Seller, new Rejection(RejectMessages.RecurrenceEmpty,
                    ("rule", spec.Recurrence.Rule), ("days", Market.RecurrenceHorizon.TotalDays)), Now));
                return;
            }
        }

        var capacity = new CapacityProfile();
        foreach (var w in availability)
        {
            capacity.Set(w.StartTicks, w.EndTicks, spec.Rate.Value);
        }

        var offer = new RestingOffer(spec, nextSequence++, capacity, availability) { ExpandedUntil = expandedUntil };
        events.Add(new OrderAccepted(key, spec.Seller, Now));
        if (Market.Clearing == ClearingMode.Continuous)
        {
            MatchIncoming(offer, events);
        }

        Settle(offer, events, isNew: true);
    }

    private void Place(NeedSpec spec, List<MarketEvent> events)
    {
        var key = OrderKey.Of(spec.Id);
        var problem = HaltedProblem("orders")
            ?? OrderRules.Check(spec, Market, Now)
            ?? (needBook.Contains(spec.Id.Value) ? new Rejection(RejectMessages.DuplicateId, ("order", $"need {spec.Id}")) : null);
        if (problem is not null)
        {
            events.Add(new CommandRejected(key, spec.Buyer, problem, Now));
            return;
        }

        var need = new RestingNeed(spec, nextSequence++) { Remaining = spec.Rate.Value };
        events.Add(new OrderAccepted(key, spec.Buyer, Now));
        if (Market.Clearing == ClearingMode.Continuous)
        {
            MatchIncoming(need, events);
        }

        Settle(need, events, isNew: true);
    }

    /// <summary>
    /// Nothing left to sell and nothing locked: a one-off offer is filled; a recurring one only
    /// when its rule has no occurrence beyond what is expanded (an "every Saturday" offer sold out
    /// for the coming weeks stays, to sell the weeks after).
    /// </summary>
    private bool SoldOut(RestingOffer offer) =>
        offer.Locks == 0 && offer.Capacity.MaxSpare() == 0
        && (offer.Spec.Recurrence is not { } rule
            || rule.Expand(offer.ExpandedUntil, offer.ExpandedUntil + Market.RecurrenceHorizon.Ticks, Market.Slot).Count == 0);

    /// <summary>After matching: a filled order leaves, a spot rest is cancelled, a standing rest stays in the book.</summary>
    private void Settle(RestingOffer offer, List<MarketEvent> events, bool isNew)
    {
        var key = OrderKey.Of(offer.Spec.Id);
        var spare = offer.Capacity.MaxSpare();
        if (SoldOut(offer))
        {
            if (!isNew)
            {
                RemoveOffer(offer);
            }

            events.Add(new OrderFilled(key, offer.Seller, Now));
        }
        else if (offer.Spec.Mode == OrderMode.Spot && Market.Clearing == ClearingMode.Continuous)
        {
            if (!isNew)
            {
                RemoveOffer(offer);
            }

            events.Add(new OrderCancelled(key, offer.Seller, new Rate(spare), CancelReason.SpotRemainder, Now));
        }
        else
        {
            if (isNew)
            {
                Rest(offer);
            }

            events.Add(new OrderRested(key, offer.Seller, new Rate(spare), Now));
        }
    }

    private void Settle(RestingNeed need, List<MarketEvent> events, bool isNew)
    {
        var key = OrderKey.Of(need.Spec.Id);
        if (need.Negotiation is not null)
        {
            // Locked in a negotiation: open, but out of the book until the negotiation ends; its
            // expiry (at the latest its window's start) still ends it, so it never trades too late.
            needBook.AddLocked(need);
            ExpireInTime(need);
        }
        else if (need.Remaining == 0)
        {
            if (!isNew)
            {
                RemoveNeed(need);
            }

            events.Add(new OrderFilled(key, need.Buyer, Now));
        }
        else if (need.Spec.Mode == OrderMode.Spot && Market.Clearing == ClearingMode.Continuous)
        {
            if (!isNew)
            {
                RemoveNeed(need);
            }

            events.Add(new OrderCancelled(key, need.Buyer, new Rate(need.Remaining), CancelReason.SpotRemainder, Now));
        }
        else
        {
            if (isNew)
            {
                Rest(need);
            }

            events.Add(new OrderRested(key, need.Buyer, new Rate(need.Remaining), Now));
        }
    }

    /// <summary>
    /// An incoming need (Figure 4): eligible offers by ask then time (342–346); fill at the
    /// resting ask while it is at or below the bid (348), over as many sellers as it takes (358);
    /// when what is left meets only asks above the bid, report the pair to negotiate (350).
    /// </summary>
    private void MatchIncoming(RestingNeed need, List<MarketEvent> events)
    {
        plan.Clear();
        var remaining = need.Remaining;
        RestingOffer? negotiateWith = null;
        long negotiableSpare = 0;

        // Only offers listed under the window's days can have spare at its every instant; they
        // come in book order, so the fills and the negotiation are those of a scan of the book.
        foreach (var offer in offerBook.Candidates(need.Window.StartTicks, need.Window.EndTicks))
        {
            // Capacity first: a binary search rules out most offers far cheaper than the attribute checks.
            var spare = offer.Capacity.MinSpare(need.Window.StartTicks, need.Window.EndTicks);
            if (spare <= 0 || !IsEligible(offer, need))
            {
                continue;
            }

            if (offer.Ask > need.Bid)
            {
                // An offer already negotiating over this window is not negotiated with again: its
                // capacity there is being auctioned to the buyer who holds it (docs/market.md).
                if (offer.Locks > 0 && IsEngaged(offer, need.Window))
                {
                    continue;
                }

                negotiateWith = offer;
                negotiableSpare = spare;
                break;
            }

            var fill = FillFor(need, remaining, spare);
            if (fill == 0)
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

        if (need.Spec.Fill.Kind == FillKind.AllOrNone && remaining > 0)
        {
            plan.Clear();
        }

        foreach (var (offer, fill) in plan)
        {
            offer.Capacity.Subtract(need.Window.StartTicks, need.Window.EndTicks, fill);
            need.Remaining -= fill;
            events.Add(new Traded(MakeTrade(need, offer, fill, offer.Ask, OrderSide.Need)));
            if (SoldOut(offer))
            {
                RemoveOffer(offer);
                events.Add(new OrderFilled(OrderKey.Of(offer.Spec.Id), offer.Seller, Now));
            }
        }

        plan.Clear();
        if (need.Remaining > 0 && negotiateWith is not null)
        {
            var rate = Math.Min(need.Remaining, negotiableSpare);
            events.Add(new NegotiationNeeded(
                need.Spec.Id, need.Buyer, need.Bid, negotiateWith.Spec.Id, negotiateWith.Seller, negotiateWith.Ask,
                new Rate(rate), need.Window, Now, Market.OpensNegotiations ? new NegotiationId(nextNegotiationId) : null));
            if (Market.OpensNegotiations)
            {
                OpenNegotiation(need, negotiateWith, rate, events, needIsResting: false);
            }
        }
    }

    /// <summary>
    /// An incoming offer (Figure 5, step 364): resting needs by bid descending then time, each at
    /// its own bid. What is left may open a negotiation with the highest bid below the ask (the
    /// regular auction, see <see cref="NegotiateWithBestBid"/>). Capacity that comes back to a
    /// resting offer (<paramref name="returning"/>) meets the book the same way, except that a need
    /// that came to the book after the offer trades at the offer's ask: the order that was in the
    /// book first sets the price, as in any match.
    /// </summary>
    private void MatchIncoming(RestingOffer offer, List<MarketEvent> events, bool returning = false, bool negotiate = true)
    {
        // The needs it may fill come from the window index, merged in book order: every other need
        // wants an instant where the offer has nothing spare, which a scan of the book would pass by.
        // So the fills are a scan's, and the negotiation goes on from the first need the walk gives
        // that bids below the ask: it meets the same needs a scan of the book from there would have
        // found the offer could serve, in the same order.
        RestingNeed? belowAsk = null;
        needBook.StartWalk(offer.Capacity.StartOfAvailability(), offer.Capacity.EndOfAvailability());
        while (needBook.TryWalk(out var need))
        {
            if (need.Bid < offer.Ask)
            {
                belowAsk = need;
                break;
            }

            // Capacity first, as for an incoming need: the offer's own profile is at hand, while the
            // attribute checks reach into each need's spec, and most resting needs want other hours.
            var spare = offer.Capacity.MinSpare(need.Window.StartTicks, need.Window.EndTicks);
            var fill = spare > 0 && IsEligible(offer, need) ? FillFor(need, need.Remaining, spare) : 0;
            if (fill == 0 || (need.Spec.Fill.Kind == FillKind.AllOrNone && fill < need.Remaining))
            {
                needBook.StepWalk();
                continue;
            }

            offer.Capacity.Subtract(need.Window.StartTicks, need.Window.EndTicks, fill);
            need.Remaining -= fill;
            var offerFirst = returning && offer.Sequence < need.Sequence;
            events.Add(new Traded(MakeTrade(need, offer, fill, offerFirst ? offer.Ask : need.Bid, offerFirst ? OrderSide.Need : OrderSide.Offer)));
            if (need.Remaining == 0)
            {
                RemoveNeed(need);
                events.Add(new OrderFilled(OrderKey.Of(need.Spec.Id), need.Buyer, Now));
            }

            needBook.StepWalk();

            if (offer.Capacity.MaxSpare() == 0)
            {
                negotiate = false;
                break;
            }
        }

        if (negotiate && belowAsk is not null)
        {
            NegotiateWithBestBid(offer, belowAsk, events);
        }

        needBook.EndWalk();
    }

    /// <summary>Step 342 less capacity: other member, not excluded by the need, attributes meet the constraints, each side's preferred list admits the other.</summary>
    private static bool IsEligible(RestingOffer offer, RestingNeed need)
    {
        if (offer.Seller == need.Buyer || need.Spec.ExcludedSellers.Contains(offer.Seller))
        {
            return false;
        }

        var buyers = offer.Spec.PreferredBuyers;
        if (buyers.Count > 0 && !buyers.Contains(need.Buyer))
        {
            return false;
        }

        var sellers = need.Spec.PreferredSellers;
        if (sellers.Count > 0 && !sellers.Contains(offer.Seller))
        {
            return false;
        }

        var constraints = need.Spec.Constraints;
        for (var i = 0; i < constraints.Count; i++)
        {
            if (!constraints[i].IsSatisfiedBy(offer.Spec.Attributes))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>How much of <paramref name="spare"/> the need takes under its fill policy; zero when the policy refuses it.</summary>
    private static long FillFor(RestingNeed need, long remaining, long spare)
    {
        var fill = Math.Min(remaining, spare);
        return need.Spec.Fill.Kind == FillKind.MinimumFill && fill < Math.Min(need.Spec.Fill.MinimumRate, remaining) ? 0 : fill;
    }

    private Trade MakeTrade(RestingNeed need, RestingOffer offer, long fill, Price price, OrderSide aggressor)
    {
        var rate = new Rate(fill);
        var amount = Pricing.Amount(rate, need.Window, price, Market.MinorUnitDigits);
        return new Trade(
            new TradeId(nextTradeId++), Market.Id, need.Spec.Id, offer.Spec.Id, need.Buyer, offer.Seller,
            rate, need.Window, price, amount, Pricing.Fee(amount, Market.FeeBasisPoints), aggressor, Now);
    }

    private void Cancel(CancelOrder cancel, List<MarketEvent> events)
    {
        if (cancel.Order.Side == OrderSide.Offer)
        {
            if (Find(offerBook.Find(cancel.Order.Id), cancel.Order, cancel.By, o => o.Seller, events) is { } offer)
            {
                WithdrawNegotiations(offer, events);
                RemoveOffer(offer);
                events.Add(new OrderCancelled(cancel.Order, offer.Seller, new Rate(offer.Capacity.MaxSpare()), CancelReason.ByOwner, Now));
            }
        }
        else if (Find(needBook.Find(cancel.Order.Id), cancel.Order, cancel.By, n => n.Buyer, events) is { } need)
        {
            WithdrawNegotiation(need, events, backToBook: false);
            RemoveNeed(need);
            events.Add(new OrderCancelled(cancel.Order, need.Buyer, new Rate(need.Remaining), CancelReason.ByOwner, Now));
        }
    }

    /// <summary>The open order <paramref name="order"/> when <paramref name="by"/> owns it; otherwise reports why not and returns null.</summary>
    private T? Find<T>(T? order, OrderKey key, MemberId by, Func<T, MemberId> owner, List<MarketEvent> events)
        where T : class
    {
        if (order is null)
        {
            events.Add(new CommandRejected(key, by, new Rejection(RejectMessages.UnknownOrder, ("order", key.ToString())), Now));
            return null;
        }

        if (owner(order) != by)
        {
            events.Add(new CommandRejected(key, by, new Rejection(RejectMessages.NotOwner, ("order", key.ToString())), Now));
            return null;
        }

        return order;
    }

    private void Amend(AmendOrder amend, List<MarketEvent> events)
    {
        if (amend.NewPrice is null && amend.NewRate is null)
        {
            events.Add(new CommandRejected(amend.Order, amend.By, new Rejection(RejectMessages.NothingToAmend), Now));
            return;
        }

        var bad = HaltedProblem("amendments")
            ?? (amend.NewPrice is { } p ? OrderRules.CheckPrice(p, Market, "new price") : null)
            ?? (amend.NewRate is { } r ? OrderRules.CheckRate(r, Market) : null);
        if (bad is not null)
        {
            events.Add(new CommandRejected(amend.Order, amend.By, bad, Now));
            return;
        }

        if (amend.Order.Side == OrderSide.Offer)
        {
            if (Find(offerBook.Find(amend.Order.Id), amend.Order, amend.By, o => o.Seller, events) is { } offer)
            {
                Amend(offer, amend, events);
            }
        }
        else if (Find(needBook.Find(amend.Order.Id), amend.Order, amend.By, n => n.Buyer, events) is { } need)
        {
            Amend(need, amend, events);
        }
    }

    private void Amend(RestingOffer offer, AmendOrder amend, List<MarketEvent> events)
    {
        var price = amend.NewPrice ?? offer.Ask;
        var rate = amend.NewRate?.Value ?? offer.Spec.Rate.Value;
        var problem = rate > offer.Spec.Rate.Value
            ? new Rejection(RejectMessages.OfferRateIncrease, ("rate", offer.Spec.Rate.Value))
            : price == offer.Ask && rate == offer.Spec.Rate.Value
                ? new Rejection(RejectMessages.AmendmentChangesNothing, ("side", "offer"))
                : offer.Spec.MinimumPrice is { } min && min > price
                    ? new Rejection(RejectMessages.AskBelowMinimum, ("ask", price.PerUnitHour), ("minimum", min.PerUnitHour))
                    : null;
        var cut = offer.Spec.Rate.Value - rate;

        // The amendment ends the offer's negotiations, so what they lock counts as unsold here.
        var unsold = cut > 0 ? UnsoldOf(offer) : offer.Capacity;
        if (problem is null && cut > 0 && offer.Availability.Any(w => unsold.MinSpare(w.StartTicks, w.EndTicks) < cut))
        {
            problem = new Rejection(RejectMessages.ReduceBelowSold,
                ("rate", rate), ("lowestRate", offer.Spec.Rate.Value - offer.Availability.Min(w => unsold.MinSpare(w.StartTicks, w.EndTicks))));
        }

        if (problem is not null)
        {
            events.Add(new CommandRejected(amend.Order, amend.By, problem, Now));
            return;
        }

        WithdrawNegotiations(offer, events);
        if (cut > 0)
        {
            foreach (var w in offer.Availability)
            {
                offer.Capacity.Subtract(w.StartTicks, w.EndTicks, cut);
            }
        }

        var repriced = price != offer.Ask;
        if (repriced)
        {
            offerBook.Reprice(offer, offer.Spec with { Ask = price, Rate = new Rate(rate) }, nextSequence++);
            ExpireInTime(offer);
        }
        else
        {
            offer.Spec = offer.Spec with { Rate = new Rate(rate) };
        }

        events.Add(new OrderAmended(amend.Order, offer.Seller, price, new Rate(rate), repriced, Now));
        if (repriced && Market.Clearing == ClearingMode.Continuous)
        {
            MatchIncoming(offer, events);
        }

        Settle(offer, events, isNew: false);
    }

    private void Amend(RestingNeed need, AmendOrder amend, List<MarketEvent> events)
    {
        var price = amend.NewPrice ?? need.Bid;
        var rate = amend.NewRate?.Value ?? need.Remaining;
        var problem = rate > need.Remaining
            ? new Rejection(RejectMessages.NeedRateIncrease, ("rate", need.Remaining))
            : price == need.Bid && rate == need.Remaining
                ? new Rejection(RejectMessages.AmendmentChangesNothing, ("side", "need"))
                : need.Spec.MaximumPrice is { } max && max < price
                    ? new Rejection(RejectMessages.BidAboveMaximum, ("bid", price.PerUnitHour), ("maximum", max.PerUnitHour))
                    : need.Spec.Fill.Kind == FillKind.MinimumFill && need.Spec.Fill.MinimumRate > rate && rate < need.Remaining
                        ? new Rejection(RejectMessages.RateBelowMinFill, ("rate", rate), ("minimumFill", need.Spec.Fill.MinimumRate))
                        : OrderRules.CheckAmount(new Rate(rate), need.Window.Length, need.Spec.MaximumPrice is { } top && top > price ? top : price, Market);
        if (problem is not null)
        {
            events.Add(new CommandRejected(amend.Order, amend.By, problem, Now));
            return;
        }

        var repriced = price != need.Bid;
        WithdrawNegotiation(need, events, backToBook: false);
        RemoveNeed(need);
        need.Spec = need.Spec with { Bid = price };
        need.Remaining = rate;
        if (repriced)
        {
            need.Sequence = nextSequence++;
        }

        events.Add(new OrderAmended(amend.Order, need.Buyer, price, new Rate(rate), repriced, Now));
        if (repriced && Market.Clearing == ClearingMode.Continuous)
        {
            MatchIncoming(need, events);
        }

        if (need.Negotiation is not null)
        {
            needBook.AddLocked(need);
            ExpireInTime(need);
        }
        else if (need.Remaining > 0)
        {
            Rest(need);
            events.Add(new OrderRested(amend.Order, need.Buyer, new Rate(need.Remaining), Now));
        }
        else
        {
            events.Add(new OrderFilled(amend.Order, need.Buyer, Now));
        }
    }

    /// <summary>Puts an offer in the book, to leave it when it expires.</summary>
    private void Rest(RestingOffer offer)
    {
        offerBook.Add(offer);
        ExpireInTime(offer);
    }

    /// <summary>Puts a need in the book, to leave it when it expires.</summary>
    private void Rest(RestingNeed need)
    {
        needBook.Add(need);
        ExpireInTime(need);
    }

    private void ExpireInTime(RestingOffer offer)
    {
        if (offer.ExpiryTicks is { } due)
        {
            expiries.Enqueue(OrderKey.Of(offer.Spec.Id), (due, offer.Sequence));
        }
    }

    private void ExpireInTime(RestingNeed need) => expiries.Enqueue(OrderKey.Of(need.Spec.Id), (need.ExpiryTicks, need.Sequence));

    private void RemoveOffer(RestingOffer offer) => offerBook.Remove(offer);

    private void RemoveNeed(RestingNeed need) => needBook.Remove(need);
}
