namespace Surplus.Market.Tests;

/// <summary>
/// Random streams for a market that negotiates: one-off offers and needs (some with hidden
/// limits, every fill policy, spot and standing), cancels, amends, counters, accepts and declines
/// (by either side, now and then by an outsider or at a stale version), time passing over
/// negotiation deadlines and auction boundaries, switches between continuous matching and call
/// auctions, and halts. A step's integers are read against the engine as it stands (which
/// negotiation a move answers, at which version), so a stream is built as it runs; CsCheck still
/// shrinks the integers.
/// </summary>
internal static class NegotiationStreams
{
    /// <summary>Monday 20 October 2025, 06:00 UTC.</summary>
    public static readonly DateTimeOffset Start = new(2025, 10, 20, 6, 0, 0, TimeSpan.Zero);

    public static readonly MarketDefinition Market = new()
    {
        Id = "compute",
        Unit = "MFLOPS",
        Slot = TimeSpan.FromMinutes(15),
        Tick = 0.01m,
        FeeBasisPoints = 25,
        OpensNegotiations = true,
        NegotiationTimeout = TimeSpan.FromMinutes(30),
        AuctionInterval = TimeSpan.FromMinutes(15),
    };

    public const int Members = 4;

    private static long SlotTicks => Market.Slot.Ticks;

    private static MemberId Member(int r) => new(1 + (r % Members));

    private static DateTimeOffset SlotStart(DateTimeOffset t) => new(t.UtcTicks - (t.UtcTicks % SlotTicks), TimeSpan.Zero);

    private static Window Span(DateTimeOffset start, int slots) => Window.Create(start, start.AddTicks(slots * SlotTicks), Market.Slot).Value;

    private static Price Cents(decimal from, int steps) => new(from + (steps * 0.01m));

    /// <summary>What a stream has placed so far, and its clock.</summary>
    public sealed class Cursor
    {
        public DateTimeOffset Now { get; set; } = Start;

        public long NextId { get; set; } = 1;

        public List<(long Id, MemberId Owner)> Offers { get; } = [];

        public List<(long Id, MemberId Owner)> Needs { get; } = [];
    }

    /// <summary>The next command of the stream, read from eight integers against the engine as it stands.</summary>
    public static MarketCommand Next(int[] r, MarketEngine engine, Cursor cursor)
    {
        var now = cursor.Now;
        var kind = r[0] % 100;
        if (kind < 20)
        {
            var id = cursor.NextId++;
            var buyer = Member(r[1]);
            var rate = 1 + (r[2] % 10);
            var bid = Cents(0.90m, (r[3] % 16) * 2);
            var spot = r[5] % 5 == 0;
            var start = spot ? SlotStart(now).AddTicks((r[4] % 4) * SlotTicks) : SlotStart(now).AddTicks((1 + (r[4] % 24)) * SlotTicks);
            cursor.Needs.Add((id, buyer));
            return new PlaceNeed(new NeedSpec
            {
                Id = new NeedId(id),
                Buyer = buyer,
                Rate = new Rate(rate),
                Bid = bid,
                Window = Span(start, 1 + (r[6] % 12)),
                Mode = spot ? OrderMode.Spot : OrderMode.Standing,
                Fill = ((r[5] / 5) % 4) switch
                {
                    2 => FillPolicy.AllOrNone,
                    3 => FillPolicy.MinimumFill(1 + (r[7] % rate)),
                    _ => FillPolicy.Divisible,
                },
                MaximumPrice = r[7] % 4 == 0 ? new Price(bid.PerUnitHour + ((r[7] / 4) % 30 * 0.01m)) : null,
                PreferredSellers = r[7] % 11 == 0 ? new HashSet<MemberId> { Member(r[1] + 1) } : new HashSet<MemberId>(),
                ExcludedSellers = r[7] % 7 == 0 ? new HashSet<MemberId> { Member(r[1] + 2) } : new HashSet<MemberId>(),
            }, now);
        }

        if (kind < 38)
        {
            var id = cursor.NextId++;
            var seller = Member(r[1]);
            var ask = Cents(1.00m, (r[3] % 16) * 2);
            cursor.Offers.Add((id, seller));
            return new PlaceOffer(new OfferSpec
            {
                Id = new OfferId(id),
                Seller = seller,
                Rate = new Rate(1 + (r[2] % 15)),
                Ask = ask,
                Window = Span(SlotStart(now).AddTicks(((r[4] % 16) - 2) * SlotTicks), 4 + (r[6] % 40)),
                Mode = r[5] % 8 == 0 ? OrderMode.Spot : OrderMode.Standing,
                Expiry = r[5] % 7 == 1 ? now.AddMinutes(20 + (r[6] % 200)) : null,
                MinimumPrice = r[7] % 3 == 0 ? new Price(ask.PerUnitHour - Math.Min(ask.PerUnitHour - 0.01m, (r[7] / 3) % 30 * 0.01m)) : null,
                PreferredBuyers = r[7] % 13 == 0 ? new HashSet<MemberId> { Member(r[1] + 1) } : new HashSet<MemberId>(),
            }, now);
        }

        if (kind < 55)
        {
            var isOffer = r[1] % 2 == 0;
            var placed = isOffer ? cursor.Offers : cursor.Needs;
            var (id, owner) = placed.Count > 0 ? placed[placed.Count - 1 - (r[2] % Math.Min(8, placed.Count))] : (999, Member(r[1]));
            var key = isOffer ? OrderKey.Of(new OfferId(id)) : OrderKey.Of(new NeedId(id));
            var by = r[3] % 9 == 0 ? Member((int)owner.Value) : owner;
            if (kind < 46)
            {
                return new CancelOrder(key, by, now);
            }

            var change = r[4] % 3;
            return new AmendOrder(key, by,
                change is 0 or 2 ? Cents(isOffer ? 1.00m : 0.90m, (r[5] % 16) * 2) : null,
                change is 1 or 2 ? new Rate(1 + (r[6] % 10)) : null,
                now);
        }

        if (kind < 75 && engine.Negotiations.ToList() is { Count: > 0 } open)
        {
            var n = open[r[1] % open.Count];
            var side = r[2] % 2 == 0 ? NegotiationSide.Buyer : NegotiationSide.Seller;
            var by = r[2] % 13 == 0 ? Member(r[3]) : side == NegotiationSide.Buyer ? n.Buyer : n.Seller;
            var version = r[4] % 9 == 0 ? n.Version - 1 : n.Version;
            switch (r[3] % 5)
            {
                case 0 or 1:
                    var gap = (n.SellerPrice.PerUnitHour - n.BuyerPrice.PerUnitHour) / 0.01m;
                    var step = (int)Math.Min(gap + 2, 1 + (r[5] % 20));
                    var price = side == NegotiationSide.Buyer
                        ? n.BuyerPrice.PerUnitHour + (step * 0.01m)
                        : Math.Max(0.01m, n.SellerPrice.PerUnitHour - (step * 0.01m));
                    return new CounterPrice(n.Id, by, new Price(price), version, now);
                case 2 or 3:
                    return new AcceptPrice(n.Id, by, version, now);
                default:
                    return new DeclineNegotiation(n.Id, by, now);
            }
        }

        if (kind < 92)
        {
            cursor.Now = now.AddMinutes(1 + (r[1] % 20)).AddSeconds(r[2] % 2 == 0 ? 0 : r[2] % 60);
            return new AdvanceTime(cursor.Now);
        }

        if (kind < 97)
        {
            return engine.Market.Clearing == ClearingMode.Continuous
                ? new ChangeClearing(ClearingMode.CallAuction, Market.AuctionInterval, now)
                : new ChangeClearing(ClearingMode.Continuous, TimeSpan.Zero, now);
        }

        return engine.Halted ? new ResumeMarket(now) : new HaltMarket(now);
    }
}
