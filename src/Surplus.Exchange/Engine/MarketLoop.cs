using System.Threading.Channels;
using Surplus.Exchange.Signals;
using Surplus.Protocol;

namespace Surplus.Exchange.Engine;

/// <summary>
/// The exchange's way to the store as a market's loop uses it: the write gate every change passes,
/// the reading back of memory after a failure, and the one writer that stores batches in order.
/// </summary>
internal interface IWritePath
{
    /// <summary>Held while a batch is applied: one change to memory at a time, exchange-wide.</summary>
    SemaphoreSlim Gate { get; }

    /// <summary>Counts the times memory was read back from the store; a batch applied before that is void if it was not stored by then.</summary>
    long Epoch { get; }

    /// <summary>Inside the gate, before any change: reads memory back from the store if a write failed.</summary>
    Task EnsureConsistentAsync();

    /// <summary>A batch failed half-applied: memory must be read back before the next change.</summary>
    void StoreFailed();

    /// <summary>Inside the gate: undoes what <paramref name="market"/> applied since its last batch went to the writer.</summary>
    Task UndoAppliedAsync(MarketMemory market);

    /// <summary>Hands a batch to the writer; its answers go once it is decided.</summary>
    void Enqueue(PendingCommit commit);
}

/// <summary>
/// A market's loop: reads its work channel (one reader), forms fair batches, has each applied
/// inside the exchange's write gate and handed to the writer with what it stores, and answers its
/// work only once it is stored (group commit). When the write fails, the market and the ledger
/// are read back from the store, so memory never runs ahead of what was committed.
/// </summary>
internal sealed class MarketLoop(
    MarketMemory market, BatchApplier applier, BatchStore store, AnswersInFlight answersInFlight, IWritePath writePath,
    ContractedCapacity contracted, SignalHub hub, ServerOptions options, TimeProvider time, ILogger log)
{
    /// <summary>
    /// A market's batches applied and waiting for the writer: two keep the writer busy (one is
    /// stored while the next is applied), and more would only queue work behind others' work.
    /// </summary>
    private const int BatchesInFlight = 2;

    private readonly Channel<Work> channel = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim inFlight = new(BatchesInFlight);
    private int queued;

    public Task? Running { get; private set; }

    /// <summary>How many pieces of work wait for the loop to take them (the channel of one reader does not count them).</summary>
    public int Queued => Volatile.Read(ref queued);

    public void Start() => Running = Task.Run(RunAsync, CancellationToken.None);

    public void Complete() => channel.Writer.TryComplete();

    /// <summary>
    /// Queues work; the task is its committed answer. The work's own task, not a wait on it: a
    /// batch of a hundred orders would otherwise make a hundred more tasks and wake a hundred more
    /// continuations when it is answered.
    /// </summary>
    public Task<Outcome> SubmitAsync(Work work)
    {
        ArgumentNullException.ThrowIfNull(work);
        Interlocked.Increment(ref queued);
        if (channel.Writer.TryWrite(work))
        {
            return work.Done.Task;
        }

        Interlocked.Decrement(ref queued);
        return Task.FromResult(Outcome.Refused(RefusalMessages.ShuttingDown.With()));
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
            var batch = waiting.Take(reader, Math.Max(1, options.MaxBatch), Math.Max(1, options.MaxCommandsPerMemberPerBatch));
            if (batch.Count == 0)
            {
                inFlight.Release();
                continue;
            }

            Interlocked.Add(ref queued, -batch.Count);

            await writePath.Gate.WaitAsync(CancellationToken.None);
            try
            {
                await writePath.EnsureConsistentAsync();
                if (market.Stale)
                {
                    await market.ReloadAsync();
                }

                // Applied now; answered once the writer has stored it, while this loop goes on.
                writePath.Enqueue(await ApplyEachAloneAsync(batch));
            }
            catch (Exception e)
            {
                // Nothing of this batch is stored, and memory may be half-changed: it is read back
                // from the store before the next change, and the loop lives on.
                log.LogError(e, "market {Market}: a batch of {Count} failed; memory is read back from the store", market.Definition.Id, batch.Count);
                writePath.StoreFailed();
                Finish(batch, BatchApplier.Failure(e), []);
                inFlight.Release();
            }
            finally
            {
                writePath.Gate.Release();
            }
        }
    }

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
                return Commit(batch, await applier.ApplyAsync(batch));
            }
            catch (CommandFailedException failed)
            {
                log.LogError(failed.InnerException, "market {Market}: a {Work} failed while it was applied; it alone is refused, and the other {Count} of its batch are applied again",
                    market.Definition.Id, failed.Work.GetType().Name, batch.Count - 1);
                batch.Remove(failed.Work);
                failed.Work.Done.TrySetResult(Outcome.Refused(BatchApplier.Failure(failed.InnerException!)));
                await writePath.UndoAppliedAsync(market);
            }
        }
    }

    /// <summary>What the writer stores of an applied batch, and how its answers go once it is decided.</summary>
    private PendingCommit Commit(List<Work> batch, BatchEffects effects)
    {
        var stored = store.Freeze(effects);
        var keys = effects.Idempotency;
        answersInFlight.Change(keys, add: true);
        return new PendingCommit(
            writePath.Epoch, batch.Count, (c, tx) => store.WriteAsync(c, tx, stored),
            Committed: () =>
            {
                contracted.Traded(market.Definition, stored.Trades, time.GetUtcNow());
                hub.Publish(stored.Signals.Signals);
                stored.Release();
                answersInFlight.Change(keys, add: false);
                Finish(batch, null, effects.Members);
                inFlight.Release();
            },
            Failed: e =>
            {
                stored.Release();
                answersInFlight.Change(keys, add: false);
                Finish(batch, BatchApplier.Failure(e), []);
                inFlight.Release();
            });
    }

    /// <summary>Hands out a batch's answers (or its failure) and wakes the members it signalled.</summary>
    private void Finish(List<Work> batch, Refused? failure, IReadOnlyCollection<long> notify)
    {
        foreach (var work in batch)
        {
            work.Done.TrySetResult(failure is not null ? Outcome.Refused(failure)
                : work.Result ?? Outcome.Refused(RefusalMessages.NoResult.With()));
        }

        hub.Notify(notify);
    }
}
