using System.Data.Common;
using Dapper;
using Surplus.Exchange.Ledger;
using Surplus.Exchange.Signals;
using Surplus.Exchange.Storage;
using Surplus.Market;

namespace Surplus.Exchange.Engine;

/// <summary>
/// What one market's batch stores, and how: <see cref="Freeze"/> takes it from the batch's effects,
/// the ledger's and the signal log's pending changes while the loop still holds the write gate;
/// <see cref="WriteAsync"/> writes it inside the store writer's transaction, which carries as many
/// batches as are waiting (group commit).
/// </summary>
internal sealed class BatchStore(MarketMemory market, LedgerBook ledger, SignalLog signals, ITradeContracts contracts)
{
    private static readonly string[] OfferParameters = ["Id", "Market", "Member", "Status", "Spec", "State", "CreatedAt", "UpdatedAt"];
    private static readonly string[] OfferUpdateParameters = ["Status", "State", "UpdatedAt", "Id"];
    private static readonly string[] NeedParameters = ["Id", "Market", "Member", "Status", "Spec", "State", "Held", "CreatedAt", "UpdatedAt"];
    private static readonly string[] NeedUpdateParameters = ["Status", "State", "Held", "UpdatedAt", "Id"];
    private static readonly string[] TradeParameters =
        ["Market", "Id", "NeedId", "OfferId", "BuyerId", "SellerId", "Rate", "Start", "End", "Price", "Amount", "Fee", "Aggressor", "At"];
    private static readonly string[] IdempotencyParameters = ["Member", "Key", "Hash", "Status", "Response", "At"];
    private static readonly string[] IdempotencyBlockParameters = ["Member", "Batch", "First", "Last", "Items", "At"];

    /// <summary>Takes what the batch stores, with the ledger's and the signal log's pending changes.</summary>
    public StoredBatch Freeze(BatchEffects effects)
    {
        // A new row is inserted with its record; a stored one is updated, its record left as it is.
        var newOffers = new HashSet<long>(effects.NewOffers.Count);
        foreach (var row in effects.NewOffers)
        {
            effects.Offers[row.Id] = row;
            newOffers.Add(row.Id);
        }

        var newNeeds = new HashSet<long>(effects.NewNeeds.Count);
        foreach (var row in effects.NewNeeds)
        {
            effects.Needs[row.Id] = row;
            newNeeds.Add(row.Id);
        }

        var offers = new List<OfferWrite>(effects.Offers.Count);
        foreach (var row in effects.Offers.Values)
        {
            offers.Add(new OfferWrite(row, newOffers.Contains(row.Id) ? row.SpecJson : null, row.State is { } state ? Json.WriteUtf8(state) : null, row.Status, row.UpdatedAt));
            if (row.Status == "open")
            {
                row.Release();
            }
        }

        var needs = new List<NeedWrite>(effects.Needs.Count);
        foreach (var row in effects.Needs.Values)
        {
            needs.Add(new NeedWrite(row, newNeeds.Contains(row.Id) ? row.SpecJson : null, Json.WriteUtf8(row.State), row.Status, row.Held, row.UpdatedAt));
            if (row.Status == "open")
            {
                row.Release();
            }
        }

        var (transfers, balances) = ledger.TakePending();
        var engine = market.Engine;
        return new StoredBatch(
            effects.AtTicks,
            offers,
            needs,
            effects.Trades, effects.Contracts,
            [
                .. effects.Negotiations.Values.Select(r => new
                {
                    r.Id, r.Market, r.EngineId, r.NeedId, r.OfferId, r.BuyerId, r.SellerId, r.Status, r.StateJson, r.PriceText, r.CreatedAt, r.UpdatedAt,
                }),
            ],
            effects.Halted, effects.Definition,
            transfers, balances, signals.TakePending(),
            [.. effects.Idempotency.Where(i => i.Key.Batch is null)], IdempotencyBatches.Pack(effects.Idempotency),
            new EngineStateRow(market.Definition.Id, engine.Clock.UtcTicks, engine.NextSequence, engine.NextTradeId));
    }

    /// <summary>Writes one batch in the transaction given.</summary>
    public async Task WriteAsync(DbConnection c, DbTransaction tx, StoredBatch b)
    {
        // One command per table, its parameters made once and only their values set per row:
        // Dapper would build a parameter set per row, under names SQLite must look up four ways.
        await RowInsert.ExecuteAsync(c, tx,
            """
            INSERT INTO offers (id, market, member_id, status, spec, state, created_at, updated_at)
            VALUES (@Id, @Market, @Member, @Status, @Spec, @State, @CreatedAt, @UpdatedAt)
            ON CONFLICT (id) DO UPDATE SET status = excluded.status, state = excluded.state, updated_at = excluded.updated_at
            """,
            OfferParameters, [.. b.Offers.Where(o => o.Spec is not null)],
            (o, v) => v.Add(o.Row.Id).Add(o.Row.Market).Add(o.Row.Member).Add(o.Status).AddUtf8(o.Spec!).AddUtf8(o.State!).Add(o.Row.CreatedAt).Add(o.UpdatedAt));

        // An offer that left the book without being touched before keeps its last state: a closed offer has no capacity to show.
        await RowInsert.ExecuteAsync(c, tx,
            "UPDATE offers SET status = @Status, state = COALESCE(CAST(@State AS TEXT), state), updated_at = @UpdatedAt WHERE id = @Id",
            OfferUpdateParameters, [.. b.Offers.Where(o => o.Spec is null)],
            (o, v) =>
            {
                v.Add(o.Status);
                _ = o.State is { } state ? v.AddUtf8(state) : v.Add((string?)null);
                v.Add(o.UpdatedAt).Add(o.Row.Id);
            });
        await RowInsert.ExecuteAsync(c, tx,
            """
            INSERT INTO needs (id, market, member_id, status, spec, state, held, created_at, updated_at)
            VALUES (@Id, @Market, @Member, @Status, @Spec, @State, @Held, @CreatedAt, @UpdatedAt)
            ON CONFLICT (id) DO UPDATE SET status = excluded.status, state = excluded.state, held = excluded.held, updated_at = excluded.updated_at
            """,
            NeedParameters, [.. b.Needs.Where(n => n.Spec is not null)],
            (n, v) => v.Add(n.Row.Id).Add(n.Row.Market).Add(n.Row.Member).Add(n.Status).AddUtf8(n.Spec!).AddUtf8(n.State).Add(n.Held).Add(n.Row.CreatedAt).Add(n.UpdatedAt));
        await RowInsert.ExecuteAsync(c, tx,
            "UPDATE needs SET status = @Status, state = @State, held = @Held, updated_at = @UpdatedAt WHERE id = @Id",
            NeedUpdateParameters, [.. b.Needs.Where(n => n.Spec is null)],
            (n, v) => v.Add(n.Status).AddUtf8(n.State).Add(n.Held).Add(n.UpdatedAt).Add(n.Row.Id));
        await RowInsert.ExecuteAsync(c, tx,
            """
            INSERT INTO trades (market, id, need_id, offer_id, buyer_id, seller_id, rate, window_start, window_end, price, amount, fee, aggressor, at)
            VALUES (@Market, @Id, @NeedId, @OfferId, @BuyerId, @SellerId, @Rate, @Start, @End, @Price, @Amount, @Fee, @Aggressor, @At)
            """,
            TradeParameters, b.Trades, (t, v) => v
                .Add(t.Market).Add(t.Id.Value).Add(t.Need.Value).Add(t.Offer.Value).Add(t.Buyer.Value).Add(t.Seller.Value).Add(t.Rate.Value)
                .Add(t.Window.StartTicks).Add(t.Window.EndTicks).Add(t.Price.PerUnitHour.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Add(t.Amount.Minor).Add(t.Fee.Minor).Add(t.Aggressor == OrderSide.Need ? "need" : "offer").Add(t.At.UtcTicks));

        await contracts.WriteOpenedAsync(c, tx, b.Contracts);
        await WriteNegotiationsAsync(c, tx, b);
        await WriteGate.WriteLedgerAndSignalsAsync(c, tx, b.Transfers, b.Balances, b.Signals);
        await RowInsert.ExecuteAsync(c, tx,
            "INSERT INTO idempotency (member_id, key, request_hash, status, response, created_at) VALUES (@Member, @Key, @Hash, @Status, @Response, @At)",
            IdempotencyParameters, b.Idempotency,
            (i, v) => v.Add(i.Key.Member).Add(i.Key.Key).Add(i.Key.RequestHash).Add(IdempotentAnswer.StoredStatus(i.Result)).AddUtf8(IdempotencyBatches.Response(i.Result)).Add(b.AtTicks));
        await RowInsert.ExecuteAsync(c, tx,
            """
            INSERT INTO idempotency_batches (member_id, batch_key, first_index, last_index, items, created_at)
            VALUES (@Member, @Batch, @First, @Last, @Items, @At)
            """,
            IdempotencyBlockParameters, b.IdempotencyBlocks,
            (i, v) => v.Add(i.Member).Add(i.Batch).Add(i.FirstIndex).Add(i.LastIndex).AddUtf8(i.Items).Add(b.AtTicks));

        // The market's snapshot, if the last stop wrote one, no longer is what the store holds.
        await c.ExecuteAsync(
            """
            INSERT INTO engine_state (market, clock, next_sequence, next_trade_id, snapshot) VALUES (@Market, @Clock, @NextSequence, @NextTradeId, NULL)
            ON CONFLICT (market) DO UPDATE SET clock = excluded.clock, next_sequence = excluded.next_sequence, next_trade_id = excluded.next_trade_id, snapshot = NULL
            """,
            b.Engine, tx);
    }

    /// <summary>Writes the batch's negotiation rows, and the market's halt and definition when the operator changed them.</summary>
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
}

/// <summary>
/// An offer's row as it stood when its batch was applied, its request's and state's JSON written
/// by the engine loop (the writer is the busier) in UTF-8, as the store takes it, so that the writer
/// has nothing to transcode and memory holds one byte per character of ASCII JSON, not two as a
/// string would. <paramref name="Spec"/> is null for a row
/// already stored (it is updated), <paramref name="State"/> null for one that left the book untouched.
/// </summary>
internal readonly record struct OfferWrite(OfferRow Row, byte[]? Spec, byte[]? State, string Status, long UpdatedAt);

/// <summary>
/// A need's row as it stood when its batch was applied, its request's and state's JSON written by
/// the engine loop in UTF-8; <paramref name="Spec"/> is null for a row already stored (it is updated:
/// a need's record never changes after it is placed).
/// </summary>
internal readonly record struct NeedWrite(NeedRow Row, byte[]? Spec, byte[] State, string Status, long Held, long UpdatedAt);

/// <summary>The engine's counters as a batch left them.</summary>
internal sealed record EngineStateRow(string Market, long Clock, long NextSequence, long NextTradeId);

/// <summary>
/// What one batch stores, taken when it was applied: the rows' mutable parts are copied (the
/// loop goes on changing them while the writer stores this), the rest never changes.
/// </summary>
internal sealed record StoredBatch(
    long AtTicks, List<OfferWrite> Offers, List<NeedWrite> Needs, List<Trade> Trades, List<IOpenedContract> Contracts,
    List<object> Negotiations, bool? Halted, MarketDefinition? Definition,
    IReadOnlyList<Transfer> Transfers, IReadOnlyList<KeyValuePair<Account, long>> Balances, TakenSignals Signals,
    List<(IdempotencyKey Key, Outcome Result)> Idempotency, PackedBlocks<IdempotencyBlock> IdempotencyBlocks, EngineStateRow Engine)
{
    /// <summary>Gives the packed blocks' buffers back: the batch is stored, or never will be.</summary>
    public void Release()
    {
        Signals.Dispose();
        IdempotencyBlocks.Dispose();
    }
}
