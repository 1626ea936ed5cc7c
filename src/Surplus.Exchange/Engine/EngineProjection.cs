using Surplus.Exchange.Ledger;
using Surplus.Exchange.Signals;
using Surplus.Exchange.Storage;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Exchange.Engine;

/// <summary>What one engine command came to: the engine's refusal, or the caller's trades and the negotiation its need calls for.</summary>
internal sealed record Executed(Rejection? Rejected, List<TradeDto> Trades, NegotiationNeededDto? Negotiation);

/// <summary>
/// Runs one command on a market's engine and turns its events into what the exchange keeps: the
/// orders' and negotiations' rows, contracts, ledger transfers and signals, gathered in the batch's
/// <see cref="BatchEffects"/>. A negotiation's buyer may have money held beyond the need's own hold
/// (the top-up): it turns to escrow with the trade on agreement and goes back on any other end.
/// Owned by the market's loop: not thread-safe.
/// </summary>
internal sealed class EngineProjection(
    MarketMemory market, LedgerBook ledger, SignalLog signals, ITradeContracts contracts, OrderIds ids, ILogger log)
{
    // The rows the last command touched, which its answer shows: an order that left the book is no longer open.
    private readonly Dictionary<long, OfferRow> lastTouchedOffers = [];
    private readonly Dictionary<long, NeedRow> lastTouchedNeeds = [];

    /// <summary>Runs one command and turns its events into stored changes, money movements and signals.</summary>
    public Executed Execute(MarketCommand command, BatchEffects effects)
    {
        var engine = market.Engine;
        var hour = engine.Clock.UtcTicks / TimeSpan.TicksPerHour;

        // The answer to a cancel or an amendment shows the order as it leaves the command, which may be out of the book.
        if (command is CancelOrder { Order: var cancelled })
        {
            Hydrate(cancelled);
        }
        else if (command is AmendOrder { Order: var amended })
        {
            Hydrate(amended);
        }

        var events = engine.Execute(command);
        Rejection? rejected = null;
        var trades = new List<TradeDto>();
        NegotiationNeededDto? negotiation = null;
        NegotiationNeededDto? pendingNeeded = null;
        (NeedId, OfferId)? agreed = null;
        lastTouchedOffers.Clear();
        lastTouchedNeeds.Clear();
        foreach (var e in events)
        {
            switch (e)
            {
                case CommandRejected r:
                    rejected = r.Reason;
                    break;
                case Traded { Trade: var t }:
                    OnTrade(t, effects);

                    // The answer names only the caller's own trades: capacity a negotiation gives
                    // back, or a batch that clears, may trade other members' orders in the same command.
                    if (Concerns(command, OrderKey.Of(t.Need)) || Concerns(command, OrderKey.Of(t.Offer)) || agreed == (t.Need, t.Offer))
                    {
                        trades.Add(Json.Trade(t, showParties: true));
                    }

                    break;
                case OrderRested r:
                    Touch(r.Order, effects, "open");
                    Signal(effects, r.Owner.Value, "order.rested", new OrderRemainingSignal(SignalledOrder.Of(r.Order), r.Remaining.Value));
                    break;
                case OrderAmended a:
                    KeepAmendment(a);
                    Touch(a.Order, effects, "open");
                    Signal(effects, a.Owner.Value, "order.amended", new OrderAmendedSignal(SignalledOrder.Of(a.Order), a.Price.PerUnitHour, a.Rate.Value, a.LostPriority));
                    break;
                case OrderFilled f:
                    Close(f.Order, "filled", 0, effects);
                    Signal(effects, f.Owner.Value, "order.filled", new OrderFilledSignal(SignalledOrder.Of(f.Order)));
                    break;
                case OrderCancelled c:
                    Close(c.Order, "cancelled", c.Remaining.Value, effects);
                    Signal(effects, c.Owner.Value, "order.cancelled", new OrderCancelledSignal(SignalledOrder.Of(c.Order), c.Remaining.Value, c.Reason == CancelReason.ByOwner ? "by-owner" : "spot-remainder"));
                    break;
                case OrderExpired x:
                    Close(x.Order, "expired", x.Remaining.Value, effects);
                    Signal(effects, x.Owner.Value, "order.expired", new OrderRemainingSignal(SignalledOrder.Of(x.Order), x.Remaining.Value));
                    break;
                case NegotiationOpened o:
                    OnNegotiationOpened(o, pendingNeeded, effects);
                    negotiation = WithNegotiationId(negotiation, o);
                    pendingNeeded = null;
                    break;
                case NegotiationOutbid outbid:
                    OnNegotiationOutbid(outbid, effects);
                    break;
                case NegotiationCountered c:
                    OnNegotiationCountered(c, effects);
                    break;
                case NegotiationEnded ended:
                    OnNegotiationEnded(ended, effects);
                    if (ended.Outcome == NegotiationOutcome.Agreed && NegotiationOf(command) == ended.Negotiation.Id)
                    {
                        agreed = (ended.Negotiation.Need, ended.Negotiation.Offer);
                    }

                    break;
                case ClearingChanged changed:
                    OnClearingChanged(changed, effects);
                    break;
                case NegotiationNeeded n:
                    var needed = new NegotiationNeededDto(n.Need.Value, n.Offer.Value, n.Bid.PerUnitHour, n.Ask.PerUnitHour, n.Rate.Value, n.Window.Start, n.Window.End);
                    if (Concerns(command, OrderKey.Of(n.Need)))
                    {
                        negotiation = needed;
                    }

                    if (n.Negotiation is null)
                    {
                        SignalNeeded(needed, n.Buyer.Value, n.Seller.Value, effects);
                    }
                    else
                    {
                        // Signalled with the exchange's id when the negotiation opens, which comes next.
                        pendingNeeded = needed;
                    }

                    break;
            }
        }

        // Once an hour of its clock the engine rolls every offer (forgets the past, extends recurring
        // offers over the horizon) without an event; their rows follow, or a restart would lose it.
        if (engine.Clock.UtcTicks / TimeSpan.TicksPerHour != hour)
        {
            foreach (var state in engine.Offers)
            {
                if (market.OpenOffers.TryGetValue(state.Spec.Id.Value, out var row))
                {
                    row.State = OfferStateJson.From(state);
                    effects.Offers[row.Id] = row;
                }
            }
        }

        return new Executed(rejected, trades, negotiation);
    }

    /// <summary>Gives a resting order's row its record (and an offer's its state) from the engine, for an answer that shows it.</summary>
    private void Hydrate(OrderKey order)
    {
        if (order.Side == OrderSide.Offer)
        {
            if (market.OpenOffers.TryGetValue(order.Id, out var offer) && (offer.Record is null || offer.State is null) && market.Engine.FindOffer(new OfferId(order.Id)) is { } state)
            {
                offer.Hydrate(state);
            }
        }
        else if (market.OpenNeeds.TryGetValue(order.Id, out var need) && need.Record is null && market.Engine.FindNeed(new NeedId(order.Id)) is { } state)
        {
            need.Hydrate(state);
        }
    }

    /// <summary>An order as the answer to the last command shows it: as that command left it, even if it left the book.</summary>
    public object OrderDto(OrderKey order) => order.Side == OrderSide.Offer
        ? (lastTouchedOffers.TryGetValue(order.Id, out var o) ? o : market.OpenOffers[order.Id]).ToDto()
        : (lastTouchedNeeds.TryGetValue(order.Id, out var n) ? n : market.OpenNeeds[order.Id]).ToDto();

    /// <summary>True when the command placed or amended this order.</summary>
    private static bool Concerns(MarketCommand command, OrderKey order) => command switch
    {
        PlaceOffer p => order == OrderKey.Of(p.Offer.Id),
        PlaceNeed p => order == OrderKey.Of(p.Need.Id),
        AmendOrder a => order == a.Order,
        _ => false,
    };

    /// <summary>The negotiation a party's move is about, if the command is one.</summary>
    private static NegotiationId? NegotiationOf(MarketCommand command) => command switch
    {
        CounterPrice c => c.Negotiation,
        AcceptPrice a => a.Negotiation,
        _ => null,
    };

    private void OnTrade(Trade t, BatchEffects effects)
    {
        effects.Trades.Add(t);
        var need = market.OpenNeeds[t.Need.Value];
        var portion = checked(t.Rate.Value * need.UnitHold);
        var topUp = market.AgreedTopUps.Remove(t.Need.Value, out var agreedTopUp) ? agreedTopUp : 0;
        var buyer = t.Buyer.Value;
        var at = effects.AtTicks;
        var definition = market.Definition;
        ledger.Move(Account.Held(t.Buyer), Account.Escrow(definition.Id, t.Id), t.Amount.Minor, "escrow", $"trade:{definition.Id}:{t.Id.Value}", at);
        ledger.Move(Account.Held(t.Buyer), Account.Available(t.Buyer), portion + topUp - t.Amount.Minor, "release", $"trade:{definition.Id}:{t.Id.Value}", at);
        need.Held -= portion;
        // Both parties' signals carry the trade as its contract keeps it, so their rows name the contract.
        var contract = contracts.Open(t, need.JobDto, definition);
        effects.Contracts.Add(contract);
        Touch(OrderKey.Of(t.Need), effects, "open");
        Touch(OrderKey.Of(t.Offer), effects, "open");
        signals.AddTrade(t.Buyer, t.Seller, effects.AtTicks, contract.ContractId, contract.TradeJson);
        effects.Members.Add(buyer);
        effects.Members.Add(t.Seller.Value);
    }

    /// <summary>
    /// Puts an amendment's price and rate on the order's row. <see cref="Touch"/> copies them from the
    /// engine, but a repriced order that fills at once has left the engine by then.
    /// </summary>
    private void KeepAmendment(OrderAmended amended)
    {
        if (amended.Order.Side == OrderSide.Offer && market.OpenOffers.TryGetValue(amended.Order.Id, out var offer) && offer.State is { } state)
        {
            offer.State = state with { Ask = amended.Price.PerUnitHour, Rate = amended.Rate.Value };
        }
        else if (amended.Order.Side == OrderSide.Need && market.OpenNeeds.TryGetValue(amended.Order.Id, out var need))
        {
            need.State = need.State with { Bid = amended.Price.PerUnitHour, Remaining = amended.Rate.Value };
        }
    }

    /// <summary>Copies the engine's state of an open order into its row and marks it to be written.</summary>
    private void Touch(OrderKey key, BatchEffects effects, string status)
    {
        var at = effects.AtTicks;
        if (key.Side == OrderSide.Offer)
        {
            if (market.Engine.FindOffer(new OfferId(key.Id)) is { } state && market.OpenOffers.TryGetValue(key.Id, out var row))
            {
                row.State = OfferStateJson.From(state);
                row.Status = status;
                row.UpdatedAt = at;
                effects.Offers[key.Id] = row;
                lastTouchedOffers[key.Id] = row;
            }
        }
        else if (market.Engine.FindNeed(new NeedId(key.Id)) is { } state && market.OpenNeeds.TryGetValue(key.Id, out var row))
        {
            row.State = new NeedStateJson(state.Sequence, state.Spec.Bid.PerUnitHour, state.Remaining.Value);
            row.Status = status;
            row.UpdatedAt = at;
            effects.Needs[key.Id] = row;
            lastTouchedNeeds[key.Id] = row;
        }
    }

    /// <summary>
    /// An order left the book: its row gets its final state (a closed offer has nothing left for
    /// sale; a need keeps what was left unfilled), and a need's remaining hold goes back.
    /// </summary>
    private void Close(OrderKey key, string status, long remaining, BatchEffects effects)
    {
        var at = effects.AtTicks;
        if (key.Side == OrderSide.Offer)
        {
            if (market.OpenOffers.Remove(key.Id, out var row))
            {
                market.Tally.Closed(row.Member, row.IsRecurring);
                if (row.State is { } state)
                {
                    row.State = state with { Capacity = [] };
                }

                row.Status = status;
                row.UpdatedAt = at;
                effects.Offers[key.Id] = row;
                lastTouchedOffers[key.Id] = row;
            }
        }
        else if (market.OpenNeeds.Remove(key.Id, out var row))
        {
            market.Tally.Closed(row.Member, isRecurring: false);
            ledger.Move(Account.Held(new MemberId(row.Member)), Account.Available(new MemberId(row.Member)), row.Held, "release", $"need:{market.Definition.Id}:{row.Id}", at);
            row.Held = 0;
            row.State = row.State with { Remaining = remaining };
            row.Status = status;
            row.UpdatedAt = at;
            effects.Needs[key.Id] = row;
            lastTouchedNeeds[key.Id] = row;
        }
    }

    /// <summary>
    /// A negotiation opened. The engine reports the pair (negotiation needed) just before, without
    /// the exchange's id, which only exists now: that signal goes out here, with the id, first.
    /// </summary>
    private void OnNegotiationOpened(NegotiationOpened opened, NegotiationNeededDto? needed, BatchEffects effects)
    {
        var n = opened.Negotiation;
        var row = new NegotiationRow
        {
            Id = ids.NextNegotiationId(), Market = market.Definition.Id, EngineId = n.Id.Value, NeedId = n.Need.Value, OfferId = n.Offer.Value,
            BuyerId = n.Buyer.Value, SellerId = n.Seller.Value, State = NegotiationStateJson.From(n, 0), CreatedAt = effects.AtTicks, UpdatedAt = effects.AtTicks,
        };
        market.OpenNegotiations[row.Id] = row;
        market.Tally.NegotiationOpened(row.BuyerId);
        market.NegotiationsByEngineId[row.EngineId] = row;
        effects.Negotiations[row.Id] = row;

        // The offer's capacity over the window is now locked, and the need out of the book: both rows follow the engine.
        Touch(OrderKey.Of(n.Need), effects, "open");
        Touch(OrderKey.Of(n.Offer), effects, "open");
        if (needed is not null && needed.NeedId == n.Need.Value && needed.OfferId == n.Offer.Value)
        {
            SignalNeeded(needed with { NegotiationId = row.Id }, row.BuyerId, row.SellerId, effects);
        }

        SignalParties(row, "negotiation.opened", effects);
    }

    private void SignalNeeded(NegotiationNeededDto needed, long buyer, long seller, BatchEffects effects)
    {
        Signal(effects, buyer, "negotiation.needed", needed);
        Signal(effects, seller, "negotiation.needed", needed);
    }

    /// <summary>A resting need lost the auction for an offer's capacity: its buyer is told, and that it keeps resting.</summary>
    private void OnNegotiationOutbid(NegotiationOutbid outbid, BatchEffects effects) =>
        Signal(effects, outbid.Buyer.Value, "negotiation.outbid", new NegotiationOutbidDto(outbid.Need.Value, outbid.Offer.Value, outbid.Window.Start, outbid.Window.End));

    private void OnNegotiationCountered(NegotiationCountered countered, BatchEffects effects)
    {
        var row = market.NegotiationsByEngineId[countered.Negotiation.Id.Value];
        row.State = NegotiationStateJson.From(countered.Negotiation, row.State.TopUp);
        row.UpdatedAt = effects.AtTicks;
        effects.Negotiations[row.Id] = row;
        SignalParties(row, "negotiation.countered", effects);
    }

    private void OnNegotiationEnded(NegotiationEnded ended, BatchEffects effects)
    {
        market.NegotiationsByEngineId.Remove(ended.Negotiation.Id.Value, out var row);
        market.OpenNegotiations.Remove(row!.Id);
        market.Tally.NegotiationEnded(row.BuyerId);
        var topUp = row.State.TopUp;
        if (topUp > 0)
        {
            if (ended.Outcome == NegotiationOutcome.Agreed)
            {
                // The trade follows at once; OnTrade turns this into escrow with the need's own hold.
                market.AgreedTopUps[row.NeedId] = market.AgreedTopUps.GetValueOrDefault(row.NeedId) + topUp;
            }
            else
            {
                ledger.Move(Account.Held(new MemberId(row.BuyerId)), Account.Available(new MemberId(row.BuyerId)), topUp, "release", market.Reference(row), effects.AtTicks);
            }
        }

        row.State = NegotiationStateJson.From(ended.Negotiation, 0);
        row.Status = NegotiationRow.StatusOf(ended.Outcome);
        row.Price = ended.Price?.PerUnitHour;
        row.UpdatedAt = effects.AtTicks;
        effects.Negotiations[row.Id] = row;

        // Without a trade the offer has its capacity back (its own events, if any, come next).
        Touch(OrderKey.Of(ended.Negotiation.Offer), effects, "open");
        SignalParties(row, "negotiation.ended", effects);
    }

    private void OnClearingChanged(ClearingChanged changed, BatchEffects effects)
    {
        market.Definition = market.Engine.Market;
        effects.Definition = market.Definition;
        log.LogInformation("market {Market}: clearing is now {Clearing} (interval {Interval})", market.Definition.Id, StoredMarket.Clearing(changed.Mode), changed.Interval);
    }

    /// <summary>Adds the negotiation id to the answer's negotiation-needed pair, once the negotiation opened.</summary>
    private NegotiationNeededDto? WithNegotiationId(NegotiationNeededDto? needed, NegotiationOpened opened) =>
        needed is not null && needed.NeedId == opened.Negotiation.Need.Value && market.NegotiationsByEngineId.TryGetValue(opened.Negotiation.Id.Value, out var row)
            ? needed with { NegotiationId = row.Id }
            : needed;

    private void SignalParties(NegotiationRow row, string type, BatchEffects effects)
    {
        Signal(effects, row.BuyerId, type, row.ToDto(row.Buyer));
        Signal(effects, row.SellerId, type, row.ToDto(row.Seller));
    }

    private void Signal<T>(BatchEffects effects, long member, string type, T data)
    {
        signals.Add(new MemberId(member), type, effects.AtTicks, Json.Write(data));
        effects.Members.Add(member);
    }
}
