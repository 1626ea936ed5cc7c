namespace Surplus.Market;

/// <summary>Change how a market clears: continuously, or in call auctions every <c>Interval</c>.</summary>
public sealed record ChangeClearing(ClearingMode Mode, TimeSpan Interval, DateTimeOffset At) : MarketCommand(At);

/// <summary>The market now clears this way; a switch away from call auctions clears the pending batch first.</summary>
public sealed record ClearingChanged(ClearingMode Mode, TimeSpan Interval, DateTimeOffset At) : MarketEvent(At);

/// <summary>A call auction cleared: how many trades it made.</summary>
public sealed record AuctionCleared(int Trades, DateTimeOffset At) : MarketEvent(At);

/// <summary>Call auctions (Figure 5): orders collect, then clear in one batch at each interval's end.</summary>
public sealed partial class MarketEngine
{
    private readonly List<(RestingOffer Offer, long Rate)> auctionPlan = [];

    /// <summary>
    /// Needs by bid descending then time meet offers by ask ascending then time, under the same
    /// eligibility rules; each pair trades at the midpoint of bid and ask on the tick. When buyers
    /// outnumber sellers the lowest bids go unfilled (step 364), and the other way round (366).
    /// Spot orders left over are cancelled; standing ones rest for the next batch.
    /// </summary>
    private void ClearAuction(List<MarketEvent> events)
    {
        var trades = 0;
        foreach (var need in needBook.ToList())
        {
            auctionPlan.Clear();
            var remaining = need.Remaining;
            foreach (var offer in offerBook.Candidates(need.Window.StartTicks, need.Window.EndTicks))
            {
                if (offer.Ask > need.Bid)
                {
                    break;
                }

                var spare = offer.Capacity.MinSpare(need.Window.StartTicks, need.Window.EndTicks);
                if (spare <= 0 || !IsEligible(offer, need))
                {
                    continue;
                }

                var fill = FillFor(need, remaining, spare);
                if (fill == 0)
                {
                    continue;
                }

                auctionPlan.Add((offer, fill));
                remaining -= fill;
                if (remaining == 0)
                {
                    break;
                }
            }

            if (need.Spec.Fill.Kind == FillKind.AllOrNone && remaining > 0)
            {
                continue;
            }

            foreach (var (offer, fill) in auctionPlan)
            {
                offer.Capacity.Subtract(need.Window.StartTicks, need.Window.EndTicks, fill);
                need.Remaining -= fill;
                trades++;
                events.Add(new Traded(MakeTrade(need, offer, fill, AutomaticNegotiation.Midpoint(need.Bid, offer.Ask, Market.Tick), OrderSide.Need)));
                if (SoldOut(offer))
                {
                    RemoveOffer(offer);
                    events.Add(new OrderFilled(OrderKey.Of(offer.Spec.Id), offer.Seller, Now));
                }
            }

            if (need.Remaining == 0)
            {
                RemoveNeed(need);
                events.Add(new OrderFilled(OrderKey.Of(need.Spec.Id), need.Buyer, Now));
            }
        }

        auctionPlan.Clear();
        foreach (var need in needBook.Where(n => n.Spec.Mode == OrderMode.Spot).ToList())
        {
            RemoveNeed(need);
            events.Add(new OrderCancelled(OrderKey.Of(need.Spec.Id), need.Buyer, new Rate(need.Remaining), CancelReason.SpotRemainder, Now));
        }

        foreach (var offer in offerBook.Where(o => o.Spec.Mode == OrderMode.Spot).ToList())
        {
            RemoveOffer(offer);
            events.Add(new OrderCancelled(OrderKey.Of(offer.Spec.Id), offer.Seller, new Rate(offer.Capacity.MaxSpare()), CancelReason.SpotRemainder, Now));
        }

        events.Add(new AuctionCleared(trades, Now));
    }

    private void ChangeClearingMode(ChangeClearing change, List<MarketEvent> events)
    {
        if (Market.Clearing == ClearingMode.CallAuction && change.Mode == ClearingMode.Continuous)
        {
            if (Halted)
            {
                // Leaving call auctions clears the pending batch, and a halted market trades nothing.
                events.Add(new CommandRejected(null, null, new Rejection(RejectMessages.HaltedAuction, ("market", Market.Id)), Now));
                return;
            }

            ClearAuction(events);
        }

        Market = Market with { Clearing = change.Mode, AuctionInterval = change.Interval > TimeSpan.Zero ? change.Interval : Market.AuctionInterval };
        events.Add(new ClearingChanged(Market.Clearing, Market.AuctionInterval, Now));
    }
}
