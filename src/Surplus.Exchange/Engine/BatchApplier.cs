using Surplus.Exchange.Ledger;
using Surplus.Exchange.Storage;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Exchange.Engine;

/// <summary>
/// Applies a batch of work to a market in memory, piece by piece: a repeated idempotency key gets
/// its kept answer, every other piece is checked against the exchange's rules (limits, money) and
/// run on the engine through the <see cref="EngineProjection"/>, and its answer kept. Gives the
/// batch's effects, for the <see cref="BatchStore"/> to store. Owned by the market's loop: not
/// thread-safe.
/// </summary>
internal sealed class BatchApplier(
    MarketMemory market, EngineProjection projection, IdempotentReplay replay, LedgerBook ledger, OrderIds ids, ITradeContracts contracts,
    ServerOptions options, TimeProvider time, ILogger log, ExchangeMetrics metrics)
{
    /// <summary>
    /// Called after each piece of work is applied, before its answer is kept: a test makes it throw
    /// to stand for a command that fails after it changed memory (a bug, an overflow). Null otherwise.
    /// </summary>
    public Action<Work>? AfterApply { get; set; }

    /// <summary>The answer to work that failed with <paramref name="e"/>: the store's refusal, or the exchange's own failure.</summary>
    public static Refused Failure(Exception e) => StoreHealth.IsRefusal(e)
        ? RefusalMessages.StoreRefused.With()
        : RefusalMessages.ApplyFailed.With();

    /// <summary>
    /// Applies a batch in memory and gives what it changed: rows, money, signals and idempotency
    /// records as they stand now. A command that throws is given back as a <see cref="CommandFailedException"/>.
    /// </summary>
    public async Task<BatchEffects> ApplyAsync(List<Work> batch)
    {
        var now = time.GetUtcNow();
        var effects = new BatchEffects(now.UtcTicks);
        var applying = TimeSpan.Zero;
        try
        {
            foreach (var work in batch)
            {
                if (work.Idempotency is { } key && (replay.Kept(key) ?? await replay.StoredAsync(key)) is { } earlier)
                {
                    work.Result = earlier;
                    continue;
                }

                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                try
                {
                    work.Result = Apply(work, now, effects);
                    AfterApply?.Invoke(work);
                }
                catch (Exception e) when (work is QueryWork)
                {
                    log.LogError(e, "market {Market}: a read failed; it alone is answered with an error", market.Definition.Id);
                    work.Result = Outcome.Refused(Failure(e));
                }
                catch (Exception e)
                {
                    throw new CommandFailedException(work, e);
                }

                applying += System.Diagnostics.Stopwatch.GetElapsedTime(started);
                if (work.Idempotency is { } k && IdempotentAnswer.IsFinal(work.Result))
                {
                    // Serialized once: the same text is stored for retries and sent as this answer.
                    work.Result = IdempotentAnswer.Kept(work.Result);
                    effects.Idempotency.Add((k, work.Result));
                    replay.Keep(k, work.Result);
                }
            }
        }
        finally
        {
            await replay.EndBatchAsync();
        }

        metrics.Applied(applying);
        return effects;
    }

    private Outcome Apply(Work work, DateTimeOffset now, BatchEffects effects)
    {
        switch (work)
        {
            case QueryWork query:
                return Outcome.Done(query.Query(market.Engine));
            case TickWork:
                projection.Execute(new AdvanceTime(now), effects);
                return Outcome.Nothing;
        }

        if (market.Halted && work is PlaceOfferWork or PlaceNeedWork or AmendWork)
        {
            return Outcome.Refused(RefusalMessages.MarketHalted.With(("market", market.Definition.Id)));
        }

        return work switch
        {
            PlaceOfferWork place => PlaceOffer(place, now, effects),
            PlaceNeedWork place => PlaceNeed(place, now, effects),
            CancelWork cancel => Cancel(cancel, now, effects),
            AmendWork amend => Amend(amend, now, effects),
            NegotiationWork negotiate => Negotiate(negotiate, now, effects),
            ClearingWork clearing => ChangeClearing(clearing, now, effects),
            HaltWork halt => Halt(halt, now, effects),
            _ => throw new InvalidOperationException($"unknown work {work.GetType().Name}"),
        };
    }

    private Outcome PlaceOffer(PlaceOfferWork work, DateTimeOffset now, BatchEffects effects)
    {
        var definition = market.Definition;
        var id = ids.NextOfferId();

        // The seller's reliability now becomes the offer's attribute, kept with the stored record.
        var spec = work.Spec with { Id = new OfferId(id), Attributes = contracts.WithReliability(work.Spec.Attributes, work.Spec.Seller) };

        if (OrderRules.Check(spec, definition, now) is { } problem)
        {
            ids.ReturnOfferId(id);
            return Outcome.Refused(Refused.From(problem));
        }

        var row = new OfferRow
        {
            Id = id, Market = definition.Id, Member = spec.Seller.Value, Record = StoredOffer.From(spec), IsRecurring = spec.Recurrence is not null,
            State = new OfferStateJson(0, spec.Ask.PerUnitHour, spec.Rate.Value, [], [], 0), CreatedAt = now.UtcTicks, UpdatedAt = now.UtcTicks,
        };
        if (LimitProblem(spec.Seller.Value, spec.Recurrence is not null) is { } tooMany)
        {
            ids.ReturnOfferId(id);
            return Outcome.Refused(tooMany);
        }

        market.OpenOffers[id] = row;
        market.Tally.Opened(row.Member, row.IsRecurring);
        effects.NewOffers.Add(row);
        var outcome = projection.Execute(new PlaceOffer(spec, now), effects);
        if (outcome.Rejected is { } rejected)
        {
            market.OpenOffers.Remove(id);
            market.Tally.Closed(row.Member, row.IsRecurring);
            effects.NewOffers.Remove(row);
            ids.ReturnOfferId(id);
            return Outcome.Refused(Refused.From(rejected));
        }

        return Outcome.Created(new OfferResultDto(row.ToDto(), outcome.Trades));
    }

    private Outcome PlaceNeed(PlaceNeedWork work, DateTimeOffset now, BatchEffects effects)
    {
        var definition = market.Definition;
        var id = ids.NextNeedId();
        var spec = work.Spec with { Id = new NeedId(id) };
        if (OrderRules.Check(spec, definition, now) is { } problem)
        {
            ids.ReturnNeedId(id);
            return Outcome.Refused(Refused.From(problem));
        }

        var buyer = spec.Buyer.Value;
        if ((LimitProblem(buyer, recurring: false) ?? NegotiationLimitProblem(buyer)) is { } tooMany)
        {
            ids.ReturnNeedId(id);
            return Outcome.Refused(tooMany);
        }

        var unit = market.HoldUnit(spec.Window, spec.Bid, spec.MaximumPrice?.PerUnitHour);
        var hold = checked(unit * spec.Rate.Value);
        Account available = Account.Available(spec.Buyer), held = Account.Held(spec.Buyer);
        if (!ledger.TryMove(available, held, hold, "hold", $"need:{definition.Id}:{id}", now.UtcTicks))
        {
            ids.ReturnNeedId(id);
            return Outcome.Refused((spec.MaximumPrice is { } max && max > spec.Bid ? RefusalMessages.NeedHoldAtMaximumTooLarge : RefusalMessages.NeedHoldTooLarge).With(
                ("hold", market.Money(hold)), ("rate", spec.Rate.Value), ("hours", spec.Window.Length.TotalHours),
                ("price", (spec.MaximumPrice is { } top && top > spec.Bid ? top : spec.Bid).PerUnitHour), ("available", market.Money(ledger.Balance(available)))));
        }

        var row = new NeedRow
        {
            Id = id, Market = definition.Id, Member = buyer, Record = StoredNeed.From(spec, work.Job), Job = work.Job,
            State = new NeedStateJson(0, spec.Bid.PerUnitHour, spec.Rate.Value), Held = hold, UnitHold = unit,
            CreatedAt = now.UtcTicks, UpdatedAt = now.UtcTicks,
        };
        market.OpenNeeds[id] = row;
        market.Tally.Opened(buyer, isRecurring: false);
        effects.NewNeeds.Add(row);
        effects.Members.Add(buyer);
        var outcome = projection.Execute(new PlaceNeed(spec, now), effects);
        if (outcome.Rejected is { } rejected)
        {
            ledger.Move(held, available, hold, "hold-reversal", $"need:{definition.Id}:{id}", now.UtcTicks);
            market.OpenNeeds.Remove(id);
            market.Tally.Closed(buyer, isRecurring: false);
            effects.NewNeeds.Remove(row);
            ids.ReturnNeedId(id);
            return Outcome.Refused(Refused.From(rejected));
        }

        return Outcome.Created(new NeedResultDto(row.ToDto(), outcome.Trades, outcome.Negotiation));
    }

    private Outcome Cancel(CancelWork work, DateTimeOffset now, BatchEffects effects)
    {
        if (!IsOwnOpen(work.Order, work.Member))
        {
            return Outcome.Refused(Refused.NotFound($"open {work.Order}"));
        }

        var outcome = projection.Execute(new CancelOrder(work.Order, work.Member, now), effects);
        return outcome.Rejected is { } rejected ? Outcome.Refused(Refused.From(rejected)) : Outcome.Done(projection.OrderDto(work.Order));
    }

    private Outcome Amend(AmendWork work, DateTimeOffset now, BatchEffects effects)
    {
        if (!IsOwnOpen(work.Order, work.Member))
        {
            return Outcome.Refused(Refused.NotFound($"open {work.Order}"));
        }

        var definition = market.Definition;
        long moved = 0;
        NeedRow? need = null;
        long previousUnit = 0;
        if (work.Order.Side == OrderSide.Need)
        {
            // The hold follows the new bid and rate before the engine matches at them.
            need = market.OpenNeeds[work.Order.Id];
            if (need.Record is null && market.Engine.FindNeed(new NeedId(need.Id)) is { } resting)
            {
                need.Hydrate(resting);
            }

            var record = need.Record ?? throw new InvalidOperationException($"need {need.Id} is open in memory but not in its engine");
            var price = work.Price ?? new Price(need.State.Bid);
            var remaining = work.Rate?.Value ?? need.State.Remaining;
            var window = StoredOrders.ReadWindow(record.Start, record.End, "need", need.Id);
            var top = record.MaximumPrice is { } max && max > price.PerUnitHour ? new Price(max) : price;

            // A price or amount past the market's bounds is refused by the engine before any money moves.
            if (OrderRules.CheckPrice(price, definition, "new price") is null && remaining > 0 && remaining <= need.State.Remaining
                && OrderRules.CheckAmount(new Rate(remaining), window.Length, top, definition) is null)
            {
                var unit = market.HoldUnit(window, price, record.MaximumPrice);
                moved = checked(unit * remaining) - need.Held;
                Account available = Account.Available(new MemberId(need.Member)), held = Account.Held(new MemberId(need.Member));
                if (moved > 0 && !ledger.TryMove(available, held, moved, "hold", $"need:{definition.Id}:{need.Id}", now.UtcTicks))
                {
                    return Outcome.Refused(RefusalMessages.BidRaiseTooLarge.With(("more", market.Money(moved)), ("available", market.Money(ledger.Balance(available)))));
                }

                if (moved < 0)
                {
                    ledger.Move(held, available, -moved, "release", $"need:{definition.Id}:{need.Id}", now.UtcTicks);
                }

                need.Held += moved;
                previousUnit = need.UnitHold;
                need.UnitHold = unit;
            }
        }

        var outcome = projection.Execute(new AmendOrder(work.Order, work.Member, work.Price, work.Rate, now), effects);
        if (outcome.Rejected is { } rejected)
        {
            if (need is not null && moved != 0)
            {
                var (from, to) = moved > 0 ? (Account.Held(new MemberId(need.Member)), Account.Available(new MemberId(need.Member))) : (Account.Available(new MemberId(need.Member)), Account.Held(new MemberId(need.Member)));
                ledger.Move(from, to, Math.Abs(moved), "hold-reversal", $"need:{definition.Id}:{need.Id}", now.UtcTicks);
                need.Held -= moved;
                need.UnitHold = previousUnit;
            }
            else if (need is not null && previousUnit != 0)
            {
                need.UnitHold = previousUnit;
            }

            return Outcome.Refused(Refused.From(rejected));
        }

        return Outcome.Done(work.Order.Side == OrderSide.Need
            ? new NeedResultDto((NeedDto)projection.OrderDto(work.Order), outcome.Trades, outcome.Negotiation)
            : new OfferResultDto((OfferDto)projection.OrderDto(work.Order), outcome.Trades));
    }

    /// <summary>
    /// A party's move in a negotiation (steps 350–354). A buyer's price may rise above what the
    /// need's hold covers; the difference is held first (the top-up).
    /// </summary>
    private Outcome Negotiate(NegotiationWork work, DateTimeOffset now, BatchEffects effects)
    {
        var definition = market.Definition;
        if (!market.OpenNegotiations.TryGetValue(work.Negotiation.Value, out var row) || !row.IsParty(work.Member))
        {
            return Outcome.Refused(RefusalMessages.NegotiationClosed.With(("negotiation", work.Negotiation.Value)));
        }

        if (market.Halted && work.Action != NegotiationAction.Decline)
        {
            return Outcome.Refused(RefusalMessages.NegotiationHalted.With(("market", definition.Id)));
        }

        var by = work.Member;
        var id = new NegotiationId(row.EngineId);
        MarketCommand command = work.Action switch
        {
            NegotiationAction.Counter => new CounterPrice(id, by, work.Price!.Value, work.Version, now),
            NegotiationAction.Accept => new AcceptPrice(id, by, work.Version, now),
            _ => new DeclineNegotiation(id, by, now),
        };

        var toppedUp = 0L;
        var state = market.Engine.FindNegotiation(id)!;
        if (work.Member.Value == row.BuyerId && work.Action != NegotiationAction.Decline && work.Version == state.Version)
        {
            // The buyer's price must be held before the seller can take it (or before it takes the seller's).
            var price = work.Action == NegotiationAction.Counter ? work.Price!.Value : state.SellerPrice;
            // A price past the market's bounds is refused by the engine before any money moves.
            if ((OrderRules.CheckPrice(price, definition, "counter price") ?? OrderRules.CheckAmount(state.Rate, state.Window.Length, price, definition)) is null
                && market.OpenNeeds.TryGetValue(row.NeedId, out var need))
            {
                var required = checked(state.Rate.Value * Pricing.UnitCeiling(state.Window, price, definition.MinorUnitDigits).Minor);
                var covered = checked((state.Rate.Value * need.UnitHold) + row.State.TopUp);
                if (required > covered)
                {
                    Account available = Account.Available(new MemberId(row.BuyerId)), held = Account.Held(new MemberId(row.BuyerId));
                    if (!ledger.TryMove(available, held, required - covered, "hold", market.Reference(row), now.UtcTicks))
                    {
                        return Outcome.Refused(RefusalMessages.NegotiatedPriceTooLarge.With(
                            ("price", price.PerUnitHour), ("rate", state.Rate.Value), ("required", market.Money(required)), ("more", market.Money(required - covered)),
                            ("available", market.Money(ledger.Balance(available)))));
                    }

                    toppedUp = required - covered;
                    row.State = row.State with { TopUp = row.State.TopUp + toppedUp };
                }
            }
        }

        var outcome = projection.Execute(command, effects);
        if (outcome.Rejected is { } rejected)
        {
            // A negotiation that reached its deadline on this very command gave its whole top-up back already.
            if (toppedUp > 0 && row.Status == "open")
            {
                ledger.Move(Account.Held(new MemberId(row.BuyerId)), Account.Available(new MemberId(row.BuyerId)), toppedUp, "hold-reversal", market.Reference(row), now.UtcTicks);
                row.State = row.State with { TopUp = row.State.TopUp - toppedUp };
            }

            return Outcome.Refused(Refused.From(rejected));
        }

        if (toppedUp > 0 && row.Status == "open")
        {
            effects.Negotiations[row.Id] = row;
        }

        return Outcome.Done(new NegotiationResultDto(row.ToDto(work.Member), outcome.Trades));
    }

    private Outcome ChangeClearing(ClearingWork work, DateTimeOffset now, BatchEffects effects)
    {
        var outcome = projection.Execute(new ChangeClearing(work.Mode, work.Interval, now), effects);
        return outcome.Rejected is { } rejected
            ? Outcome.Refused(Refused.From(rejected))
            : Outcome.Done(market.ToDto());
    }

    /// <summary>Halts or resumes the engine; the flag is stored with the batch. Asking for the state the market is in changes nothing.</summary>
    private Outcome Halt(HaltWork work, DateTimeOffset now, BatchEffects effects)
    {
        if (work.Halted != market.Halted)
        {
            var outcome = projection.Execute(work.Halted ? new HaltMarket(now) : new ResumeMarket(now), effects);
            if (outcome.Rejected is { } rejected)
            {
                return Outcome.Refused(Refused.From(rejected));
            }

            market.Halted = work.Halted;
            effects.Halted = work.Halted;
            log.LogInformation("market {Market}: {Action} by the operator", market.Definition.Id, work.Halted ? "halted" : "resumed");
        }

        return Outcome.Done(market.ToDto());
    }

    private bool IsOwnOpen(OrderKey order, MemberId member) => order.Side == OrderSide.Offer
        ? market.OpenOffers.TryGetValue(order.Id, out var o) && o.Member == member.Value
        : market.OpenNeeds.TryGetValue(order.Id, out var n) && n.Member == member.Value;

    /// <summary>A new order would take the member past its limit of open orders, or of recurring offers, in this market.</summary>
    private Refused? LimitProblem(long member, bool recurring)
    {
        var tally = market.Tally;
        if (tally.Orders(member) >= options.MaxOpenOrdersPerMember)
        {
            return RefusalMessages.TooManyOpenOrders.With(("count", tally.Orders(member)), ("market", market.Definition.Id), ("max", options.MaxOpenOrdersPerMember));
        }

        if (recurring && tally.Recurring(member) >= options.MaxRecurringOffersPerMember)
        {
            return RefusalMessages.TooManyRecurringOffers.With(("count", tally.Recurring(member)), ("market", market.Definition.Id), ("max", options.MaxRecurringOffersPerMember));
        }

        return null;
    }

    /// <summary>
    /// The buyer already negotiates as many times as it may in this market; a new need could open one
    /// more, so it waits until one ends. (Each negotiation locks one of the buyer's needs, so the
    /// count can never pass its open orders either.)
    /// </summary>
    private Refused? NegotiationLimitProblem(long buyer)
    {
        var limit = options.MaxOpenNegotiationsPerMember;
        return market.Definition.OpensNegotiations && market.Tally.Negotiations(buyer) >= limit
            ? RefusalMessages.TooManyNegotiations.With(("count", market.Tally.Negotiations(buyer)), ("market", market.Definition.Id), ("max", limit))
            : null;
    }
}
