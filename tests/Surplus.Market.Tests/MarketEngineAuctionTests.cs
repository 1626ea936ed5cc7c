using CsCheck;
using Xunit;
using static Surplus.Market.Tests.TestMarket;

namespace Surplus.Market.Tests;

/// <summary>Call auctions (Figure 5): orders collect during the interval and clear together at its end.</summary>
public sealed class MarketEngineAuctionTests
{
    private static readonly Window Afternoon = Hours(21, 12, 18);
    private static readonly MarketDefinition Auction = Compute with { Clearing = ClearingMode.CallAuction, AuctionInterval = TimeSpan.FromMinutes(1) };

    private readonly EngineDriver market = new(Auction, At(20, 8));

    [Fact]
    public void Place_CrossingOrdersInAnAuctionMarket_WaitForTheClearing()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon));

        var placed = market.Place(Need(1, Bob, 10, 1.20m, Afternoon));

        Assert.Empty(placed.Trades());
        Assert.IsType<OrderRested>(placed[^1]);
    }

    [Fact]
    public void Clearing_PairsTradeAtTheMidpointOfBidAndAsk()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon));
        market.Rest(Need(1, Bob, 10, 1.21m, Afternoon));

        var cleared = market.AdvanceTo(At(20, 8, 1));

        Assert.Equal([(1L, 1L, 10L, 1.10m)], cleared.Fills()); // (1.21 + 1.00) / 2 = 1.105 → 1.10 on the tick
        Assert.Equal(1, cleared.OfType<AuctionCleared>().Single().Trades);
    }

    [Fact]
    public void Clearing_MoreBuyersThanCapacity_LowestBidsGoUnfilled()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon));
        market.Rest(Need(1, Bob, 10, 1.10m, Afternoon), Need(2, Carol, 10, 1.50m, Afternoon), Need(3, Dave, 10, 1.30m, Afternoon));

        var cleared = market.AdvanceTo(At(20, 8, 1));

        Assert.Equal([(2L, 1L, 10L, 1.25m)], cleared.Fills());
        Assert.Equal([new NeedId(3), new NeedId(1)], market.Engine.Needs.Select(n => n.Spec.Id));
    }

    [Fact]
    public void Clearing_MoreSellersThanNeeded_HighestAsksGoUnsold()
    {
        market.Rest(Offer(1, Alice, 10, 1.40m, Afternoon), Offer(2, Carol, 10, 1.00m, Afternoon), Offer(3, Dave, 10, 1.20m, Afternoon));
        market.Rest(Need(1, Bob, 15, 1.50m, Afternoon));

        var cleared = market.AdvanceTo(At(20, 8, 1));

        Assert.Equal([(1L, 2L, 10L, 1.25m), (1L, 3L, 5L, 1.35m)], cleared.Fills());
        Assert.Equal(10, market.SpareOf(1, Afternoon));
    }

    [Fact]
    public void Clearing_SpotLeftovers_AreCancelledAndStandingOnesRest()
    {
        market.Rest(Offer(1, Alice, 10, 2.00m, Afternoon) with { Mode = OrderMode.Spot });
        market.Rest(Need(1, Bob, 10, 1.00m, Afternoon));

        var cleared = market.AdvanceTo(At(20, 8, 1));

        Assert.Contains(new OrderCancelled(OrderKey.Of(new OfferId(1)), Alice, new Rate(10), CancelReason.SpotRemainder, market.Now), cleared);
        Assert.Single(market.Engine.Needs);
    }

    [Fact]
    public void ChangeClearing_ToContinuous_ClearsThePendingBatchFirst()
    {
        market.Rest(Offer(1, Alice, 10, 1.00m, Afternoon));
        market.Rest(Need(1, Bob, 10, 1.20m, Afternoon));

        var events = market.Execute(new ChangeClearing(ClearingMode.Continuous, TimeSpan.Zero, market.Now));

        Assert.Equal([(1L, 1L, 10L, 1.10m)], events.Fills());
        Assert.Equal(ClearingMode.Continuous, market.Engine.Market.Clearing);
        market.Rest(Offer(2, Alice, 10, 1.00m, Afternoon));
        Assert.Single(market.Place(Need(2, Bob, 10, 1.00m, Afternoon)).Trades());
    }

    [Fact]
    public void Clearing_RandomBatches_MatchesAPlainReferenceAuction()
    {
        var window = Gen.Int[0, 5].SelectMany(s => Gen.Int[1, 4].Select(l => Hours(21, 8 + s, 8 + s + l)));
        var offer = Gen.Select(Gen.Int[1, 4], Gen.Int[1, 20], Gen.Int[80, 120], window, Gen.Bool);
        var need = Gen.Select(Gen.Int[1, 4], Gen.Int[1, 20], Gen.Int[80, 120], window, Gen.Int[0, 2]);
        Gen.Select(offer.List[0, 15], need.List[0, 15]).Sample((offers, needs) =>
        {
            var engine = new MarketEngine(Auction);
            var offerSpecs = offers.Select((o, i) => Offer(i + 1, new MemberId(o.Item1), o.Item2, o.Item3 / 100m, o.Item4) with { Mode = o.Item5 ? OrderMode.Spot : OrderMode.Standing }).ToList();
            var needSpecs = needs.Select((n, i) => Need(i + 1, new MemberId(n.Item1), n.Item2, n.Item3 / 100m, n.Item4) with
            {
                Fill = n.Item5 switch { 0 => FillPolicy.Divisible, 1 => FillPolicy.AllOrNone, _ => FillPolicy.MinimumFill(Math.Min(5, n.Item2)) },
            }).ToList();
            foreach (var o in offerSpecs)
            {
                engine.Execute(new PlaceOffer(o, At(20, 8)));
                engine.CheckInvariants();
            }

            foreach (var n in needSpecs)
            {
                engine.Execute(new PlaceNeed(n, At(20, 8)));
                engine.CheckInvariants();
            }

            var actual = engine.Execute(new AdvanceTime(At(20, 8, 1))).Fills();
            engine.CheckInvariants();
            Assert.Equal(ReferenceAuction(offerSpecs, needSpecs), actual);
        }, iter: 300);
    }

    /// <summary>The auction as plainly as it can be written: per-minute capacity arrays and linear scans.</summary>
    private static List<(long Need, long Offer, long Rate, decimal Price)> ReferenceAuction(List<OfferSpec> offers, List<NeedSpec> needs)
    {
        var spare = offers.ToDictionary(o => o.Id.Value, o => Enumerable.Repeat(o.Rate.Value, (int)o.Window!.Value.Length.TotalMinutes).ToArray());
        long MinSpare(OfferSpec o, Window w)
        {
            var ow = o.Window!.Value;
            if (w.StartTicks < ow.StartTicks || w.EndTicks > ow.EndTicks)
            {
                return 0;
            }

            var from = (int)((w.StartTicks - ow.StartTicks) / TimeSpan.TicksPerMinute);
            return spare[o.Id.Value].Skip(from).Take((int)w.Length.TotalMinutes).Min();
        }

        var fills = new List<(long, long, long, decimal)>();
        var sellers = offers.OrderBy(o => o.Ask.PerUnitHour).ThenBy(o => o.Id.Value).ToList();
        foreach (var need in needs.OrderByDescending(n => n.Bid.PerUnitHour).ThenBy(n => n.Id.Value))
        {
            var remaining = need.Rate.Value;
            var plan = new List<(OfferSpec Offer, long Fill)>();
            foreach (var offer in sellers.Where(o => o.Ask <= need.Bid && o.Seller != need.Buyer))
            {
                var fill = Math.Min(remaining, MinSpare(offer, need.Window));
                if (fill <= 0 || (need.Fill.Kind == FillKind.MinimumFill && fill < Math.Min(need.Fill.MinimumRate, remaining)))
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

            if (need.Fill.Kind == FillKind.AllOrNone && remaining > 0)
            {
                continue;
            }

            foreach (var (offer, fill) in plan)
            {
                var from = (int)((need.Window.StartTicks - offer.Window!.Value.StartTicks) / TimeSpan.TicksPerMinute);
                for (var m = 0; m < (int)need.Window.Length.TotalMinutes; m++)
                {
                    spare[offer.Id.Value][from + m] -= fill;
                }

                var mid = Math.Floor((need.Bid.PerUnitHour + offer.Ask.PerUnitHour) / 2 * 100) / 100;
                fills.Add((need.Id.Value, offer.Id.Value, fill, mid));
            }
        }

        return fills;
    }
}
