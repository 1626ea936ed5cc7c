using Xunit;

namespace Surplus.Market.Tests;

/// <summary>
/// Checks, after every command of a stream, what must hold whatever the commands were: no slot
/// sold below zero, trades inside both orders' windows and price limits at the resting order's
/// price, quantity conserved on both sides, and price-time priority. It reads only the engine's
/// events and exported state, and works out spare capacity from the segments by itself.
/// </summary>
internal sealed class BookInvariants(MarketEngine engine)
{
    private readonly Dictionary<long, NeedTrack> needs = [];
    private readonly Dictionary<long, OfferTrack> offers = [];

    private sealed class NeedTrack(NeedSpec spec, IReadOnlyList<PlainConstraint> constraints)
    {
        public NeedSpec Spec { get; } = spec;
        public IReadOnlyList<PlainConstraint> Constraints { get; } = constraints;
        public Price Bid { get; set; } = spec.Bid;
        public long Filled { get; set; }
        public long Cut { get; set; }
        public long Remaining { get; set; } = spec.Rate.Value;
        public bool Open { get; set; } = true;
    }

    private sealed class OfferTrack(OfferSpec spec, IReadOnlyDictionary<string, string> attributes, List<(long Start, long End)>? occurrences)
    {
        public OfferSpec Spec { get; } = spec;
        public IReadOnlyDictionary<string, string> Attributes { get; } = attributes;
        public List<(long Start, long End)>? Occurrences { get; } = occurrences;
        public Price Ask { get; set; } = spec.Ask;
        public List<(Window Window, long Rate)> Sold { get; } = [];
    }

    public void Check(StreamStep step, IReadOnlyList<MarketEvent> events, IReadOnlyList<OfferState> offersBefore, IReadOnlyList<NeedState> needsBefore)
    {
        var slotStart = engine.Clock.UtcTicks - (engine.Clock.UtcTicks % engine.Market.Slot.Ticks);
        foreach (var e in events)
        {
            switch (e)
            {
                case OrderAccepted { Order.Side: OrderSide.Need } a:
                    needs[a.Order.Id] = new NeedTrack(((PlaceNeed)step.Command).Need, step.Constraints);
                    break;
                case OrderAccepted a:
                    var offer = ((PlaceOffer)step.Command).Offer;
                    offers[a.Order.Id] = new OfferTrack(offer, step.Attributes, step.Recurrence is { } r ? ReferenceMarket.Occurrences(r) : null);
                    break;
                case OrderAmended { Order.Side: OrderSide.Need } a:
                    var amendedNeed = needs[a.Order.Id];
                    Require(a.Rate.Value <= amendedNeed.Remaining, () => $"need {a.Order.Id} amended up to {a.Rate}");
                    amendedNeed.Cut += amendedNeed.Remaining - a.Rate.Value;
                    amendedNeed.Remaining = a.Rate.Value;
                    amendedNeed.Bid = a.Price;
                    break;
                case OrderAmended a:
                    offers[a.Order.Id].Ask = a.Price;
                    break;
                case Traded { Trade: var t }:
                    CheckTrade(t, slotStart);
                    break;
                case OrderFilled { Order.Side: OrderSide.Need } f:
                    Assert.Equal(0, needs[f.Order.Id].Remaining);
                    needs[f.Order.Id].Open = false;
                    break;
                case OrderCancelled { Order.Side: OrderSide.Need } c:
                    Assert.Equal(needs[c.Order.Id].Remaining, c.Remaining.Value);
                    needs[c.Order.Id].Open = false;
                    break;
                case OrderExpired { Order.Side: OrderSide.Need } x:
                    Assert.Equal(needs[x.Order.Id].Remaining, x.Remaining.Value);
                    needs[x.Order.Id].Open = false;
                    break;
            }
        }

        CheckNeedsConserved();
        CheckOffersConserved();
        CheckPriority(events, offersBefore, needsBefore);
    }

    private void CheckTrade(Trade t, long slotStart)
    {
        var need = needs[t.Need.Value];
        var offer = offers[t.Offer.Value];
        Assert.Equal(need.Spec.Window, t.Window);
        Assert.Equal((need.Spec.Buyer, offer.Spec.Seller), (t.Buyer, t.Seller));
        Assert.NotEqual(t.Buyer, t.Seller);
        Require(t.Rate.Value > 0, () => "a trade has a rate");
        Require(t.Window.StartTicks >= slotStart, () => $"trade {t.Id} sells the past");
        if (offer.Spec.Window is { } window)
        {
            Require(window.Contains(t.Window), () => $"trade {t.Id} {t.Window} outside offer {t.Offer}'s window {window}");
        }
        else
        {
            Require(offer.Occurrences!.Any(o => o.Start <= t.Window.StartTicks && t.Window.EndTicks <= o.End), () => $"trade {t.Id} {t.Window} outside every occurrence of offer {t.Offer}");
        }

        Require(t.Price <= need.Bid && t.Price >= offer.Ask, () => $"trade {t.Id} at {t.Price} outside bid {need.Bid} / ask {offer.Ask}");
        Assert.Equal(t.Aggressor == OrderSide.Need ? offer.Ask : need.Bid, t.Price);
        need.Filled += t.Rate.Value;
        need.Remaining -= t.Rate.Value;
        offer.Sold.Add((t.Window, t.Rate.Value));
    }

    private void CheckNeedsConserved()
    {
        foreach (var (id, need) in needs)
        {
            Require(need.Spec.Rate.Value == need.Filled + need.Remaining + need.Cut && need.Remaining >= 0,
                () => $"need {id}: filled {need.Filled} + remaining {need.Remaining} + amended away {need.Cut} != rate {need.Spec.Rate}");
            var state = engine.FindNeed(new NeedId(id));
            if (!need.Open)
            {
                Require(state is null, () => $"need {id} left the book but the engine still has it");
                continue;
            }

            Require(state is not null && state.Remaining.Value == need.Remaining,
                () => $"need {id} should be open with {need.Remaining} remaining; the engine has {state?.Remaining}");
        }
    }

    private void CheckOffersConserved()
    {
        foreach (var state in engine.Offers)
        {
            var offer = offers[state.Spec.Id.Value];
            var rate = state.Spec.Rate.Value;
            foreach (var segment in state.Capacity)
            {
                Require(segment.Spare >= 0, () => $"offer {state.Spec.Id} below zero at {segment.StartTicks}");
                Require(segment.Spare == 0 || InAny(state.Availability, segment.StartTicks),
                    () => $"offer {state.Spec.Id} has spare at {segment.StartTicks}, outside its availability");
            }

            // Spare and sales are step functions: checking at every step of either covers every slot.
            var points = new List<long>();
            foreach (var segment in state.Capacity)
            {
                points.Add(segment.StartTicks);
            }

            foreach (var (window, _) in offer.Sold)
            {
                points.Add(window.StartTicks);
                points.Add(window.EndTicks);
            }

            foreach (var window in state.Availability)
            {
                points.Add(window.StartTicks);
            }

            foreach (var point in points)
            {
                if (!InAny(state.Availability, point))
                {
                    continue;
                }

                long sold = 0;
                foreach (var (window, soldRate) in offer.Sold)
                {
                    if (window.StartTicks <= point && point < window.EndTicks)
                    {
                        sold += soldRate;
                    }
                }

                var spare = SpareAt(state.Capacity, point);
                Require(spare + sold == rate, () => $"offer {state.Spec.Id} at {point}: spare {spare} + sold {sold} != rate {rate}");
            }
        }
    }

    private static bool InAny(IReadOnlyList<Window> windows, long tick)
    {
        foreach (var w in windows)
        {
            if (w.StartTicks <= tick && tick < w.EndTicks)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Within one command, an incoming order meets the book in price-time order, and leaves nothing it could have taken.</summary>
    private void CheckPriority(IReadOnlyList<MarketEvent> events, IReadOnlyList<OfferState> offersBefore, IReadOnlyList<NeedState> needsBefore)
    {
        // Capacity a roll added meets the book before the command: only the incoming order's own trades count here.
        var trades = events.SkipWhile(e => e is not (OrderAccepted or OrderAmended)).Trades();
        var byNeed = trades.Where(t => t.Aggressor == OrderSide.Need).Select(t => Position(offersBefore, o => o.Spec.Id == t.Offer)).ToList();
        var byOffer = trades.Where(t => t.Aggressor == OrderSide.Offer).Select(t => Position(needsBefore, n => n.Spec.Id == t.Need)).ToList();
        Require(byNeed.SequenceEqual(byNeed.Order()), () => "an incoming need took offers out of price-time order");
        Require(byOffer.SequenceEqual(byOffer.Order()), () => "an incoming offer served needs out of price-time order");

        var incoming = events.FirstOrDefault(e => e is OrderAccepted || e is OrderAmended { LostPriority: true });
        var key = incoming switch
        {
            OrderAccepted a => a.Order,
            OrderAmended a => a.Order,
            _ => (OrderKey?)null,
        };
        if (key is { Side: OrderSide.Need } needKey && needs[needKey.Id] is { Spec.Fill.Kind: FillKind.Divisible } need && need.Remaining > 0)
        {
            foreach (var state in engine.Offers.Where(o => o.Spec.Ask <= need.Bid && Eligible(offers[o.Spec.Id.Value], need)))
            {
                Require(MinSpare(state.Capacity, need.Spec.Window) == 0, () => $"need {needKey.Id} left {state.Spec.Id}'s spare at or below its bid");
            }
        }
        else if (key is { Side: OrderSide.Offer } offerKey && engine.FindOffer(new OfferId(offerKey.Id)) is { } offerState)
        {
            var offer = offers[offerKey.Id];
            foreach (var state in engine.Needs.Where(n => n.Spec.Fill.Kind == FillKind.Divisible && n.Spec.Bid >= offer.Ask && Eligible(offer, needs[n.Spec.Id.Value])))
            {
                Require(MinSpare(offerState.Capacity, state.Spec.Window) == 0, () => $"offer {offerKey.Id} left need {state.Spec.Id} unserved at or above its ask");
            }
        }
    }

    private static void Require(bool condition, Func<string> message)
    {
        if (!condition)
        {
            Assert.Fail(message());
        }
    }

    private static int Position<T>(IReadOnlyList<T> book, Func<T, bool> match)
    {
        for (var i = 0; i < book.Count; i++)
        {
            if (match(book[i]))
            {
                return i;
            }
        }

        throw new Xunit.Sdk.XunitException("a trade with an order that was not in the book");
    }

    private static bool Eligible(OfferTrack offer, NeedTrack need) =>
        offer.Spec.Seller != need.Spec.Buyer
        && (offer.Spec.PreferredBuyers.Count == 0 || offer.Spec.PreferredBuyers.Contains(need.Spec.Buyer))
        && (need.Spec.PreferredSellers.Count == 0 || need.Spec.PreferredSellers.Contains(offer.Spec.Seller))
        && !need.Spec.ExcludedSellers.Contains(offer.Spec.Seller)
        && need.Constraints.All(c => ReferenceMarket.Satisfies(offer.Attributes, c));

    private static long SpareAt(IReadOnlyList<CapacitySegment> segments, long tick)
    {
        long spare = 0;
        foreach (var segment in segments)
        {
            if (segment.StartTicks > tick)
            {
                break;
            }

            spare = segment.Spare;
        }

        return spare;
    }

    private static long MinSpare(IReadOnlyList<CapacitySegment> segments, Window window) =>
        segments.Select(s => s.StartTicks)
            .Where(p => window.StartTicks < p && p < window.EndTicks)
            .Append(window.StartTicks)
            .Min(p => SpareAt(segments, p));
}
