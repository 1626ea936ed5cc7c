using System.Data.Common;
using Dapper;
using Surplus.Exchange.Ledger;
using Surplus.Exchange.Signals;
using Surplus.Exchange.Storage;
using Surplus.Market;

namespace Surplus.Exchange.Engine;

/// <summary>
/// The exchange's way to the store: the write gate through which every change passes, one at a
/// time, the one writer of the engines' batches (<see cref="StoreWriter"/>), and the reading back
/// of memory (the ledger, the signal numbers, the markets) from the store after a failed write.
/// Thread-safe: every change takes the gate.
/// </summary>
internal sealed class WriteGate : IWritePath, IDisposable
{
    private readonly Database database;
    private readonly StoreHealth health;
    private readonly LedgerBook ledger;
    private readonly SignalLog signals;
    private readonly SignalHub hub;
    private readonly MarketRegistry markets;
    private readonly ILogger log;
    private volatile bool inconsistent;

    public WriteGate(
        Database database, StoreHealth health, LedgerBook ledger, SignalLog signals, SignalHub hub, MarketRegistry markets,
        ExchangeMetrics metrics, ILogger<WriteGate> log)
    {
        this.database = database;
        this.health = health;
        this.ledger = ledger;
        this.signals = signals;
        this.hub = hub;
        this.markets = markets;
        this.log = log;
        Writer = new StoreWriter(database, metrics, log, StoreFailed);
    }

    /// <inheritdoc />
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>The one writer of the engines' batches to the store.</summary>
    public StoreWriter Writer { get; }

    /// <summary>
    /// Counts the times memory was read back from the store after a failed write; a batch applied
    /// before that (see <see cref="PendingCommit.Epoch"/>) is void if it was not stored by then.
    /// </summary>
    public long Epoch { get; private set; }

    /// <summary>False after a failed write until memory is read back from the store: memory may then hold what the store does not.</summary>
    public bool Consistent => !inconsistent;

    /// <summary>A write failed or a batch failed half-applied: memory must be read back from the store before the next change.</summary>
    public void StoreFailed()
    {
        inconsistent = true;
        health.Refused();
    }

    /// <summary>
    /// Called inside the write gate before any change: after a failed write, waits until every batch
    /// still queued is stored or void, then reads the ledger and the signal numbers back from the
    /// store and has every market read itself back before its next batch.
    /// </summary>
    public async Task EnsureConsistentAsync()
    {
        if (!inconsistent)
        {
            return;
        }

        await Writer.IdleAsync();
        await using (var c = await database.OpenAsync())
        {
            await LoadLedgerAndSignalsAsync(c);
        }

        foreach (var host in markets.All())
        {
            host.MarkStale();
        }

        Epoch++;
        inconsistent = false;
    }

    /// <summary>
    /// Undoes in memory what <paramref name="market"/> applied since its last batch went to the writer
    /// (a command that failed halfway, with the rest of its batch): once every batch handed to the
    /// writer is stored, the ledger, the signal numbers and the market are read back from the store.
    /// Called inside the write gate, so no other market applies anything meanwhile.
    /// </summary>
    public async Task UndoAppliedAsync(MarketMemory market)
    {
        ArgumentNullException.ThrowIfNull(market);
        await Writer.IdleAsync();
        if (inconsistent)
        {
            // A batch failed to store meanwhile: every market reads itself back, this one now.
            await EnsureConsistentAsync();
        }
        else
        {
            await using var c = await database.OpenAsync();
            await LoadLedgerAndSignalsAsync(c);
        }

        await market.ReloadAsync();
    }

    /// <inheritdoc />
    public void Enqueue(PendingCommit commit) => Writer.Enqueue(commit);

    /// <summary>Runs a change to the store inside the write gate, with ledger and signal effects written in the same transaction.</summary>
    public async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        await Gate.WaitAsync();
        HashSet<long> notify = [];
        try
        {
            // Every engine batch applied so far is stored first: this transaction's balances follow theirs.
            await EnsureConsistentAsync();
            await Writer.IdleAsync();
            await using var c = await database.OpenAsync();
            await using var tx = await c.BeginTransactionAsync();
            var result = await change(c, tx);
            foreach (var s in signals.PendingMembers())
            {
                notify.Add(s);
            }

            var (transfers, balances) = ledger.TakePending();
            using var taken = signals.TakePending();
            await WriteLedgerAndSignalsAsync(c, tx, transfers, balances, taken);
            await tx.CommitAsync();
            hub.Publish(taken.Signals);
            return result;
        }
        catch
        {
            // The change's ledger moves and signals are in memory only: they are read back from the
            // store now, or, if the store cannot be read either, before the next change.
            StoreFailed();
            try
            {
                await using var c = await database.OpenAsync();
                await LoadLedgerAndSignalsAsync(c);
                inconsistent = false;
            }
            catch (Exception e) when (StoreHealth.IsRefusal(e))
            {
                log.LogWarning(e, "the ledger could not be read back after a refused write; it is read back before the next change");
            }

            throw;
        }
        finally
        {
            Gate.Release();
            hub.Notify(notify);
        }
    }

    /// <summary>Writes ledger transfers and balances and signals taken from the ledger's and the signal log's pending changes.</summary>
    public static async Task WriteLedgerAndSignalsAsync(
        DbConnection c, DbTransaction tx, IReadOnlyList<Transfer> transfers, IReadOnlyList<KeyValuePair<Account, long>> balances, IReadOnlyList<SignalBlock> signals)
    {
        await RowInsert.ExecuteAsync(c, tx,
            "INSERT INTO transfers (id, at, debit, credit, amount, kind, reference, member_id) VALUES (@Id, @At, @Debit, @Credit, @Amount, @Kind, @Reference, @Member)",
            TransferParameters, transfers, (t, v) => v.Add(t.Id).Add(t.AtTicks).Add(AccountNames.Of(t.Debit)).Add(AccountNames.Of(t.Credit)).Add(t.Amount).Add(t.Kind).Add(t.Reference).Add(t.Member?.Value));
        await RowInsert.ExecuteAsync(c, tx,
            """
            INSERT INTO accounts (account, member_id, balance) VALUES (@Account, @Member, @Balance)
            ON CONFLICT (account) DO UPDATE SET balance = excluded.balance
            """,
            AccountParameters, balances, (b, v) => v.Add(AccountNames.Of(b.Key)).Add(b.Key.Member?.Value).Add(b.Value));
        await RowInsert.ExecuteAsync(c, tx,
            "INSERT INTO signal_blocks (member_id, last_seq, first_seq, signals) VALUES (@Member, @Last, @First, @Signals)",
            SignalParameters, signals, (s, v) => v.Add(s.Member).Add(s.LastSeq).Add(s.FirstSeq).AddUtf8(s.Signals));
    }

    /// <summary>Reads the ledger's balances and last transfer and each member's last signal number from the store.</summary>
    public async Task LoadLedgerAndSignalsAsync(DbConnection c)
    {
        var accounts = await c.QueryAsync<(string Account, long Balance)>("SELECT account, balance FROM accounts");
        var lastTransfer = await c.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(id), 0) FROM transfers");
        ledger.Load(accounts.Select(a => new KeyValuePair<Account, long>(Account.Parse(a.Account), a.Balance)), lastTransfer);
        var numbers = await SignalBlocks.LastNumbersAsync(c);
        signals.Load(numbers.Select(s => new KeyValuePair<long, long>(s.Member, s.Seq)));
    }

    public void Dispose() => Gate.Dispose();

    private static readonly string[] TransferParameters = ["Id", "At", "Debit", "Credit", "Amount", "Kind", "Reference", "Member"];
    private static readonly string[] AccountParameters = ["Account", "Member", "Balance"];
    private static readonly string[] SignalParameters = ["Member", "Last", "First", "Signals"];
}
