using System.Data.Common;
using System.Threading.Channels;
using Dapper;
using Surplus.Exchange.Contracts;
using Surplus.Exchange.Ledger;
using Surplus.Exchange.Storage;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Exchange.Engine;

/// <summary>The answer to one piece of engine work: an HTTP status and body, or an error.</summary>
internal sealed record WorkResult(int Status, object? Body, ApiError? Error)
{
    public static WorkResult Fail(ApiError error) => new(error.Status, null, error);
}

/// <summary>
/// An idempotency key, with the hash of the request it came with; for an order of a request batch,
/// also the batch's own key and the order's index in it (<see cref="Key"/> is then the two together).
/// </summary>
internal sealed record IdempotencyKey(long Member, string Key, string RequestHash, string? Batch = null, int Index = 0);

/// <summary>One piece of work for a market's engine loop.</summary>
internal abstract class Work
{
    public TaskCompletionSource<WorkResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IdempotencyKey? Idempotency { get; init; }

    /// <summary>The result, set while the batch is applied and handed out only after it committed.</summary>
    public WorkResult? Result { get; set; }
}

internal sealed class PlaceOfferWork(OfferSpec spec) : Work
{
    public OfferSpec Spec { get; } = spec;
}

internal sealed class PlaceNeedWork(NeedSpec spec, StoredJob? job) : Work
{
    public NeedSpec Spec { get; } = spec;

    /// <summary>The job the need is for, which the engine never reads: kept in the need's record.</summary>
    public StoredJob? Job { get; } = job;
}

internal sealed class CancelWork(OrderKey order, long member) : Work
{
    public OrderKey Order { get; } = order;

    public long Member { get; } = member;
}

internal sealed class AmendWork(OrderKey order, long member, Price? price, Rate? rate) : Work
{
    public OrderKey Order { get; } = order;

    public long Member { get; } = member;

    public Price? Price { get; } = price;

    public Rate? Rate { get; } = rate;
}

internal sealed class TickWork : Work;

internal sealed class QueryWork(Func<MarketEngine, object> query) : Work
{
    public Func<MarketEngine, object> Query { get; } = query;
}

/// <summary>
/// One market: its engine, fed through a single-reader channel. The loop takes a batch of work,
/// applies it to the engine inside the exchange's write gate, writes every effect (orders,
/// capacity, trades, holds, signals, idempotency records) in one transaction, and only then
/// answers (group commit). When the write fails, the market and the ledger are reloaded from the
/// store, so memory never runs ahead of what was committed.
/// </summary>
internal sealed partial class MarketHost
{
    /// <summary>
    /// A market's batches applied and waiting for the writer: two keep the writer busy (one is
    /// stored while the next is applied), and more would only queue work behind others' work.
    /// </summary>
    private const int BatchesInFlight = 2;

    private readonly ExchangeServices exchange;
    private readonly Channel<Work> channel = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<long, OfferRow> openOffers = [];
    private readonly Dictionary<long, NeedRow> openNeeds = [];
    private readonly MemberTally tally = new();
    private readonly SemaphoreSlim inFlight = new(BatchesInFlight);
    private MarketEngine engine;
    private bool stale;
    private int queued;

    public MarketHost(ExchangeServices exchange, MarketDefinition definition, bool halted)
    {
        this.exchange = exchange;
        Definition = definition;
        Halted = halted;
        engine = new MarketEngine(definition);
    }

    public MarketDefinition Definition { get; private set; }

    public bool Halted { get; set; }

    public Task? Loop { get; private set; }

    /// <summary>Rebuilds the engine and the open orders from the store.</summary>
    public async Task LoadAsync(DbConnection connection)
    {
        openOffers.Clear();
        openNeeds.Clear();
        if (await connection.QuerySingleOrDefaultAsync<(string Definition, bool Halted)?>(
            "SELECT definition, halted FROM markets WHERE id = @market", new { market = Definition.Id }) is { } market)
        {
            // After a failed write the definition and the halt in memory may be ahead of the store.
            Definition = StoredMarket.Read(market.Definition);
            Halted = market.Halted;
        }

        var state = await connection.QuerySingleOrDefaultAsync<(long Clock, long NextSequence, long NextTradeId)?>(
            "SELECT clock, next_sequence, next_trade_id FROM engine_state WHERE market = @market", new { market = Definition.Id });

        // Orders are rebuilt from their stored records, not from requests through the HTTP mapper:
        // an order the exchange accepted once loads whatever the mapper refuses since.
        var offerStates = new List<OfferState>();
        foreach (var row in await connection.QueryAsync<(long Id, long MemberId, string Spec, string State, long CreatedAt, long UpdatedAt)>(
            "SELECT id, member_id, spec, state, created_at, updated_at FROM offers WHERE market = @market AND status = 'open'", new { market = Definition.Id }))
        {
            var record = StoredOrders.ReadOffer(row.Spec);
            var stored = Json.Read<OfferStateJson>(row.State);
            offerStates.Add(stored.ToState(record.ToSpec(row.Id, row.MemberId)));
            openOffers[row.Id] = new OfferRow
            {
                Id = row.Id, Market = Definition.Id, Member = row.MemberId, Record = record, State = stored,
                CreatedAt = row.CreatedAt, UpdatedAt = row.UpdatedAt,
            };
        }

        var needStates = new List<NeedState>();
        foreach (var row in await connection.QueryAsync<(long Id, long MemberId, string Spec, string State, long Held, long CreatedAt, long UpdatedAt)>(
            "SELECT id, member_id, spec, state, held, created_at, updated_at FROM needs WHERE market = @market AND status = 'open'", new { market = Definition.Id }))
        {
            var record = StoredOrders.ReadNeed(row.Spec);
            var stored = Json.Read<NeedStateJson>(row.State);
            var spec = record.ToSpec(row.Id, row.MemberId) with { Bid = new Price(stored.Bid) };
            needStates.Add(new NeedState(spec, stored.Sequence, new Rate(stored.Remaining)));
            openNeeds[row.Id] = new NeedRow
            {
                Id = row.Id, Market = Definition.Id, Member = row.MemberId, Record = record, State = stored, Held = row.Held,
                UnitHold = HoldUnit(spec.Window, spec.Bid, record.MaximumPrice),
                CreatedAt = row.CreatedAt, UpdatedAt = row.UpdatedAt,
            };
        }

        var (negotiations, nextNegotiationId) = await LoadNegotiationsAsync(connection);
        Recount();
        var (clock, nextSequence, nextTradeId) = state ?? (DateTimeOffset.MinValue.UtcTicks, 1, 1);
        engine = MarketEngine.Restore(Definition, new EngineSnapshot(
            new DateTimeOffset(clock, TimeSpan.Zero), nextSequence, nextTradeId, offerStates, needStates, negotiations, nextNegotiationId, Halted));
    }

    public void Start() => Loop = Task.Run(RunAsync, CancellationToken.None);

    public void Complete() => channel.Writer.TryComplete();

    /// <summary>
    /// Queues work; the task is its committed answer. The work's own task, not a wait on it: a
    /// batch of a hundred orders would otherwise make a hundred more tasks and wake a hundred more
    /// continuations when it is answered.
    /// </summary>
    public Task<WorkResult> SubmitAsync(Work work)
    {
        ArgumentNullException.ThrowIfNull(work);
        Interlocked.Increment(ref queued);
        if (channel.Writer.TryWrite(work))
        {
            return work.Done.Task;
        }

        Interlocked.Decrement(ref queued);
        return Task.FromResult(WorkResult.Fail(new ApiError(Refusals.ShuttingDown, "the exchange is stopping; try again in a moment")));
    }

    private async Task RunAsync()
    {
        var reader = channel.Reader;
        var waiting = new FairQueue();
        while (waiting.Count > 0 || await reader.WaitToReadAsync(CancellationToken.None))
        {
            // At most this many of the market's batches are applied and not yet stored: what comes
            // meanwhile waits in the fair queue, where another member's order goes ahead of a
            // flood's backlog, instead of in the writer's queue, where it would wait behind it all.
            await inFlight.WaitAsync(CancellationToken.None);
            var batch = waiting.Take(reader, Math.Max(1, exchange.Options.MaxBatch), Math.Max(1, exchange.Options.MaxCommandsPerMemberPerBatch));
            if (batch.Count == 0)
            {
                inFlight.Release();
                continue;
            }

            Interlocked.Add(ref queued, -batch.Count);

            await exchange.Gate.WaitAsync(CancellationToken.None);
            try
            {
                await exchange.EnsureConsistentAsync();
                if (stale)
                {
                    await ReloadAsync();
                }

                // Applied now; answered once the writer has stored it, while this loop goes on.
                exchange.Writer.Enqueue(await ApplyEachAloneAsync(batch));
            }
            catch (Exception e)
            {
                // Nothing of this batch is stored, and memory may be half-changed: it is read back
                // from the store before the next change, and the loop lives on.
                exchange.Log.LogError(e, "market {Market}: a batch of {Count} failed; memory is read back from the store", Definition.Id, batch.Count);
                exchange.StoreFailed();
                Finish(batch, Failure(e), []);
                inFlight.Release();
            }
            finally
            {
                exchange.Gate.Release();
            }
        }
    }

    /// <summary>Marks the market to be read back from the store before its next batch.</summary>
    public void MarkStale() => stale = true;

    /// <summary>How many pieces of work wait for the loop to take them (the channel of one reader does not count them).</summary>
    public int Queued => Volatile.Read(ref queued);

    /// <summary>
    /// Called after each piece of work is applied, before its answer is kept: a test makes it throw
    /// to stand for a command that fails after it changed memory (a bug, an overflow). Null otherwise.
    /// </summary>
    internal Action<Work>? AfterApply { get; set; }

    /// <summary>
    /// Applies a batch so that each command fails alone. A read that throws changed nothing and is
    /// answered with its error in place. A command that throws may have changed the engine, the
    /// ledger and the signals halfway, and so may the batch before it: it is answered with its error,
    /// memory is read back from the store (where none of this batch is yet), and the batch is
    /// applied again without it. Each failure removes one command, so this ends; it costs only when
    /// a command fails.
    /// </summary>
    private async Task<PendingCommit> ApplyEachAloneAsync(List<Work> batch)
    {
        while (true)
        {
            try
            {
                return await ApplyAsync(batch);
            }
            catch (CommandFailedException failed)
            {
                exchange.Log.LogError(failed.InnerException, "market {Market}: a {Work} failed while it was applied; it alone is refused, and the other {Count} of its batch are applied again",
                    Definition.Id, failed.Work.GetType().Name, batch.Count - 1);
                batch.Remove(failed.Work);
                failed.Work.Done.TrySetResult(WorkResult.Fail(Failure(failed.InnerException!)));
                await exchange.UndoAppliedAsync(this);
            }
        }
    }

    private static ApiError Failure(Exception e) => StoreHealth.IsRefusal(e)
        ? ApiError.StoreUnavailable("the exchange could not store this change; nothing was changed; try again")
        : new ApiError(Refusals.Internal, "the exchange failed to apply this change; nothing was changed; it has been logged");

    /// <summary>Hands out a batch's answers (or its failure) and wakes the members it signalled.</summary>
    private void Finish(List<Work> batch, ApiError? failure, IReadOnlyCollection<long> notify)
    {
        foreach (var work in batch)
        {
            work.Done.TrySetResult(failure is not null ? WorkResult.Fail(failure)
                : work.Result ?? WorkResult.Fail(new ApiError(Refusals.Internal, "no result")));
        }

        exchange.Hub.Notify(notify);
    }

    /// <summary>Reads the market back from the store; while that fails, the batch fails with a 503 and the next one tries again.</summary>
    public async Task ReloadAsync()
    {
        await using var connection = await exchange.Database.OpenAsync();
        await LoadAsync(connection);
        stale = false;
    }

    /// <summary>
    /// Applies a batch in memory and gives what it stores: rows, money, signals and idempotency
    /// records as they stand now, for the writer to store after this loop has moved on.
    /// </summary>
    private async Task<PendingCommit> ApplyAsync(List<Work> batch)
    {
        var now = exchange.Time.GetUtcNow();
        var effects = new BatchEffects(now.UtcTicks);
        var keysInBatch = new Dictionary<(long Member, string Key), (string Hash, WorkResult Result)>();
        var applying = TimeSpan.Zero;
        DbConnection? connection = null;
        IdempotencyLookup? earlierAnswers = null;
        try
        {
            foreach (var work in batch)
            {
                if (work.Idempotency is { } key)
                {
                    // Kept by a batch not yet stored, else in the store: a batch leaves the first
                    // only after it is stored, so looking in this order misses nothing.
                    var earlier = SameBatch(keysInBatch, key) ?? Replay(exchange.KeyInFlight(key), key);
                    if (earlier is null)
                    {
                        connection ??= await exchange.Database.OpenAsync();
                        earlierAnswers ??= new IdempotencyLookup(connection, null, exchange.BatchAnswersInRows, (member, key) => !exchange.BatchInFlight(member, key));
                        earlier = await earlierAnswers.FindAsync(key);
                    }

                    if (earlier is not null)
                    {
                        work.Result = earlier;
                        continue;
                    }
                }

                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                try
                {
                    work.Result = Apply(work, now, effects);
                    AfterApply?.Invoke(work);
                }
                catch (Exception e) when (work is QueryWork)
                {
                    exchange.Log.LogError(e, "market {Market}: a read failed; it alone is answered with an error", Definition.Id);
                    work.Result = WorkResult.Fail(Failure(e));
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
                    keysInBatch[(k.Member, k.Key)] = (k.RequestHash, work.Result);
                }
            }
        }
        finally
        {
            if (earlierAnswers is not null)
            {
                await earlierAnswers.DisposeAsync();
            }

            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }

        exchange.Metrics.Applied(applying);
        var stored = effects.Freeze(this);
        var keys = effects.Idempotency;
        exchange.KeysInFlight(keys, add: true);
        return new PendingCommit(
            exchange.Epoch, batch.Count, (c, tx) => WriteAsync(c, tx, stored),
            Committed: () =>
            {
                exchange.Contracted.Traded(Definition, stored.Trades, exchange.Time.GetUtcNow());
                stored.Release();
                exchange.KeysInFlight(keys, add: false);
                Finish(batch, null, effects.Members);
                inFlight.Release();
            },
            Failed: e =>
            {
                stored.Release();
                exchange.KeysInFlight(keys, add: false);
                Finish(batch, Failure(e), []);
                inFlight.Release();
            });
    }

    private WorkResult Apply(Work work, DateTimeOffset now, BatchEffects effects)
    {
        switch (work)
        {
            case QueryWork query:
                return new WorkResult(200, query.Query(engine), null);
            case TickWork:
                Execute(new AdvanceTime(now), effects);
                return new WorkResult(204, null, null);
        }

        if (Halted && work is PlaceOfferWork or PlaceNeedWork or AmendWork)
        {
            return WorkResult.Fail(new ApiError(Refusals.MarketHalted, $"market '{Definition.Id}' is halted by the operator; only cancels are taken until it resumes"));
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

    private WorkResult PlaceOffer(PlaceOfferWork work, DateTimeOffset now, BatchEffects effects)
    {
        var id = exchange.NextOfferId();

        // The seller's reliability now becomes the offer's attribute, kept with the stored record.
        var spec = work.Spec with { Id = new OfferId(id), Attributes = exchange.Contracts.WithReliability(work.Spec.Attributes, work.Spec.Seller.Value) };

        if (OrderRules.Check(spec, Definition, now) is { } problem)
        {
            exchange.ReturnOfferId(id);
            return WorkResult.Fail(ApiError.From(problem));
        }

        var row = new OfferRow
        {
            Id = id, Market = Definition.Id, Member = spec.Seller.Value, Record = StoredOffer.From(spec),
            State = new OfferStateJson(0, spec.Ask.PerUnitHour, spec.Rate.Value, [], [], 0), CreatedAt = now.UtcTicks, UpdatedAt = now.UtcTicks,
        };
        if (LimitProblem(spec.Seller.Value, spec.Recurrence is not null) is { } tooMany)
        {
            exchange.ReturnOfferId(id);
            return WorkResult.Fail(tooMany);
        }

        openOffers[id] = row;
        tally.Opened(row.Member, row.IsRecurring);
        effects.NewOffers.Add(row);
        var outcome = Execute(new PlaceOffer(spec, now), effects);
        if (outcome.Rejected is { } rejected)
        {
            openOffers.Remove(id);
            tally.Closed(row.Member, row.IsRecurring);
            effects.NewOffers.Remove(row);
            exchange.ReturnOfferId(id);
            return WorkResult.Fail(ApiError.From(rejected));
        }

        return new WorkResult(201, new OfferResultDto(row.ToDto(), outcome.Trades), null);
    }

    private WorkResult PlaceNeed(PlaceNeedWork work, DateTimeOffset now, BatchEffects effects)
    {
        var id = exchange.NextNeedId();
        var spec = work.Spec with { Id = new NeedId(id) };
        if (OrderRules.Check(spec, Definition, now) is { } problem)
        {
            exchange.ReturnNeedId(id);
            return WorkResult.Fail(ApiError.From(problem));
        }

        var buyer = spec.Buyer.Value;
        if ((LimitProblem(buyer, recurring: false) ?? NegotiationLimitProblem(buyer)) is { } tooMany)
        {
            exchange.ReturnNeedId(id);
            return WorkResult.Fail(tooMany);
        }

        var unit = HoldUnit(spec.Window, spec.Bid, spec.MaximumPrice?.PerUnitHour);
        var hold = checked(unit * spec.Rate.Value);
        if (!exchange.Ledger.TryMove(Accounts.Available(buyer), Accounts.Held(buyer), hold, "hold", $"need:{Definition.Id}:{id}", now.UtcTicks))
        {
            exchange.ReturnNeedId(id);
            return WorkResult.Fail(new ApiError(Refusals.InsufficientFunds, $"this need holds {Money(hold)} ({spec.Rate} × {spec.Window.Length.TotalHours:0.##} h × {(spec.MaximumPrice is { } max && max > spec.Bid ? $"{max}, the hidden maximum" : spec.Bid)}, rounded up per unit) but only {Money(exchange.Ledger.Balance(Accounts.Available(buyer)))} is available; deposit more or bid for less"));
        }

        var row = new NeedRow
        {
            Id = id, Market = Definition.Id, Member = buyer, Record = StoredNeed.From(spec, work.Job),
            State = new NeedStateJson(0, spec.Bid.PerUnitHour, spec.Rate.Value), Held = hold, UnitHold = unit,
            CreatedAt = now.UtcTicks, UpdatedAt = now.UtcTicks,
        };
        openNeeds[id] = row;
        tally.Opened(buyer, isRecurring: false);
        effects.NewNeeds.Add(row);
        effects.Members.Add(buyer);
        var outcome = Execute(new PlaceNeed(spec, now), effects);
        if (outcome.Rejected is { } rejected)
        {
            exchange.Ledger.Move(Accounts.Held(buyer), Accounts.Available(buyer), hold, "hold-reversal", $"need:{Definition.Id}:{id}", now.UtcTicks);
            openNeeds.Remove(id);
            tally.Closed(buyer, isRecurring: false);
            effects.NewNeeds.Remove(row);
            exchange.ReturnNeedId(id);
            return WorkResult.Fail(ApiError.From(rejected));
        }

        return new WorkResult(201, new NeedResultDto(row.ToDto(), outcome.Trades, outcome.Negotiation), null);
    }

    private WorkResult Cancel(CancelWork work, DateTimeOffset now, BatchEffects effects)
    {
        if (!IsOwnOpen(work.Order, work.Member))
        {
            return WorkResult.Fail(ApiError.NotFound($"open {work.Order}"));
        }

        var outcome = Execute(new CancelOrder(work.Order, new MemberId(work.Member), now), effects);
        return outcome.Rejected is { } rejected ? WorkResult.Fail(ApiError.From(rejected)) : new WorkResult(200, OrderDto(work.Order), null);
    }

    private WorkResult Amend(AmendWork work, DateTimeOffset now, BatchEffects effects)
    {
        if (!IsOwnOpen(work.Order, work.Member))
        {
            return WorkResult.Fail(ApiError.NotFound($"open {work.Order}"));
        }

        long moved = 0;
        NeedRow? need = null;
        long previousUnit = 0;
        if (work.Order.Side == OrderSide.Need)
        {
            // The hold follows the new bid and rate before the engine matches at them.
            need = openNeeds[work.Order.Id];
            var price = work.Price ?? new Price(need.State.Bid);
            var remaining = work.Rate?.Value ?? need.State.Remaining;
            var window = StoredOrders.ReadWindow(need.Record.Start, need.Record.End, "need", need.Id);
            var top = need.Record.MaximumPrice is { } max && max > price.PerUnitHour ? new Price(max) : price;

            // A price or amount past the market's bounds is refused by the engine before any money moves.
            if (OrderRules.CheckPrice(price, Definition, "new price") is null && remaining > 0 && remaining <= need.State.Remaining
                && OrderRules.CheckAmount(new Rate(remaining), window.Length, top, Definition) is null)
            {
                var unit = HoldUnit(window, price, need.Record.MaximumPrice);
                moved = checked(unit * remaining) - need.Held;
                var member = need.Member;
                if (moved > 0 && !exchange.Ledger.TryMove(Accounts.Available(member), Accounts.Held(member), moved, "hold", $"need:{Definition.Id}:{need.Id}", now.UtcTicks))
                {
                    return WorkResult.Fail(new ApiError(Refusals.InsufficientFunds, $"the new bid holds {Money(moved)} more but only {Money(exchange.Ledger.Balance(Accounts.Available(member)))} is available"));
                }

                if (moved < 0)
                {
                    exchange.Ledger.Move(Accounts.Held(member), Accounts.Available(member), -moved, "release", $"need:{Definition.Id}:{need.Id}", now.UtcTicks);
                }

                need.Held += moved;
                previousUnit = need.UnitHold;
                need.UnitHold = unit;
            }
        }

        var outcome = Execute(new AmendOrder(work.Order, new MemberId(work.Member), work.Price, work.Rate, now), effects);
        if (outcome.Rejected is { } rejected)
        {
            if (need is not null && moved != 0)
            {
                var (from, to) = moved > 0 ? (Accounts.Held(need.Member), Accounts.Available(need.Member)) : (Accounts.Available(need.Member), Accounts.Held(need.Member));
                exchange.Ledger.Move(from, to, Math.Abs(moved), "hold-reversal", $"need:{Definition.Id}:{need.Id}", now.UtcTicks);
                need.Held -= moved;
                need.UnitHold = previousUnit;
            }
            else if (need is not null && previousUnit != 0)
            {
                need.UnitHold = previousUnit;
            }

            return WorkResult.Fail(ApiError.From(rejected));
        }

        return new WorkResult(200, work.Order.Side == OrderSide.Need
            ? new NeedResultDto((NeedDto)OrderDto(work.Order), outcome.Trades, outcome.Negotiation)
            : new OfferResultDto((OfferDto)OrderDto(work.Order), outcome.Trades), null);
    }

    private bool IsOwnOpen(OrderKey order, long member) => order.Side == OrderSide.Offer
        ? openOffers.TryGetValue(order.Id, out var o) && o.Member == member
        : openNeeds.TryGetValue(order.Id, out var n) && n.Member == member;

    private object OrderDto(OrderKey order) => order.Side == OrderSide.Offer
        ? (lastTouchedOffers.TryGetValue(order.Id, out var o) ? o : openOffers[order.Id]).ToDto()
        : (lastTouchedNeeds.TryGetValue(order.Id, out var n) ? n : openNeeds[order.Id]).ToDto();

    private readonly Dictionary<long, OfferRow> lastTouchedOffers = [];
    private readonly Dictionary<long, NeedRow> lastTouchedNeeds = [];

    private sealed record Outcome(Rejection? Rejected, List<TradeDto> Trades, NegotiationNeededDto? Negotiation);

    /// <summary>Runs one command and turns its events into stored changes, money movements and signals.</summary>
    private Outcome Execute(MarketCommand command, BatchEffects effects)
    {
        var hour = engine.Clock.UtcTicks / TimeSpan.TicksPerHour;
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
                if (openOffers.TryGetValue(state.Spec.Id.Value, out var row))
                {
                    row.State = OfferStateJson.From(state);
                    effects.Offers[row.Id] = row;
                }
            }
        }

        return new Outcome(rejected, trades, negotiation);
    }

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
        var need = openNeeds[t.Need.Value];
        var portion = checked(t.Rate.Value * need.UnitHold);
        var topUp = TakeAgreedTopUp(t.Need.Value);
        var buyer = t.Buyer.Value;
        var at = effects.AtTicks;
        exchange.Ledger.Move(Accounts.Held(buyer), Accounts.Escrow(Definition.Id, t.Id.Value), t.Amount.Minor, "escrow", $"trade:{Definition.Id}:{t.Id.Value}", at);
        exchange.Ledger.Move(Accounts.Held(buyer), Accounts.Available(buyer), portion + topUp - t.Amount.Minor, "release", $"trade:{Definition.Id}:{t.Id.Value}", at);
        need.Held -= portion;
        // Both parties' signals carry the trade as its contract keeps it, so their rows name the contract.
        var contract = exchange.Contracts.Open(t, need.JobDto, Definition);
        effects.Contracts.Add(contract);
        Touch(OrderKey.Of(t.Need), effects, "open");
        Touch(OrderKey.Of(t.Offer), effects, "open");
        exchange.Signals.AddTrade(buyer, t.Seller.Value, effects.AtTicks, contract.Id);
        effects.Members.Add(buyer);
        effects.Members.Add(t.Seller.Value);
    }

    /// <summary>
    /// Puts an amendment's price and rate on the order's row. <see cref="Touch"/> copies them from the
    /// engine, but a repriced order that fills at once has left the engine by then.
    /// </summary>
    private void KeepAmendment(OrderAmended amended)
    {
        if (amended.Order.Side == OrderSide.Offer && openOffers.TryGetValue(amended.Order.Id, out var offer))
        {
            offer.State = offer.State with { Ask = amended.Price.PerUnitHour, Rate = amended.Rate.Value };
        }
        else if (amended.Order.Side == OrderSide.Need && openNeeds.TryGetValue(amended.Order.Id, out var need))
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
            if (engine.FindOffer(new OfferId(key.Id)) is { } state && openOffers.TryGetValue(key.Id, out var row))
            {
                row.State = OfferStateJson.From(state);
                row.Status = status;
                row.UpdatedAt = at;
                effects.Offers[key.Id] = row;
                lastTouchedOffers[key.Id] = row;
            }
        }
        else if (engine.FindNeed(new NeedId(key.Id)) is { } state && openNeeds.TryGetValue(key.Id, out var row))
        {
            row.State = new NeedStateJson(state.Sequence, state.Spec.Bid.PerUnitHour, state.Remaining.Value);
            row.Status = status;
            row.UpdatedAt = at;
            effects.Needs[key.Id] = row;
            lastTouchedNeeds[key.Id] = row;
        }
    }

    /// <summary>Counts what each member holds open again, from the open rows (after a load from the store).</summary>
    private void Recount()
    {
        tally.Clear();
        foreach (var offer in openOffers.Values)
        {
            tally.Opened(offer.Member, offer.IsRecurring);
        }

        foreach (var need in openNeeds.Values)
        {
            tally.Opened(need.Member, isRecurring: false);
        }

        foreach (var negotiation in openNegotiations.Values)
        {
            tally.NegotiationOpened(negotiation.BuyerId);
        }
    }

    /// <summary>A new order would take the member past its limit of open orders, or of recurring offers, in this market.</summary>
    private ApiError? LimitProblem(long member, bool recurring)
    {
        var options = exchange.Options;
        if (tally.Orders(member) >= options.MaxOpenOrdersPerMember)
        {
            return new ApiError(Refusals.TooManyOpenOrders, $"you have {tally.Orders(member)} open orders in market '{Definition.Id}', the most one member may have (the setting Surplus:MaxOpenOrdersPerMember is {options.MaxOpenOrdersPerMember}); cancel some or wait until they fill or expire");
        }

        if (recurring && tally.Recurring(member) >= options.MaxRecurringOffersPerMember)
        {
            return new ApiError(Refusals.TooManyRecurringOffers, $"you have {tally.Recurring(member)} recurring offers in market '{Definition.Id}', the most one member may have (the setting Surplus:MaxRecurringOffersPerMember is {options.MaxRecurringOffersPerMember}); cancel one first");
        }

        return null;
    }

    /// <summary>
    /// The buyer already negotiates as many times as it may in this market; a new need could open one
    /// more, so it waits until one ends. (Each negotiation locks one of the buyer's needs, so the
    /// count can never pass its open orders either.)
    /// </summary>
    private ApiError? NegotiationLimitProblem(long buyer)
    {
        var limit = exchange.Options.MaxOpenNegotiationsPerMember;
        return Definition.OpensNegotiations && tally.Negotiations(buyer) >= limit
            ? new ApiError(Refusals.TooManyNegotiations, $"you have {tally.Negotiations(buyer)} open negotiations in market '{Definition.Id}', the most one member may have (the setting Surplus:MaxOpenNegotiationsPerMember is {limit}); accept, counter or decline one first")
            : null;
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
            if (openOffers.Remove(key.Id, out var row))
            {
                tally.Closed(row.Member, row.IsRecurring);
                row.State = row.State with { Capacity = [] };
                row.Status = status;
                row.UpdatedAt = at;
                effects.Offers[key.Id] = row;
                lastTouchedOffers[key.Id] = row;
            }
        }
        else if (openNeeds.Remove(key.Id, out var row))
        {
            tally.Closed(row.Member, isRecurring: false);
            exchange.Ledger.Move(Accounts.Held(row.Member), Accounts.Available(row.Member), row.Held, "release", $"need:{Definition.Id}:{row.Id}", at);
            row.Held = 0;
            row.State = row.State with { Remaining = remaining };
            row.Status = status;
            row.UpdatedAt = at;
            effects.Needs[key.Id] = row;
            lastTouchedNeeds[key.Id] = row;
        }
    }

    private void Signal<T>(BatchEffects effects, long member, string type, T data)
    {
        exchange.Signals.Add(member, type, effects.AtTicks, Json.Write(data));
        effects.Members.Add(member);
    }

    private string Money(long minor) => (minor / (decimal)Math.Pow(10, Definition.MinorUnitDigits)).ToString("0.00##", System.Globalization.CultureInfo.InvariantCulture) + " " + Definition.Currency;

    /// <summary>A retry that arrives in the same batch as its first request answers as that one did.</summary>
    private static WorkResult? SameBatch(Dictionary<(long Member, string Key), (string Hash, WorkResult Result)> keys, IdempotencyKey key) =>
        Replay(keys.TryGetValue((key.Member, key.Key), out var first) ? first : null, key);

    /// <summary>The first answer given under a key, as a retry gets it: the same, or a 422 for another request.</summary>
    private static WorkResult? Replay((string Hash, WorkResult Result)? first, IdempotencyKey key) =>
        first is not { } f ? null
        : f.Hash == key.RequestHash ? f.Result with { Body = f.Result.Body is StoredJson json ? json with { Replayed = true } : f.Result.Body }
        : WorkResult.Fail(new ApiError(Refusals.IdempotencyKeyReused, $"the Idempotency-Key '{key.Key}' was used before with another request; use a new key for a new request"));

    private static readonly string[] OfferParameters = ["Id", "Market", "Member", "Status", "Spec", "State", "CreatedAt", "UpdatedAt"];
    private static readonly string[] NeedParameters = ["Id", "Market", "Member", "Status", "Spec", "State", "Held", "CreatedAt", "UpdatedAt"];
    private static readonly string[] TradeParameters =
        ["Market", "Id", "NeedId", "OfferId", "BuyerId", "SellerId", "Rate", "Start", "End", "Price", "Amount", "Fee", "Aggressor", "At"];
    private static readonly string[] IdempotencyParameters = ["Member", "Key", "Hash", "Status", "Response", "At"];
    private static readonly string[] IdempotencyBlockParameters = ["Member", "Batch", "First", "Last", "Items", "At"];

    private static async Task WriteAsync(DbConnection c, DbTransaction tx, StoredBatch b)
    {
        // One command per table, its parameters made once and only their values set per row:
        // Dapper would build a parameter set per row, under names SQLite must look up four ways.
        await RowInsert.ExecuteAsync(c, tx,
            """
            INSERT INTO offers (id, market, member_id, status, spec, state, created_at, updated_at)
            VALUES (@Id, @Market, @Member, @Status, @Spec, @State, @CreatedAt, @UpdatedAt)
            ON CONFLICT (id) DO UPDATE SET status = excluded.status, state = excluded.state, updated_at = excluded.updated_at
            """,
            OfferParameters, b.Offers,
            (o, v) => v.Add(o.Row.Id).Add(o.Row.Market).Add(o.Row.Member).Add(o.Status).AddUtf8(o.Spec).AddUtf8(o.State).Add(o.Row.CreatedAt).Add(o.UpdatedAt));
        await RowInsert.ExecuteAsync(c, tx,
            """
            INSERT INTO needs (id, market, member_id, status, spec, state, held, created_at, updated_at)
            VALUES (@Id, @Market, @Member, @Status, @Spec, @State, @Held, @CreatedAt, @UpdatedAt)
            ON CONFLICT (id) DO UPDATE SET status = excluded.status, state = excluded.state, held = excluded.held, updated_at = excluded.updated_at
            """,
            NeedParameters, b.Needs,
            (n, v) => v.Add(n.Row.Id).Add(n.Row.Market).Add(n.Row.Member).Add(n.Status).AddUtf8(n.Spec).AddUtf8(n.State).Add(n.Held).Add(n.Row.CreatedAt).Add(n.UpdatedAt));
        await RowInsert.ExecuteAsync(c, tx,
            """
            INSERT INTO trades (market, id, need_id, offer_id, buyer_id, seller_id, rate, window_start, window_end, price, amount, fee, aggressor, at)
            VALUES (@Market, @Id, @NeedId, @OfferId, @BuyerId, @SellerId, @Rate, @Start, @End, @Price, @Amount, @Fee, @Aggressor, @At)
            """,
            TradeParameters, b.Trades, (t, v) => v
                .Add(t.Market).Add(t.Id.Value).Add(t.Need.Value).Add(t.Offer.Value).Add(t.Buyer.Value).Add(t.Seller.Value).Add(t.Rate.Value)
                .Add(t.Window.StartTicks).Add(t.Window.EndTicks).Add(t.Price.PerUnitHour.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Add(t.Amount.Minor).Add(t.Fee.Minor).Add(t.Aggressor == OrderSide.Need ? "need" : "offer").Add(t.At.UtcTicks));

        await ContractStore.InsertAsync(c, tx, b.Contracts);
        await WriteNegotiationsAsync(c, tx, b);
        await ExchangeServices.WriteLedgerAndSignalsAsync(c, tx, b.Transfers, b.Balances, b.Signals);
        await RowInsert.ExecuteAsync(c, tx,
            "INSERT INTO idempotency (member_id, key, request_hash, status, response, created_at) VALUES (@Member, @Key, @Hash, @Status, @Response, @At)",
            IdempotencyParameters, b.Idempotency,
            (i, v) => v.Add(i.Key.Member).Add(i.Key.Key).Add(i.Key.RequestHash).Add(i.Result.Status).AddUtf8(IdempotencyBatches.Response(i.Result)).Add(b.AtTicks));
        await RowInsert.ExecuteAsync(c, tx,
            """
            INSERT INTO idempotency_batches (member_id, batch_key, first_index, last_index, items, created_at)
            VALUES (@Member, @Batch, @First, @Last, @Items, @At)
            """,
            IdempotencyBlockParameters, b.IdempotencyBlocks,
            (i, v) => v.Add(i.Member).Add(i.Batch).Add(i.FirstIndex).Add(i.LastIndex).AddUtf8(i.Items).Add(b.AtTicks));

        await c.ExecuteAsync(
            """
            INSERT INTO engine_state (market, clock, next_sequence, next_trade_id) VALUES (@Market, @Clock, @NextSequence, @NextTradeId)
            ON CONFLICT (market) DO UPDATE SET clock = excluded.clock, next_sequence = excluded.next_sequence, next_trade_id = excluded.next_trade_id
            """,
            b.Engine, tx);
    }

    /// <summary>
    /// An offer's row as it stood when its batch was applied, its request's and state's JSON written
    /// by the engine loop (the writer is the busier) in UTF-8, as the store takes it: as strings they
    /// were twice the bytes, and the writer transcoded them.
    /// </summary>
    private readonly record struct OfferWrite(OfferRow Row, byte[] Spec, byte[] State, string Status, long UpdatedAt);

    /// <summary>A need's row as it stood when its batch was applied, its request's and state's JSON written by the engine loop in UTF-8.</summary>
    private readonly record struct NeedWrite(NeedRow Row, byte[] Spec, byte[] State, string Status, long Held, long UpdatedAt);

    /// <summary>The engine's counters as a batch left them.</summary>
    private sealed record EngineStateRow(string Market, long Clock, long NextSequence, long NextTradeId);

    /// <summary>
    /// What one batch stores, taken when it was applied: the rows' mutable parts are copied (the
    /// loop goes on changing them while the writer stores this), the rest never changes.
    /// </summary>
    private sealed record StoredBatch(
        long AtTicks, List<OfferWrite> Offers, List<NeedWrite> Needs, List<Trade> Trades, List<ContractRow> Contracts,
        List<object> Negotiations, bool? Halted, MarketDefinition? Definition,
        IReadOnlyList<Ledger.Transfer> Transfers, IReadOnlyList<KeyValuePair<string, long>> Balances, PackedBlocks<Signals.SignalBlock> Signals,
        List<(IdempotencyKey Key, WorkResult Result)> Idempotency, PackedBlocks<IdempotencyBlock> IdempotencyBlocks, EngineStateRow Engine)
    {
        /// <summary>Gives the packed blocks' buffers back: the batch is stored, or never will be.</summary>
        public void Release()
        {
            Signals.Dispose();
            IdempotencyBlocks.Dispose();
        }
    }

    /// <summary>Everything one batch changes, to be written in its transaction.</summary>
    private sealed partial class BatchEffects(long atTicks)
    {
        public long AtTicks { get; } = atTicks;

        public List<OfferRow> NewOffers { get; } = [];

        public List<NeedRow> NewNeeds { get; } = [];

        public Dictionary<long, OfferRow> Offers { get; } = [];

        public Dictionary<long, NeedRow> Needs { get; } = [];

        public List<Trade> Trades { get; } = [];

        public List<ContractRow> Contracts { get; } = [];

        public List<(IdempotencyKey Key, WorkResult Result)> Idempotency { get; } = [];

        public HashSet<long> Members { get; } = [];

        /// <summary>Takes what the batch stores, with the ledger's and the signal log's pending changes.</summary>
        public StoredBatch Freeze(MarketHost host)
        {
            foreach (var row in NewOffers)
            {
                Offers[row.Id] = row;
            }

            foreach (var row in NewNeeds)
            {
                Needs[row.Id] = row;
            }

            var (transfers, balances) = host.exchange.Ledger.TakePending();
            return new StoredBatch(
                AtTicks,
                [.. Offers.Values.Select(r => new OfferWrite(r, r.SpecJson, Json.WriteUtf8(r.State), r.Status, r.UpdatedAt))],
                [.. Needs.Values.Select(r => new NeedWrite(r, r.SpecJson, Json.WriteUtf8(r.State), r.Status, r.Held, r.UpdatedAt))],
                Trades, Contracts, FrozenNegotiations(), Halted, Definition,
                transfers, balances, host.exchange.Signals.TakePending(),
                [.. Idempotency.Where(i => i.Key.Batch is null)], IdempotencyBatches.Pack(Idempotency),
                new EngineStateRow(host.Definition.Id, host.engine.Clock.UtcTicks, host.engine.NextSequence, host.engine.NextTradeId));
        }
    }
}

/// <summary>A command that threw while it was applied; the batch it was in is applied again without it.</summary>
internal sealed class CommandFailedException(Work work, Exception inner) : Exception($"{work.GetType().Name} failed while it was applied", inner)
{
    public Work Work { get; } = work;
}

/// <summary>
/// A response body as JSON in UTF-8: stored under an idempotency key, sent as it is. Bytes rather than
/// a string: a placed order's answer (about 850 characters with its trade) lives until the batch is
/// stored and answered, and as UTF-16 it was twice the size and was transcoded twice, to be stored and to be sent.
/// </summary>
/// <param name="Utf8">The body.</param>
/// <param name="Replayed">True when it answers a retry (the first answer, given again).</param>
internal sealed record StoredJson(byte[] Utf8, bool Replayed = true);
