using System.Data.Common;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Exchange.Engine;

/// <summary>
/// One market: its memory (<see cref="MarketMemory"/>) and the loop that feeds its engine
/// (<see cref="MarketLoop"/>), which has each batch applied (<see cref="BatchApplier"/>, with the
/// engine's events turned into rows, money and signals by the <see cref="EngineProjection"/> and
/// repeated keys answered by <see cref="IdempotentReplay"/>) and stored (<see cref="BatchStore"/>).
/// This is what the rest of the exchange holds of a market.
/// </summary>
internal sealed class MarketHost
{
    private readonly MarketMemory memory;
    private readonly BatchApplier applier;
    private readonly MarketLoop loop;

    /// <param name="definition">The market.</param>
    /// <param name="halted">Whether it was halted when it was stored.</param>
    /// <param name="shared">The exchange's parts every market uses.</param>
    public MarketHost(MarketDefinition definition, bool halted, MarketParts shared)
    {
        ArgumentNullException.ThrowIfNull(shared);
        var snapshots = shared.Options.EngineSnapshots ? Path.Combine(shared.Options.DataDirectory, "snapshots") : null;
        memory = new MarketMemory(definition, halted, shared.Database, snapshots, shared.Log);
        var projection = new EngineProjection(memory, shared.Ledger, shared.Signals, shared.Contracts, shared.Ids, shared.Log);
        var replay = new IdempotentReplay(shared.Database, shared.AnswersInFlight, shared.BatchAnswersInRows);
        applier = new BatchApplier(memory, projection, replay, shared.Ledger, shared.Ids, shared.Contracts, shared.Options, shared.Time, shared.Log, shared.Metrics);
        var store = new BatchStore(memory, shared.Ledger, shared.Signals, shared.Contracts);
        loop = new MarketLoop(memory, applier, store, shared.AnswersInFlight, shared.WritePath, shared.Contracted, shared.Hub, shared.Options, shared.Time, shared.Log);
    }

    public MarketDefinition Definition => memory.Definition;

    public bool Halted => memory.Halted;

    public Task? Loop => loop.Running;

    /// <summary>How many pieces of work wait for the loop to take them.</summary>
    public int Queued => loop.Queued;

    /// <summary>
    /// Called after each piece of work is applied, before its answer is kept: a test makes it throw
    /// to stand for a command that fails after it changed memory (a bug, an overflow). Null otherwise.
    /// </summary>
    internal Action<Work>? AfterApply
    {
        get => applier.AfterApply;
        set => applier.AfterApply = value;
    }

    /// <summary>The market's memory, for tests that compare what two starts rebuilt; the loop owns it.</summary>
    internal MarketMemory Memory => memory;

    /// <summary>Rebuilds the engine and the open orders from the store.</summary>
    public Task LoadAsync(DbConnection connection) => memory.LoadAsync(connection);

    /// <summary>Writes the market's snapshot at a clean stop, once its loop and the writer have stopped.</summary>
    public Task WriteSnapshotAsync() => memory.WriteSnapshotAsync();

    public void Start() => loop.Start();

    public void Complete() => loop.Complete();

    /// <summary>Queues work; the task is its committed answer.</summary>
    public Task<Outcome> SubmitAsync(Work work) => loop.SubmitAsync(work);

    /// <summary>Marks the market to be read back from the store before its next batch.</summary>
    public void MarkStale() => memory.MarkStale();

    /// <summary>The market as the API shows it.</summary>
    public MarketDto ToDto() => memory.ToDto();
}
