using System.Data.Common;
using Dapper;
using Surplus.Exchange.Ledger;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Exchange.Engine;

/// <summary>What a party does in a negotiation.</summary>
internal enum NegotiationAction
{
    Counter,
    Accept,
    Decline,
}

/// <summary>A party counters, accepts or declines a negotiation (by its exchange-wide id).</summary>
internal sealed class NegotiationWork(long negotiation, long member, NegotiationAction action, Price? price, int version) : Work
{
    public long Negotiation { get; } = negotiation;

    public long Member { get; } = member;

    public NegotiationAction Action { get; } = action;

    public Price? Price { get; } = price;

    public int Version { get; } = version;
}

/// <summary>The operator changes how the market clears.</summary>
internal sealed class ClearingWork(ClearingMode mode, TimeSpan interval) : Work
{
    public ClearingMode Mode { get; } = mode;

    public TimeSpan Interval { get; } = interval;
}

/// <summary>The operator halts (or resumes) the market.</summary>
internal sealed class HaltWork(bool halted) : Work
{
    public bool Halted { get; } = halted;
}

/// <summary>
/// Negotiations (steps 350–354) and the clearing mode on the server: a row per negotiation, the
/// engine's ids mapped to the exchange's, the signals to both sides, and the money. A buyer's
/// price may rise above what the need's hold covers; the difference is held first (the top-up),
/// turned to escrow with the trade on agreement and given back on any other end.
/// </summary>
internal sealed partial class MarketHost
{
    // Open negotiations by the exchange's id and by the engine's; rebuilt by LoadAsync.
    private readonly Dictionary<long, NegotiationRow> openNegotiations = [];
    private readonly Dictionary<long, NegotiationRow> negotiationsByEngineId = [];

    // The top-up of a negotiation that just agreed, by need: its trade comes next and takes it.
    private readonly Dictionary<long, long> agreedTopUps = [];

    /// <summary>The open negotiations of this market as the engine's snapshot wants them, and the engine's next id.</summary>
    private async Task<(List<NegotiationState> Open, long NextId)> LoadNegotiationsAsync(DbConnection connection)
    {
        openNegotiations.Clear();
        negotiationsByEngineId.Clear();
        agreedTopUps.Clear();
        var open = new List<NegotiationState>();
        foreach (var row in await connection.QueryAsync<NegotiationRow>(
            $"SELECT {NegotiationRow.Columns} FROM negotiations WHERE market = @market AND status = 'open' ORDER BY engine_id", new { market = Definition.Id }))
        {
            openNegotiations[row.Id] = row;
            negotiationsByEngineId[row.EngineId] = row;
            open.Add(row.State.ToState(row.EngineId, row.NeedId, row.BuyerId, row.OfferId, row.SellerId));
        }

        // Every negotiation the engine ever opened has a row, so the engine goes on after the highest.
        var next = await connection.ExecuteScalarAsync<long>(
            "SELECT COALESCE(MAX(engine_id), 0) + 1 FROM negotiations WHERE market = @market", new { market = Definition.Id });
        return (open, next);
    }

    /// <summary>The hold per unit of rate for a need: its bid, or its hidden maximum when it has one, since the engine may agree up to that on the buyer's behalf.</summary>
    private long HoldUnit(Window window, Price bid, decimal? maximum) =>
        Pricing.UnitCeiling(window, maximum is { } max && max > bid.PerUnitHour ? new Price(max) : bid, Definition.MinorUnitDigits).Minor;

    private WorkResult Negotiate(NegotiationWork work, DateTimeOffset now, BatchEffects effects)
    {
        if (!openNegotiations.TryGetValue(work.Negotiation, out var row) || !row.IsParty(work.Member))
        {
            return WorkResult.Fail(new ApiError(Refusals.NegotiationEnded, $"negotiation {work.Negotiation} is no longer open: it was agreed, declined, withdrawn or passed its deadline; GET /v1/negotiations/{work.Negotiation} shows how it ended"));
        }

        if (Halted && work.Action != NegotiationAction.Decline)
        {
            return WorkResult.Fail(new ApiError(Refusals.MarketHalted, $"market '{Definition.Id}' is halted by the operator; a negotiation may only be declined until it resumes"));
        }

        var by = new MemberId(work.Member);
        var id = new NegotiationId(row.EngineId);
        MarketCommand command = work.Action switch
        {
            NegotiationAction.Counter => new CounterPrice(id, by, work.Price!.Value, work.Version, now),
            NegotiationAction.Accept => new AcceptPrice(id, by, work.Version, now),
            _ => new DeclineNegotiation(id, by, now),
        };

        var toppedUp = 0L;
        var state = engine.FindNegotiation(id)!;
        if (work.Member == row.BuyerId && work.Action != NegotiationAction.Decline && work.Version == state.Version)
        {
            // The buyer's price must be held before the seller can take it (or before it takes the seller's).
            var price = work.Action == NegotiationAction.Counter ? work.Price!.Value : state.SellerPrice;
            // A price past the market's bounds is refused by the engine before any money moves.
            if ((OrderRules.CheckPrice(price, Definition, "counter price") ?? OrderRules.CheckAmount(state.Rate, state.Window.Length, price, Definition)) is null
                && openNeeds.TryGetValue(row.NeedId, out var need))
            {
                var required = checked(state.Rate.Value * Pricing.UnitCeiling(state.Window, price, Definition.MinorUnitDigits).Minor);
                var covered = checked((state.Rate.Value * need.UnitHold) + row.State.TopUp);
                if (required > covered)
                {
                    var buyer = row.BuyerId;
                    if (!exchange.Ledger.TryMove(Accounts.Available(buyer), Accounts.Held(buyer), required - covered, "hold", Reference(row), now.UtcTicks))
                    {
                        return WorkResult.Fail(new ApiError(Refusals.InsufficientFunds, $"at {price} the negotiated {state.Rate} over the window costs up to {Money(required)}, {Money(required - covered)} more than is held for it, but only {Money(exchange.Ledger.Balance(Accounts.Available(buyer)))} is available; deposit more or offer less"));
                    }

                    toppedUp = required - covered;
                    row.State = row.State with { TopUp = row.State.TopUp + toppedUp };
                }
            }
        }

        var outcome = Execute(command, effects);
        if (outcome.Rejected is { } rejected)
        {
            // A negotiation that reached its deadline on this very command gave its whole top-up back already.
            if (toppedUp > 0 && row.Status == "open")
            {
                exchange.Ledger.Move(Accounts.Held(row.BuyerId), Accounts.Available(row.BuyerId), toppedUp, "hold-reversal", Reference(row), now.UtcTicks);
                row.State = row.State with { TopUp = row.State.TopUp - toppedUp };
            }

            return WorkResult.Fail(ApiError.From(rejected));
        }

        if (toppedUp > 0 && row.Status == "open")
        {
            effects.Negotiations[row.Id] = row;
        }

        return new WorkResult(200, new NegotiationResultDto(row.ToDto(work.Member), outcome.Trades), null);
    }

    private WorkResult ChangeClearing(ClearingWork work, DateTimeOffset now, BatchEffects effects)
    {
        var outcome = Execute(new ChangeClearing(work.Mode, work.Interval, now), effects);
        return outcome.Rejected is { } rejected
            ? WorkResult.Fail(ApiError.From(rejected))
            : new WorkResult(200, this.ToDto(), null);
    }

    /// <summary>Halts or resumes the engine; the flag is stored with the batch. Asking for the state the market is in changes nothing.</summary>
    private WorkResult Halt(HaltWork work, DateTimeOffset now, BatchEffects effects)
    {
        if (work.Halted != Halted)
        {
            var outcome = Execute(work.Halted ? new HaltMarket(now) : new ResumeMarket(now), effects);
            if (outcome.Rejected is { } rejected)
            {
                return WorkResult.Fail(ApiError.From(rejected));
            }

            Halted = work.Halted;
            effects.Halted = work.Halted;
            exchange.Log.LogInformation("market {Market}: {Action} by the operator", Definition.Id, work.Halted ? "halted" : "resumed");
        }

        return new WorkResult(200, this.ToDto(), null);
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
            Id = exchange.NextNegotiationId(), Market = Definition.Id, EngineId = n.Id.Value, NeedId = n.Need.Value, OfferId = n.Offer.Value,
            BuyerId = n.Buyer.Value, SellerId = n.Seller.Value, State = NegotiationStateJson.From(n, 0), CreatedAt = effects.AtTicks, UpdatedAt = effects.AtTicks,
        };
        openNegotiations[row.Id] = row;
        tally.NegotiationOpened(row.BuyerId);
        negotiationsByEngineId[row.EngineId] = row;
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
        var row = negotiationsByEngineId[countered.Negotiation.Id.Value];
        row.State = NegotiationStateJson.From(countered.Negotiation, row.State.TopUp);
        row.UpdatedAt = effects.AtTicks;
        effects.Negotiations[row.Id] = row;
        SignalParties(row, "negotiation.countered", effects);
    }

    private void OnNegotiationEnded(NegotiationEnded ended, BatchEffects effects)
    {
        negotiationsByEngineId.Remove(ended.Negotiation.Id.Value, out var row);
        openNegotiations.Remove(row!.Id);
        tally.NegotiationEnded(row.BuyerId);
        var topUp = row.State.TopUp;
        if (topUp > 0)
        {
            if (ended.Outcome == NegotiationOutcome.Agreed)
            {
                // The trade follows at once; OnTrade turns this into escrow with the need's own hold.
                agreedTopUps[row.NeedId] = agreedTopUps.GetValueOrDefault(row.NeedId) + topUp;
            }
            else
            {
                exchange.Ledger.Move(Accounts.Held(row.BuyerId), Accounts.Available(row.BuyerId), topUp, "release", Reference(row), effects.AtTicks);
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
        Definition = engine.Market;
        effects.Definition = Definition;
        exchange.Log.LogInformation("market {Market}: clearing is now {Clearing} (interval {Interval})", Definition.Id, StoredMarket.Clearing(changed.Mode), changed.Interval);
    }

    /// <summary>The money held beyond the need's own hold for the negotiation that just agreed on this need, handed to its trade.</summary>
    private long TakeAgreedTopUp(long need) => agreedTopUps.Remove(need, out var topUp) ? topUp : 0;

    /// <summary>Adds the negotiation id to the answer's negotiation-needed pair, once the negotiation opened.</summary>
    private NegotiationNeededDto? WithNegotiationId(NegotiationNeededDto? needed, NegotiationOpened opened) =>
        needed is not null && needed.NeedId == opened.Negotiation.Need.Value && negotiationsByEngineId.TryGetValue(opened.Negotiation.Id.Value, out var row)
            ? needed with { NegotiationId = row.Id }
            : needed;

    private void SignalParties(NegotiationRow row, string type, BatchEffects effects)
    {
        Signal(effects, row.BuyerId, type, row.ToDto(row.BuyerId));
        Signal(effects, row.SellerId, type, row.ToDto(row.SellerId));
    }

    private string Reference(NegotiationRow row) => $"negotiation:{Definition.Id}:{row.Id}";

    /// <summary>Writes the batch's negotiation rows, and the market's definition when the operator changed it.</summary>
    private static async Task WriteNegotiationsAsync(DbConnection c, DbTransaction tx, StoredBatch effects)
    {
        if (effects.Negotiations.Count > 0)
        {
            await c.ExecuteAsync(
                """
                INSERT INTO negotiations (id, market, engine_id, need_id, offer_id, buyer_id, seller_id, status, state, price, created_at, updated_at)
                VALUES (@Id, @Market, @EngineId, @NeedId, @OfferId, @BuyerId, @SellerId, @Status, @StateJson, @PriceText, @CreatedAt, @UpdatedAt)
                ON CONFLICT (id) DO UPDATE SET status = excluded.status, state = excluded.state, price = excluded.price, updated_at = excluded.updated_at
                """,
                effects.Negotiations, tx);
        }

        if (effects.Halted is { } halted)
        {
            await c.ExecuteAsync("UPDATE markets SET halted = @halted WHERE id = @id", new { halted, id = effects.Engine.Market }, tx);
        }

        if (effects.Definition is { } definition)
        {
            await c.ExecuteAsync("UPDATE markets SET definition = @definition WHERE id = @id", new { definition = StoredMarket.Write(definition), id = definition.Id }, tx);
        }
    }

    /// <summary>The negotiation rows as they stand now (the loop goes on changing them while the batch is stored).</summary>
    private sealed partial class BatchEffects
    {
        public List<object> FrozenNegotiations() =>
        [
            .. Negotiations.Values.Select(r => new
            {
                r.Id, r.Market, r.EngineId, r.NeedId, r.OfferId, r.BuyerId, r.SellerId, r.Status, r.StateJson, r.PriceText, r.CreatedAt, r.UpdatedAt,
            }),
        ];
    }

    /// <summary>The negotiation rows and the market definition one batch changes.</summary>
    private sealed partial class BatchEffects
    {
        public Dictionary<long, NegotiationRow> Negotiations { get; } = [];

        public MarketDefinition? Definition { get; set; }

        /// <summary>Set when the operator halted or resumed the market in this batch.</summary>
        public bool? Halted { get; set; }
    }

    /// <summary>The market as the API shows it.</summary>
    public MarketDto ToDto() => new(
        Definition.Id, Definition.Unit, (int)Definition.Slot.TotalSeconds, Definition.Tick, Definition.Currency, Definition.MinorUnitDigits,
        Definition.FeeBasisPoints, Definition.Clearing == ClearingMode.Continuous ? "continuous" : "call-auction", Halted,
        Definition.CollateralBasisPoints, (int)Definition.ContractTimings.StageLeadTime.TotalSeconds,
        (int)Definition.ContractTimings.HeartbeatTimeout.TotalSeconds, (int)Definition.ContractTimings.Grace.TotalSeconds,
        (int)Definition.AuctionInterval.TotalSeconds, Definition.OpensNegotiations, (int)Definition.NegotiationTimeout.TotalSeconds,
        Definition.MaxRate, Definition.MaxPrice, Definition.MaxAmountMinor, (int)Definition.OrderHorizon.TotalDays, Definition.MaxOccurrences);
}
