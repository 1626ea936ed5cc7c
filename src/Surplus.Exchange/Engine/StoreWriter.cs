using System.Data.Common;
using System.Diagnostics;
using System.Threading.Channels;
using Surplus.Exchange.Storage;

namespace Surplus.Exchange.Engine;

/// <summary>
/// One engine batch, applied in memory and waiting to be stored: what it writes, and what to do once
/// it is stored or has failed to be. <paramref name="Epoch"/> is the exchange's epoch when the batch
/// was applied: a batch applied on top of one that failed to commit is void.
/// </summary>
internal sealed record PendingCommit(
    long Epoch, int Commands, Func<DbConnection, DbTransaction, Task> Write, Action Committed, Action<Exception> Failed);

/// <summary>
/// The exchange's one writer to the store. The engines apply their batches in memory inside the
/// write gate and hand them here; the writer stores them in the order they came, as many as are
/// waiting in one transaction, on a connection it keeps open (so SQLite's page cache stays warm),
/// and only then lets their answers go. An engine therefore applies its next batch while the last
/// one is written and synced, and nothing is acknowledged before it is stored.
/// <para>
/// When a transaction fails, every batch in it and every batch applied after it (whose changes were
/// made on top of it in memory) fails too; the exchange reloads its memory from the store before
/// the next change (<see cref="WriteGate.EnsureConsistentAsync"/>).
/// </para>
/// </summary>
internal sealed class StoreWriter
{
    /// <summary>The most batches one transaction carries.</summary>
    private const int MaxGroup = 64;

    /// <summary>
    /// A log this long (4 MiB of pages) is copied to its end by the writer itself, just after a
    /// checkpoint beside it has copied most of it, so that the log starts over. A shorter one is left
    /// to the checkpoints beside the writer, which reach its end whenever the writer pauses.
    /// </summary>
    internal const long CatchUpPages = 1024;

    /// <summary>A tail of the log the writer copies in a few milliseconds (1 MiB of pages).</summary>
    private const long ShortTailPages = 256;

    /// <summary>The most passes a checkpoint beside the writer makes to leave it a short tail.</summary>
    private const int MaxPasses = 3;

    private readonly Database database;
    private readonly ExchangeMetrics metrics;
    private readonly ILogger log;
    private readonly Action storeFailed;
    private readonly Channel<PendingCommit> queue = Channel.CreateUnbounded<PendingCommit>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<bool> checkpoints = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource stopping = new();
    private Task? checkpointer;
    private readonly Lock sync = new();
    private TaskCompletionSource idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int outstanding;
    private long failedEpoch = long.MinValue;
    private DbConnection? connection;
    private Task? loop;
    private volatile bool catchUp;

    /// <param name="database">The store.</param>
    /// <param name="metrics">Where each stored transaction is counted.</param>
    /// <param name="log">The log of refused transactions and failed checkpoints.</param>
    /// <param name="storeFailed">Called when a transaction fails: memory must be read back before the next change.</param>
    public StoreWriter(Database database, ExchangeMetrics metrics, ILogger log, Action storeFailed)
    {
        this.database = database;
        this.metrics = metrics;
        this.log = log;
        this.storeFailed = storeFailed;
        idle.SetResult();
    }

    public void Start()
    {
        // A thread of its own: the writer sets the exchange's pace, and as a thread-pool work item
        // it would wait behind the requests and answers queued there each time it woke.
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Run();
                stopped.SetResult();
            }
            catch (Exception e)
            {
                stopped.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "Surplus store writer",
        };
        thread.Start();
        loop = stopped.Task;
        checkpointer = Task.Run(CheckpointAsync, CancellationToken.None);
    }

    /// <summary>Queues a batch; its <see cref="PendingCommit.Committed"/> or <see cref="PendingCommit.Failed"/> runs once it is decided.</summary>
    public void Enqueue(PendingCommit commit)
    {
        lock (sync)
        {
            if (outstanding++ == 0)
            {
                idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        if (!queue.Writer.TryWrite(commit))
        {
            Settled(1);
            commit.Failed(new InvalidOperationException("the store writer has stopped"));
        }
    }

    /// <summary>Completes when every batch queued so far is stored or has failed.</summary>
    public Task IdleAsync()
    {
        lock (sync)
        {
            return idle.Task;
        }
    }

    /// <summary>Stores what is queued, then stops.</summary>
    public async Task StopAsync()
    {
        queue.Writer.TryComplete();
        if (loop is not null)
        {
            await loop;
        }

        checkpoints.Writer.TryComplete();
        await stopping.CancelAsync();
        if (checkpointer is not null)
        {
            await checkpointer;
        }

        stopping.Dispose();

        if (connection is not null)
        {
            await connection.DisposeAsync();
            connection = null;
        }
    }

    private void Run()
    {
        var group = new List<PendingCommit>(MaxGroup);
        var reader = queue.Reader;
        // Blocking waits keep the loop on its own thread (an await would move it to the pool).
        while (reader.WaitToReadAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult())
        {
            group.Clear();
            while (group.Count < MaxGroup && reader.TryRead(out var commit))
            {
                group.Add(commit);
            }

            // Applied on top of a batch that failed to commit: memory held changes the store never got.
            var live = group.Where(c => c.Epoch > failedEpoch).ToList();
            foreach (var dead in group.Where(c => c.Epoch <= failedEpoch))
            {
                dead.Failed(new StoreWriteException("an earlier batch this one was applied after failed to commit"));
            }

            if (live.Count > 0)
            {
                WriteAsync(live).GetAwaiter().GetResult();
            }

            Settled(group.Count);
            if (catchUp)
            {
                catchUp = false;
                CatchUp();
            }
        }
    }

    /// <summary>
    /// Copies the rest of the log into the database file between two transactions, so that the next
    /// one starts the log over. Only a writer can: while transactions keep coming, a checkpoint beside
    /// it never reaches the log's end, and the log would grow until SQLite's own checkpoint copied and
    /// synced it inside a commit, holding up every answer waiting for that commit (docs/benchmarks.md,
    /// the write path's choices). Just after a checkpoint beside it, the rest is a short tail, which
    /// the writer copies without holding anyone up for long.
    /// </summary>
    private void CatchUp()
    {
        if (connection is null)
        {
            return;
        }

        try
        {
            database.CheckpointAsync(connection).GetAwaiter().GetResult();
        }
        catch (DbException e)
        {
            // Nothing is lost: the log is copied by a later checkpoint.
            log.LogWarning(e, "the writer could not copy the rest of the log into the database file; a later checkpoint will");
        }
    }

    private async Task WriteAsync(List<PendingCommit> live)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            connection ??= await database.OpenAsync();
            await using (var transaction = await connection.BeginTransactionAsync())
            {
                foreach (var commit in live)
                {
                    await commit.Write(connection, transaction);
                }

                await transaction.CommitAsync();
            }
        }
        catch (Exception e)
        {
            failedEpoch = live.Max(c => c.Epoch);
            log.LogError(e, "the store refused a transaction of {Batches} engine batches; memory is read back from the store before the next change", live.Count);
            storeFailed();
            if (connection is not null)
            {
                await connection.DisposeAsync();
                connection = null;
            }

            foreach (var commit in live)
            {
                commit.Failed(e);
            }

            return;
        }

        metrics.Stored(Stopwatch.GetElapsedTime(started));
        checkpoints.Writer.TryWrite(true);
        foreach (var commit in live)
        {
            commit.Committed();
            metrics.Batch(commit.Commands);
        }
    }

    /// <summary>
    /// Beside the writer, copies the log back into the database file after commits, at most five
    /// times a second: the copying and the file's sync then run on another core while the writer goes on.
    /// </summary>
    private async Task CheckpointAsync()
    {
        while (await checkpoints.Reader.WaitToReadAsync(CancellationToken.None))
        {
            checkpoints.Reader.TryRead(out _);
            try
            {
                var logPages = await database.CheckpointAsync();
                if (logPages >= CatchUpPages)
                {
                    // Each pass copies what was written during the last, a shorter time each pass,
                    // so that the writer is left only a few milliseconds of writes to copy.
                    for (var pass = 0; pass < MaxPasses; pass++)
                    {
                        var before = logPages;
                        logPages = await database.CheckpointAsync();
                        if (logPages - before < ShortTailPages)
                        {
                            break;
                        }
                    }

                    catchUp = true;
                }
            }
            catch (Exception e) when (e is DbException or IOException)
            {
                // The writer's own checkpoint (at 16,000 pages) still bounds the log.
                log.LogWarning(e, "a checkpoint beside the writer failed; the writer checkpoints itself when the log grows");
            }

            // A pace for the disk, not an instant of the market: real time, whatever clock the exchange runs on.
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System, stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Settled(int count)
    {
        lock (sync)
        {
            outstanding -= count;
            if (outstanding == 0)
            {
                idle.TrySetResult();
            }
        }
    }
}
