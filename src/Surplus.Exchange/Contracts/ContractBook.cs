using System.Data.Common;
using System.Globalization;
using Dapper;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Ledger;
using Surplus.Exchange.Signals;
using Surplus.Exchange.Storage;
using Surplus.Market;
using Surplus.Market.Contracts;
using Surplus.Protocol;

namespace Surplus.Exchange.Contracts;

/// <summary>One party's move on a contract: its name in the API, whose move it is, and what it does.</summary>
internal sealed record ContractAction(string Name, ContractParty Party, Func<Contract, DateTimeOffset, Rejection?> Apply);

/// <summary>
/// The contracts of the exchange: opened with each trade, moved by the parties and the transaction
/// monitor, with the money each outcome moves, the signals to both sides, the sellers' records and
/// the buyer's failover. Every change runs inside the exchange's write gate and is written in the
/// same transaction as its money and signals; the state machine is rebuilt from the stored history
/// each time, so nothing about a contract lives only in memory.
/// </summary>
internal sealed class ContractBook(
    WriteGate writeGate, Database database, LedgerBook ledger, SignalLog signals, MarketRegistry markets, ContractedCapacity contracted,
    TimeProvider time, ILogger<ContractBook> log) : ITradeContracts
{
    /// <summary>How many due contracts the monitor takes into one transaction.</summary>
    private const int MonitorBatch = 500;

    private readonly Lock sync = new();
    private readonly Dictionary<MemberId, (long Completed, long Failed)> records = [];
    private readonly HashSet<ContractId> failoversInFlight = [];
    private long nextId;

    /// <summary>Reads the last contract id and the sellers' records.</summary>
    public async Task LoadAsync(DbConnection c)
    {
        nextId = await c.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(id), 0) FROM contracts");
        var rows = await c.QueryAsync<(long Id, long Completed, long Failed)>(
            "SELECT id, completed_count, failed_count FROM members WHERE completed_count > 0 OR failed_count > 0");
        lock (sync)
        {
            records.Clear();
            foreach (var r in rows)
            {
                records[new MemberId(r.Id)] = (r.Completed, r.Failed);
            }
        }
    }

    /// <summary>Completed ÷ (completed + failed), rounded down to four digits; null with no record.</summary>
    public static decimal? Score(long completed, long failed)
    {
        var total = completed + failed;
        return total == 0 ? null : Math.Floor(completed * 10_000m / total) / 10_000m;
    }

    /// <summary>A seller's reliability now.</summary>
    public decimal? Reliability(MemberId member)
    {
        lock (sync)
        {
            return records.TryGetValue(member, out var r) ? Score(r.Completed, r.Failed) : null;
        }
    }

    /// <summary>
    /// The offer's attributes with the seller's current reliability as its <c>reliability</c>
    /// attribute (the score at placement; it is not updated later). A seller cannot declare its own:
    /// a given value is replaced, or removed while the seller has no record. The set was checked
    /// when the offer was placed and the score is the exchange's own, so it is not checked again.
    /// </summary>
    public AttributeSet WithReliability(AttributeSet attributes, MemberId seller)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        var score = Reliability(seller);
        if (score is null && !attributes.TryGet(ReliabilityAttribute, out _))
        {
            return attributes;
        }

        var pairs = attributes.Values
            .Where(a => !string.Equals(a.Key, ReliabilityAttribute, StringComparison.OrdinalIgnoreCase))
            .Select(a => KeyValuePair.Create(a.Key, a.Value.Text));
        return AttributeSet.Restore(score is { } s ? pairs.Append(KeyValuePair.Create(ReliabilityAttribute, s.ToString("0.####", CultureInfo.InvariantCulture))) : pairs);
    }

    private const string ReliabilityAttribute = "reliability";

    /// <summary>Opens the contract of a new trade; called by the engine loop, which writes the row in the batch's transaction.</summary>
    public IOpenedContract Open(Trade trade, JobDto? job, MarketDefinition market)
    {
        ArgumentNullException.ThrowIfNull(trade);
        ArgumentNullException.ThrowIfNull(market);
        var contract = new Contract(new ContractId(Interlocked.Increment(ref nextId)), trade, trade.At);
        var row = ContractRow.Create(contract, job, market.ContractTimings);

        // The trade is made before the seller's balance is looked at, so the collateral is what
        // the seller has available, up to the market's percentage.
        if (market.CollateralBasisPoints > 0)
        {
            var wanted = Pricing.Fee(trade.Amount, market.CollateralBasisPoints).Minor;
            var seller = Account.Available(trade.Seller);
            row.Collateral = Math.Min(wanted, ledger.Balance(seller));
            ledger.Move(seller, Account.Collateral(trade.Market, trade.Id), row.Collateral, "collateral", $"contract:{row.Id}", trade.At.UtcTicks);
        }

        Tell(row, contract.History[0], null, null);
        return row;
    }

    /// <summary>Writes the contracts a batch opened, in its transaction.</summary>
    public Task WriteOpenedAsync(DbConnection c, DbTransaction tx, IReadOnlyList<IOpenedContract> opened)
    {
        ArgumentNullException.ThrowIfNull(opened);
        return opened.Count == 0 ? Task.CompletedTask : ContractStore.InsertAsync(c, tx, [.. opened.Cast<ContractRow>()]);
    }

    /// <summary>A party's (or the operator's) move, after the monitor's rules that are due; answers the contract as it then stands.</summary>
    /// <param name="id">The contract.</param>
    /// <param name="caller">The calling member, or null for the operator.</param>
    /// <param name="action">The move.</param>
    /// <param name="key">An idempotency key: a retry answers as the first call did.</param>
    public async Task<Outcome> ActAsync(ContractId id, MemberId? caller, ContractAction action, IdempotencyKey? key)
    {
        ArgumentNullException.ThrowIfNull(action);
        var member = caller;
        var changes = new Changes();
        var result = await writeGate.WriteAsync(async (c, tx) =>
        {
            if (key is not null && await Idempotency.FindAsync(c, tx, key) is { } earlier)
            {
                return earlier;
            }

            // The first answer is final, a refusal too: a retry of a refused move is refused again, even when it would now be allowed.
            var answer = await DecideAsync(c, tx);
            await Idempotency.KeepAsync(c, tx, key, answer, time.GetUtcNow().UtcTicks);
            return answer;
        });
        await AfterCommitAsync(changes);
        if (changes.Failovers.Count > 0 && result.Body is ContractDto)
        {
            // The answer shows what became of the failover the move set off.
            await using var c = await database.OpenAsync();
            if (await ContractStore.FindAsync(c, null, id) is { } now)
            {
                return result with { Body = now.ToDto(member) };
            }
        }

        return result;

        async Task<Outcome> DecideAsync(DbConnection c, DbTransaction tx)
        {
            var row = await ContractStore.FindAsync(c, tx, id);
            if (row is null || (member is { } m && m != row.Buyer && m != row.Seller))
            {
                return Outcome.Refused(Refused.NotFound($"contract {id}"));
            }

            var role = member is null ? ContractParty.Operator : member == row.Seller ? ContractParty.Seller : ContractParty.Buyer;
            if (role != action.Party)
            {
                return Outcome.Refused(RefusalMessages.ContractWrongParty.With(("party", ContractText.Party(action.Party)), ("action", action.Name), ("contract", id.Value), ("role", ContractText.Party(role))));
            }

            var now = time.GetUtcNow();
            var contract = row.ToContract();
            var timings = TimingsOf(row.Market);
            var seen = contract.History.Count;
            var beat = contract.LastHeartbeat;

            // The rules that are due apply first, whether or not the monitor's timer has fired yet:
            // a delivery after the grace meets a failed contract, never a running one.
            Watch(contract, now, timings);
            var refused = action.Apply(contract, now);
            if (refused is null)
            {
                Watch(contract, now, timings);
            }

            if (contract.History.Count != seen || contract.LastHeartbeat != beat)
            {
                await ApplyAsync(c, tx, row, contract, seen, now, changes);
            }

            if (refused is not null)
            {
                var state = contract.History.Count != seen ? RefusalMessages.ContractStateAfterMonitor : RefusalMessages.ContractState;
                return Outcome.Refused(Refused.FromContract(refused, state, ("contract", id.Value), ("contractStatus", row.Status)));
            }

            return Outcome.Done(row.ToDto(member));
        }
    }

    /// <summary>The transaction monitor's pass: applies the rules to every contract whose deadline has come.</summary>
    /// <returns>How many contracts it moved.</returns>
    public async Task<int> WatchDueAsync()
    {
        // Looked at outside the write gate first: the gate waits until the writer has stored every
        // batch applied so far and holds every market meanwhile, which a tick with nothing due need
        // not cost. A deadline that comes while its contract's batch is still being stored is met
        // on the next tick.
        await using (var c = await database.OpenAsync())
        {
            if (!await ContractStore.AnyDueAsync(c, time.GetUtcNow().UtcTicks))
            {
                return 0;
            }
        }

        var moved = 0;
        while (true)
        {
            var changes = new Changes();
            var due = await writeGate.WriteAsync(async (c, tx) =>
            {
                var now = time.GetUtcNow();
                var rows = await ContractStore.DueAsync(c, tx, now.UtcTicks, MonitorBatch);
                foreach (var row in rows)
                {
                    var contract = row.ToContract();
                    var seen = contract.History.Count;
                    Watch(contract, now, TimingsOf(row.Market));
                    await ApplyAsync(c, tx, row, contract, seen, now, changes);
                }

                return rows.Count;
            });
            moved += due;
            await AfterCommitAsync(changes);
            if (due < MonitorBatch)
            {
                return moved;
            }
        }
    }

    /// <summary>Places every failover that is still pending (after a restart, or when the market could not take it).</summary>
    public async Task ResumeFailoversAsync()
    {
        List<ContractId> pending;
        await using (var c = await database.OpenAsync())
        {
            pending = await ContractStore.PendingFailoversAsync(c);
        }

        foreach (var id in pending)
        {
            await TryFailoverAsync(id);
        }
    }

    private ContractTimings TimingsOf(string market) => markets.Find(market)?.Definition.ContractTimings ?? ContractTimings.Default;

    /// <summary>Runs the monitor's rules at <paramref name="now"/> until none is due (a completion settles at once).</summary>
    private static void Watch(Contract contract, DateTimeOffset now, ContractTimings timings)
    {
        for (var i = 0; i < 8 && contract.NextDeadline(timings) is { } due && due <= now; i++)
        {
            if (contract.Watch(now, timings) is { } problem)
            {
                throw new InvalidOperationException($"the monitor's rule for contract {contract.Id} was refused: {problem.Message}");
            }
        }
    }

    /// <summary>
    /// Writes a contract's new steps with their effects: a signal to both sides per step, the money
    /// of a final outcome, the seller's record, and the buyer's failover after a seller's fault.
    /// </summary>
    private async Task ApplyAsync(DbConnection c, DbTransaction tx, ContractRow row, Contract contract, int seen, DateTimeOffset now, Changes changes)
    {
        var at = now.UtcTicks;
        var trade = contract.Trade;
        var escrow = Account.Escrow(trade.Market, trade.Id);
        var reference = $"contract:{contract.Id}";
        var market = markets.Find(row.Market)?.Definition;
        row.Update(contract, market?.ContractTimings ?? ContractTimings.Default, at);
        var collateral = Account.Collateral(trade.Market, trade.Id);
        foreach (var step in contract.History.Skip(seen))
        {
            Money? paid = null, refund = null;
            switch (step.To)
            {
                case ContractStatus.Settled or ContractStatus.Cancelled:
                    ledger.Move(collateral, Account.Available(row.Seller), row.Collateral, "collateral-return", reference, at);
                    break;
                case ContractStatus.NoShow or ContractStatus.Failed:
                    ledger.Move(collateral, Account.Available(row.Buyer), row.Collateral, "collateral-forfeit", reference, at);
                    break;
            }

            switch (step.To)
            {
                case ContractStatus.Settled:
                    paid = trade.Amount - trade.Fee;
                    ledger.Move(escrow, Account.Available(row.Seller), paid.Value.Minor, "settlement", reference, at);
                    ledger.Move(escrow, Account.Fees, trade.Fee.Minor, "fee", reference, at);
                    await ContractStore.CountAsync(c, tx, row.Seller, 1, 0);
                    changes.Records.Add((row.Seller, 1, 0));
                    break;
                case ContractStatus.NoShow or ContractStatus.Failed:
                    refund = trade.Amount;
                    ledger.Move(escrow, Account.Available(row.Buyer), trade.Amount.Minor, "refund", reference, at);
                    await ContractStore.CountAsync(c, tx, row.Seller, 0, 1);
                    changes.Records.Add((row.Seller, 0, 1));
                    break;
                case ContractStatus.Cancelled:
                    refund = trade.Amount;
                    ledger.Move(escrow, Account.Available(row.Buyer), trade.Amount.Minor, "refund", reference, at);
                    break;
            }

            if (step.To is ContractStatus.NoShow or ContractStatus.Failed or ContractStatus.Cancelled)
            {
                changes.Ended.Add((trade.Market, trade.Window, trade.Rate.Value));
            }

            FailoverDto? failover = null;
            if (step.To is ContractStatus.NoShow or ContractStatus.Failed && market is not null)
            {
                failover = FailoverFor(trade.Window, market, now);
                row.SetFailover(failover);
            }

            Tell(row, step, new Amounts(paid?.Minor, paid is null ? null : trade.Fee.Minor, refund?.Minor), failover?.State);
            if (failover is { State: "pending" })
            {
                changes.Failovers.Add(row.ContractId);
            }
            else if (failover is not null)
            {
                Signal(row.Buyer, "failover.skipped", new { contract = row.Id, market = row.Market, detail = failover.Detail }, at);
            }
        }

        await ContractStore.UpdateAsync(c, tx, row);
    }

    /// <summary>Whether the rest of the window can go back to the market: at least one slot's length must be left.</summary>
    private static FailoverDto FailoverFor(Window window, MarketDefinition market, DateTimeOffset now) =>
        window.EndTicks - now.UtcTicks >= market.Slot.Ticks
            ? new FailoverDto("pending")
            : new FailoverDto("skipped", null, $"less than one {market.Slot.TotalMinutes:0.##}-minute slot of the window {window} is left");

    private sealed record Amounts(long? PaidMinor, long? FeeMinor, long? RefundMinor);

    /// <summary>A step is a signal to both sides: <c>contract.&lt;status&gt;</c>.</summary>
    private void Tell(ContractRow row, ContractStep step, Amounts? amounts, string? failover)
    {
        var data = new
        {
            contract = row.Id, market = row.Market, tradeId = row.TradeId, collateralMinor = row.Collateral, status = ContractText.Status(step.To), from = ContractText.Status(step.From),
            action = step.Action, by = ContractText.Party(step.By), reason = step.Reason,
            nextDeadline = row.NextDeadline is { } due ? new DateTimeOffset(due, TimeSpan.Zero) : (DateTimeOffset?)null,
            paidMinor = amounts?.PaidMinor, feeMinor = amounts?.FeeMinor, refundMinor = amounts?.RefundMinor, failover,
        };
        var type = "contract." + ContractText.Status(step.To);
        signals.AddBoth(row.Buyer, row.Seller, type, step.At.UtcTicks, Json.Write(data));
    }

    private void Signal(MemberId member, string type, object data, long atTicks) => signals.Add(member, type, atTicks, Json.Write(data));

    /// <summary>What a committed change leaves to do: the records in memory and the failovers to place.</summary>
    private sealed class Changes
    {
        public List<(MemberId Member, int Completed, int Failed)> Records { get; } = [];

        public List<ContractId> Failovers { get; } = [];

        /// <summary>Trades whose contracts ended without their work: their capacity is no longer contracted.</summary>
        public List<(string Market, Window Window, long Rate)> Ended { get; } = [];
    }

    private async Task AfterCommitAsync(Changes changes)
    {
        foreach (var (market, window, rate) in changes.Ended)
        {
            if (markets.Find(market) is { } host)
            {
                contracted.Ended(host.Definition, window, rate, time.GetUtcNow());
            }
        }

        lock (sync)
        {
            foreach (var (member, completed, failed) in changes.Records)
            {
                var r = records.GetValueOrDefault(member);
                records[member] = (r.Completed + completed, r.Failed + failed);
            }
        }

        foreach (var id in changes.Failovers)
        {
            await TryFailoverAsync(id);
        }
    }

    /// <summary>A failover that cannot be placed now stays pending; the monitor tries again on its next tick.</summary>
    private async Task TryFailoverAsync(ContractId id)
    {
        try
        {
            await FailoverAsync(id);
        }
        catch (Exception e) when (e is DbException or IOException or TimeoutException or InvalidOperationException)
        {
            log.LogWarning(e, "contract {Contract}: the failover could not be placed yet; it stays pending", id);
        }
    }

    /// <summary>
    /// Puts the unserved rest of a failed contract's window back on the market for the buyer: a spot
    /// need for the same rate, bid, constraints and job, from the current slot to the window's end.
    /// The need is placed with an idempotency key of the contract, so a restart between the
    /// contract's failure and the placement places it once.
    /// </summary>
    private async Task FailoverAsync(ContractId id)
    {
        lock (sync)
        {
            if (!failoversInFlight.Add(id))
            {
                return;
            }
        }

        try
        {
            ContractRow? row;
            (string Spec, string State)? need;
            await using (var c = await database.OpenAsync())
            {
                row = await ContractStore.FindAsync(c, null, id);
                need = row is null ? null : await c.QuerySingleOrDefaultAsync<(string Spec, string State)?>(
                    "SELECT spec, state FROM needs WHERE id = @id", new { id = row.NeedId });
            }

            if (row is not { FailoverState: "pending" } || need is not { } n || markets.Find(row.Market) is not { } host)
            {
                return;
            }

            // Null: the store refused the write; the failover stays pending and the monitor tries again.
            if (await PlaceAsync(row, StoredOrders.ReadNeed(n.Spec), Json.Read<NeedStateJson>(n.State).Bid, host) is not { } outcome)
            {
                return;
            }

            await writeGate.WriteAsync(async (c, tx) =>
            {
                var current = await ContractStore.FindAsync(c, tx, id);
                if (current is not { FailoverState: "pending" })
                {
                    return false;
                }

                current.SetFailover(outcome.Failover);
                await ContractStore.UpdateAsync(c, tx, current);
                Signal(current.Buyer, "failover." + outcome.Failover.State, new
                {
                    contract = id.Value, market = current.Market, needId = outcome.Failover.NeedId, detail = outcome.Failover.Detail,
                    start = outcome.Request?.Start, end = outcome.Request?.End, rate = outcome.Request?.Rate, bid = outcome.Request?.Bid,
                    trades = outcome.Trades,
                }, time.GetUtcNow().UtcTicks);
                return true;
            });
        }
        finally
        {
            lock (sync)
            {
                failoversInFlight.Remove(id);
            }
        }
    }

    private sealed record Placement(FailoverDto Failover, StoredNeed? Request, int Trades);

    /// <summary>
    /// Places the rest of a failed contract's window as a spot need made from the original need's
    /// stored record, without the HTTP mapper: the original was accepted once, and the market's own
    /// rules, which the engine checks, decide whether its rest is taken now.
    /// </summary>
    private async Task<Placement?> PlaceAsync(ContractRow row, StoredNeed original, decimal bid, MarketHost host)
    {
        var market = host.Definition;
        var trade = row.TradeDto;
        var now = time.GetUtcNow();
        var slotStart = now.UtcTicks - (now.UtcTicks % market.Slot.Ticks);
        var start = new DateTimeOffset(Math.Max(trade.Start.UtcTicks, slotStart), TimeSpan.Zero);
        if (FailoverFor(Window.Create(trade.Start, trade.End, TimeSpan.FromTicks(1)).Value, market, now) is { State: "skipped" } skipped)
        {
            return new Placement(skipped, null, 0);
        }

        var request = original with
        {
            Rate = trade.Rate,
            Start = start,
            End = trade.End,
            Bid = bid,
            MaximumPrice = original.MaximumPrice is { } max && max >= bid ? max : null,
            Mode = StoredOrders.Spot,
            Expiry = null,
            MinimumFill = original.MinimumFill is { } min ? Math.Min(min, trade.Rate) : null,

            // The seller that failed this window is not matched again for its rest: its fault (a
            // full disk, a crash, a lost connection) is likely to fail the next contract at once.
            ExcludedSellers = [.. (original.ExcludedSellers ?? []).Append(row.SellerId).Distinct().Order()],
        };
        var result = await host.SubmitAsync(new PlaceNeedWork(request.ToSpec(0, row.BuyerId), request.Job)
        {
            Idempotency = new IdempotencyKey(row.BuyerId, $"failover:contract:{row.Id}", "failover"),
        });
        if (result.Error is { } error)
        {
            // The store may come back; anything else is the market's answer to this need.
            return error.IsTransient ? null : new Placement(new FailoverDto("refused", null, error.Detail), request, 0);
        }

        var placed = result.Body switch
        {
            NeedResultDto dto => dto,
            StoredJson stored => Json.Read<NeedResultDto>(stored.Utf8),
            _ => throw new InvalidOperationException("placing a need answered without the need"),
        };
        return new Placement(new FailoverDto("placed", placed.Need.Id, null), request, placed.Trades.Count);
    }
}
