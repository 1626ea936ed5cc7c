namespace Surplus.Market.Tests;

/// <summary>
/// A call auction written as plainly as possible, from an engine's exported state: spare capacity
/// slot by slot, linear scans, needs by bid then time meeting offers by ask then time, at the
/// midpoint on the tick. Needs locked in a negotiation are out of the book and take no part.
/// </summary>
internal static class PlainAuction
{
    public static List<(long Need, long Offer, long Rate, decimal Price)> Clear(EngineSnapshot state, MarketDefinition market)
    {
        var slot = market.Slot.Ticks;
        var locked = (state.Negotiations ?? []).Select(n => n.Need.Value).ToHashSet();
        var taken = new Dictionary<(long Offer, long Slot), long>();
        long SpareAt(OfferState offer, long tick)
        {
            long spare = 0;
            foreach (var segment in offer.Capacity)
            {
                if (segment.StartTicks <= tick)
                {
                    spare = segment.Spare;
                }
            }

            return spare - taken.GetValueOrDefault((offer.Spec.Id.Value, tick));
        }

        long MinSpare(OfferState offer, Window w)
        {
            var least = long.MaxValue;
            for (var t = w.StartTicks; t < w.EndTicks; t += slot)
            {
                least = Math.Min(least, SpareAt(offer, t));
            }

            return least;
        }

        var fills = new List<(long, long, long, decimal)>();
        var offers = state.Offers.OrderBy(o => o.Spec.Ask.PerUnitHour).ThenBy(o => o.Sequence).ToList();
        foreach (var need in state.Needs.Where(n => !locked.Contains(n.Spec.Id.Value)).OrderByDescending(n => n.Spec.Bid.PerUnitHour).ThenBy(n => n.Sequence))
        {
            var spec = need.Spec;
            var remaining = need.Remaining.Value;
            var plan = new List<(OfferState Offer, long Fill)>();
            foreach (var offer in offers)
            {
                if (offer.Spec.Ask > spec.Bid || remaining == 0)
                {
                    break;
                }

                var eligible = offer.Spec.Seller != spec.Buyer
                    && (offer.Spec.PreferredBuyers.Count == 0 || offer.Spec.PreferredBuyers.Contains(spec.Buyer))
                    && (spec.PreferredSellers.Count == 0 || spec.PreferredSellers.Contains(offer.Spec.Seller))
                    && !spec.ExcludedSellers.Contains(offer.Spec.Seller);
                var fill = eligible ? Math.Min(remaining, MinSpare(offer, spec.Window)) : 0;
                if (fill <= 0 || (spec.Fill.Kind == FillKind.MinimumFill && fill < Math.Min(spec.Fill.MinimumRate, remaining)))
                {
                    continue;
                }

                plan.Add((offer, fill));
                remaining -= fill;
            }

            if (spec.Fill.Kind == FillKind.AllOrNone && remaining > 0)
            {
                continue;
            }

            foreach (var (offer, fill) in plan)
            {
                for (var t = spec.Window.StartTicks; t < spec.Window.EndTicks; t += slot)
                {
                    taken[(offer.Spec.Id.Value, t)] = taken.GetValueOrDefault((offer.Spec.Id.Value, t)) + fill;
                }

                var mid = Math.Floor((spec.Bid.PerUnitHour + offer.Spec.Ask.PerUnitHour) / 2 / market.Tick) * market.Tick;
                fills.Add((spec.Id.Value, offer.Spec.Id.Value, fill, Math.Max(mid, offer.Spec.Ask.PerUnitHour)));
            }
        }

        return fills;
    }
}
