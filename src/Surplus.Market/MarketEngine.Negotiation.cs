namespace Surplus.Market;

/// <summary>Negotiation (Figure 4, steps 350–354): locking a need and an offer's capacity, counters, acceptance, decline and the deadline.</summary>
public sealed partial class MarketEngine
{
    private readonly SortedDictionary<long, LiveNegotiation> negotiations = [];

    // Offers whose capacity came back from a negotiation during the current command.
    private readonly List<RestingOffer> returned = [];
    private long nextNegotiationId = 1;

    /// <summary>The open negotiations, oldest first.</summary>
    public IEnumerable<NegotiationState> Negotiations => negotiations.Values.Select(n => n.ToState());

    /// <summary>The open negotiation with this id, if any.</summary>
    public NegotiationState? FindNegotiation(NegotiationId id) => negotiations.TryGetValue(id.Value, out var n) ? n.ToState() : null;

    private bool ExecuteOther(MarketCommand command, List<MarketEvent> events)
    {
        switch (command)
        {
            case CounterPrice counter:
                if (RejectWhileHalted("counters", counter.By, events) && FindOpen(counter.Negotiation, counter.By, events) is { } n && CheckVersion(n, counter.Version, counter.By, events)
                    && (OrderRules.CheckPrice(counter.Price, Market, "counter price")
                        ?? OrderRules.CheckAmount(new Rate(n.Rate), n.Window.Length, counter.Price, Market)) is var bad)
                {
                    if (bad is not null)
                    {
                        events.Add(new CommandRejected(null, counter.By, bad, Now));
                    }
                    else
                    {
                        Counter(n, n.SideOf(counter.By), counter.Price, events);
                    }
                }

                return true;
            case AcceptPrice accept:
                if (RejectWhileHalted("accepts", accept.By, events) && FindOpen(accept.Negotiation, accept.By, events) is { } a && CheckVersion(a, accept.Version, accept.By, events))
                {
                    var side = a.SideOf(accept.By);
                    a.Moves.Add(new NegotiationMove(side, side == NegotiationSide.Buyer ? a.SellerPrice : a.BuyerPrice, a.Version, Now));
                    Agree(a, side == NegotiationSide.Buyer ? a.SellerPrice : a.BuyerPrice, events);
                }

                return true;
            case ChangeClearing change:
                ChangeClearingMode(change, events);
                return true;
            case HaltMarket halt:
                SetHalted(true, events);
                return true;
            case ResumeMarket resume:
                SetHalted(false, events);
                return true;
            case DeclineNegotiation decline:
                if (FindOpen(decline.Negotiation, decline.By, events) is { } d)
                {
                    End(d, NegotiationOutcome.Declined, events);
                }

                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Locks the need and <paramref name="rate"/> of the offer's capacity over the need's window and
    /// tells both sides (352). When both hidden limits meet, they agree at once (automatic negotiation).
    /// A resting need leaves the book while it negotiates; an incoming one is settled by its caller.
    /// </summary>
    private void OpenNegotiation(RestingNeed need, RestingOffer offer, long rate, List<MarketEvent> events, bool needIsResting)
    {
        if (needIsResting)
        {
            needBook.TakeOutOfBook(need);
        }

        offer.Capacity.Subtract(need.Window.StartTicks, need.Window.EndTicks, rate);
        offer.Locks++;
        var n = new LiveNegotiation(new NegotiationId(nextNegotiationId++), need, offer, rate, need.Bid, offer.Ask,
            clock + Market.NegotiationTimeout.Ticks);
        n.Moves.Add(new NegotiationMove(NegotiationSide.Buyer, need.Bid, 0, Now));
        n.Moves.Add(new NegotiationMove(NegotiationSide.Seller, offer.Ask, 0, Now));
        need.Negotiation = n;
        negotiations.Add(n.Id.Value, n);
        events.Add(new NegotiationOpened(n.ToState(), Now));
        if (AutomaticNegotiation.Agree(need.Bid, need.Spec.MaximumPrice, offer.Ask, offer.Spec.MinimumPrice, Market.Tick) is { } price)
        {
            // An incoming need is still being matched: its caller decides whether it rests, fills or is cancelled.
            Agree(n, price, events, release: needIsResting);
        }
    }

    private void Counter(LiveNegotiation n, NegotiationSide side, Price price, List<MarketEvent> events)
    {
        if (side == NegotiationSide.Buyer)
        {
            n.BuyerPrice = price;
        }
        else
        {
            n.SellerPrice = price;
        }

        n.Version++;
        n.Moves.Add(new NegotiationMove(side, price, n.Version, Now));
        if (n.BuyerPrice >= n.SellerPrice)
        {
            // A counter that crosses the other side's price takes it: the trade is at the price that was on the table.
            Agree(n, side == NegotiationSide.Buyer ? n.SellerPrice : n.BuyerPrice, events);
            return;
        }

        events.Add(new NegotiationCountered(n.ToState(), side, Now));
    }

    /// <summary>The sides agree: the locked capacity is sold at <paramref name="price"/>.</summary>
    private void Agree(LiveNegotiation n, Price price, List<MarketEvent> events, bool release = true)
    {
        var (need, offer) = (n.Need, n.Offer);
        Close(n);
        events.Add(new NegotiationEnded(n.ToState(), NegotiationOutcome.Agreed, price, Now));
        need.Remaining -= n.Rate;
        events.Add(new Traded(MakeTrade(need, offer, n.Rate, price, OrderSide.Need)));
        // An incoming offer that agrees at once is not in the book yet: its caller settles it.
        if (SoldOut(offer) && offerBook.Holds(offer))
        {
            RemoveOffer(offer);
            events.Add(new OrderFilled(OrderKey.Of(offer.Spec.Id), offer.Seller, Now));
        }

        if (release)
        {
            Release(need, events);
        }
    }

    /// <summary>
    /// The negotiation ends without a trade: the capacity goes back to the offer and the need rests
    /// or is cancelled. Unless the offer itself is leaving (<paramref name="offerStays"/> false),
    /// the capacity then meets the bids that cross it, once the command is done.
    /// </summary>
    private void End(LiveNegotiation n, NegotiationOutcome outcome, List<MarketEvent> events, bool needBackToBook = true, bool offerStays = true)
    {
        Close(n);
        n.Offer.Capacity.Add(n.Window.StartTicks, n.Window.EndTicks, n.Rate);
        events.Add(new NegotiationEnded(n.ToState(), outcome, null, Now));
        if (needBackToBook)
        {
            Release(n.Need, events);
        }

        if (offerStays && !returned.Contains(n.Offer))
        {
            returned.Add(n.Offer);
        }
    }

    /// <summary>
    /// Capacity that came back from negotiations during the command meets the resting bids at or
    /// above the offer's ask (a bid that waited behind a lock buys it now). No negotiation opens
    /// by itself: the bids below the ask were told they were outbid and rest; re-pairing them at
    /// each decline would pass the capacity round the same buyers for ever. Done after the
    /// command, so that expiries and deadlines of the same instant have all been applied first.
    /// Not while halted or between call auctions: the resumption, or the next batch, does it.
    /// </summary>
    private void OfferReturnedCapacity(List<MarketEvent> events)
    {
        if (returned.Count == 0)
        {
            return;
        }

        if (Market.Clearing == ClearingMode.Continuous && !Halted)
        {
            foreach (var offer in returned)
            {
                if (offerBook.Holds(offer))
                {
                    MeetTheBookAgain(offer, negotiate: false, events);
                }
            }
        }

        returned.Clear();
    }

    /// <summary>A resting offer with capacity back meets the resting needs as if it came in; it leaves when that sells it out.</summary>
    private void MeetTheBookAgain(RestingOffer offer, bool negotiate, List<MarketEvent> events)
    {
        if (offer.Capacity.MaxSpare() == 0)
        {
            return;
        }

        MatchIncoming(offer, events, returning: true, negotiate);
        if (SoldOut(offer))
        {
            RemoveOffer(offer);
            events.Add(new OrderFilled(OrderKey.Of(offer.Spec.Id), offer.Seller, Now));
        }
    }

    /// <summary>
    /// The regular auction for what an offer has left once the bids at or above its ask are served:
    /// among the resting needs below the ask that lie within its spare (the rest of the walk over
    /// the need book from <paramref name="first"/>, in book order, so highest
    /// bid first, ties by time) that the offer could serve, the first opens a negotiation for its
    /// window; the others whose windows overlap that one are told they were outbid and keep resting.
    /// One negotiation per offer at a time of its arrival; a spot offer does not negotiate (its rest
    /// is cancelled at once).
    /// </summary>
    private void NegotiateWithBestBid(RestingOffer offer, RestingNeed first, List<MarketEvent> events)
    {
        if (!Market.OpensNegotiations || Market.Clearing != ClearingMode.Continuous || Halted
            || offer.Spec.Mode == OrderMode.Spot || offer.Capacity.MaxSpare() == 0)
        {
            return;
        }

        RestingNeed? winner = null;
        long rate = 0;
        List<RestingNeed>? outbid = null;
        for (var need = first; need is not null; need = needBook.TryWalk(out var next) ? next : null)
        {
            needBook.StepWalk();
            if (!IsEligible(offer, need) || (offer.Locks > 0 && IsEngaged(offer, need.Window)))
            {
                continue;
            }

            var fill = FillFor(need, need.Remaining, offer.Capacity.MinSpare(need.Window.StartTicks, need.Window.EndTicks));
            if (fill == 0 || (need.Spec.Fill.Kind == FillKind.AllOrNone && fill < need.Remaining))
            {
                continue;
            }

            if (winner is null)
            {
                (winner, rate) = (need, fill);
            }
            else if (need.Window.Overlaps(winner.Window))
            {
                (outbid ??= []).Add(need);
            }
        }

        needBook.EndWalk();
        if (winner is null)
        {
            return;
        }

        events.Add(new NegotiationNeeded(
            winner.Spec.Id, winner.Buyer, winner.Bid, offer.Spec.Id, offer.Seller, offer.Ask, new Rate(rate), winner.Window, Now,
            new NegotiationId(nextNegotiationId)));
        foreach (var need in outbid ?? [])
        {
            events.Add(new NegotiationOutbid(need.Spec.Id, need.Buyer, offer.Spec.Id, need.Window, Now));
        }

        OpenNegotiation(winner, offer, rate, events, needIsResting: true);
    }

    /// <summary>The offer's capacity as it would be with every negotiation on it ended: spare plus locked.</summary>
    private CapacityProfile UnsoldOf(RestingOffer offer)
    {
        if (offer.Locks == 0)
        {
            return offer.Capacity;
        }

        var unsold = CapacityProfile.FromSegments(offer.Capacity.Segments);
        foreach (var n in negotiations.Values)
        {
            if (ReferenceEquals(n.Offer, offer))
            {
                unsold.Add(n.Window.StartTicks, n.Window.EndTicks, n.Rate);
            }
        }

        return unsold;
    }

    /// <summary>True when an open negotiation holds part of this offer over a window that overlaps <paramref name="window"/>.</summary>
    private bool IsEngaged(RestingOffer offer, Window window)
    {
        foreach (var n in negotiations.Values)
        {
            if (ReferenceEquals(n.Offer, offer) && n.Window.Overlaps(window))
            {
                return true;
            }
        }

        return false;
    }

    private void Close(LiveNegotiation n)
    {
        negotiations.Remove(n.Id.Value);
        n.Offer.Locks--;
        n.Need.Negotiation = null;
    }

    /// <summary>After a negotiation: a filled need leaves; the rest rests (standing, while its window has not started) or is cancelled (spot).</summary>
    private void Release(RestingNeed need, List<MarketEvent> events)
    {
        var key = OrderKey.Of(need.Spec.Id);
        if (need.Remaining == 0)
        {
            RemoveNeed(need);
            events.Add(new OrderFilled(key, need.Buyer, Now));
        }
        else if (need.Spec.Mode == OrderMode.Spot)
        {
            RemoveNeed(need);
            events.Add(new OrderCancelled(key, need.Buyer, new Rate(need.Remaining), CancelReason.SpotRemainder, Now));
        }
        else if (need.ExpiryTicks <= clock)
        {
            RemoveNeed(need);
            events.Add(new OrderExpired(key, need.Buyer, new Rate(need.Remaining), Now));
        }
        else
        {
            needBook.PutBack(need);
            ExpireInTime(need);
            events.Add(new OrderRested(key, need.Buyer, new Rate(need.Remaining), Now));
        }
    }

    /// <summary>The need is cancelled, amended or expires: its negotiation ends without a trade and the need does not go back to the book.</summary>
    private void WithdrawNegotiation(RestingNeed need, List<MarketEvent> events, bool backToBook)
    {
        if (need.Negotiation is { } n)
        {
            End(n, NegotiationOutcome.Withdrawn, events, backToBook);
        }
    }

    /// <summary>The offer is cancelled, amended or expires: its negotiations end and their needs go back to the book.</summary>
    private void WithdrawNegotiations(RestingOffer offer, List<MarketEvent> events)
    {
        if (offer.Locks == 0)
        {
            return;
        }

        foreach (var n in negotiations.Values.Where(n => ReferenceEquals(n.Offer, offer)).ToList())
        {
            End(n, NegotiationOutcome.Withdrawn, events, offerStays: false);
        }
    }

    private void ExpireNegotiations(List<MarketEvent> events)
    {
        if (negotiations.Count == 0)
        {
            return;
        }

        foreach (var n in negotiations.Values.Where(n => n.DeadlineTicks <= clock).ToList())
        {
            End(n, NegotiationOutcome.Expired, events);
        }
    }

    private LiveNegotiation? FindOpen(NegotiationId id, MemberId by, List<MarketEvent> events)
    {
        if (negotiations.TryGetValue(id.Value, out var n) && (n.Need.Buyer == by || n.Offer.Seller == by))
        {
            return n;
        }

        events.Add(new CommandRejected(null, by, new Rejection(RejectMessages.NegotiationUnknown, ("negotiation", id.Value)), Now));
        return null;
    }

    private bool CheckVersion(LiveNegotiation n, int version, MemberId by, List<MarketEvent> events)
    {
        if (version == n.Version)
        {
            return true;
        }

        events.Add(new CommandRejected(null, by, new Rejection(RejectMessages.NegotiationStale, ("negotiation", n.Id.Value), ("version", n.Version), ("given", version)), Now));
        return false;
    }

    private void RestoreNegotiations(EngineSnapshot snapshot)
    {
        nextNegotiationId = snapshot.NextNegotiationId;
        foreach (var state in snapshot.Negotiations ?? [])
        {
            var need = needBook.Find(state.Need.Value) ?? throw new KeyNotFoundException($"negotiation {state.Id} locks need {state.Need}, which the snapshot does not hold");
            var offer = offerBook.Find(state.Offer.Value) ?? throw new KeyNotFoundException($"negotiation {state.Id} locks offer {state.Offer}, which the snapshot does not hold");
            var n = new LiveNegotiation(state.Id, need, offer, state.Rate.Value, state.BuyerPrice, state.SellerPrice, state.Deadline.UtcTicks)
            {
                Version = state.Version,
            };
            n.Moves.AddRange(state.Moves);
            need.Negotiation = n;
            offer.Locks++;
            negotiations.Add(n.Id.Value, n);
            ExpireInTime(need);
        }
    }
}

/// <summary>An open negotiation inside the engine: the locked need and offer, the prices on the table and the moves so far.</summary>
internal sealed class LiveNegotiation(NegotiationId id, RestingNeed need, RestingOffer offer, long rate, Price buyerPrice, Price sellerPrice, long deadlineTicks)
{
    public NegotiationId Id { get; } = id;

    public RestingNeed Need { get; } = need;

    public RestingOffer Offer { get; } = offer;

    public long Rate { get; } = rate;

    public Window Window { get; } = need.Window;

    public Price BuyerPrice { get; set; } = buyerPrice;

    public Price SellerPrice { get; set; } = sellerPrice;

    public int Version { get; set; }

    public long DeadlineTicks { get; } = deadlineTicks;

    public List<NegotiationMove> Moves { get; } = [];

    public NegotiationSide SideOf(MemberId member) => member == Need.Buyer ? NegotiationSide.Buyer : NegotiationSide.Seller;

    public NegotiationState ToState() => new(
        Id, Need.Spec.Id, Need.Buyer, Offer.Spec.Id, Offer.Seller, new Rate(Rate), Window, BuyerPrice, SellerPrice, Version,
        new DateTimeOffset(DeadlineTicks, TimeSpan.Zero), [.. Moves]);
}
