using System.Data.Common;
using Surplus.Exchange.Storage;
using Surplus.Protocol;

namespace Surplus.Exchange.Engine;

/// <summary>
/// Answers a repeated idempotency key from what was kept: first by a request earlier in the same
/// batch, then by a batch applied and not yet stored (<see cref="AnswersInFlight"/>), then by the
/// store. A batch leaves the second only after it is stored, so looking in this order misses
/// nothing. One per market, used by its loop one batch at a time: not thread-safe.
/// </summary>
internal sealed class IdempotentReplay(Database database, AnswersInFlight inFlight, bool batchAnswersInRows)
{
    private readonly Dictionary<(long Member, string Key), (string Hash, Outcome Result)> keysInBatch = [];
    private DbConnection? connection;
    private IdempotencyLookup? stored;

    /// <summary>The answer kept in memory for <paramref name="key"/> (by this batch or one in flight), or null.</summary>
    public Outcome? Kept(IdempotencyKey key) =>
        Replay(keysInBatch.TryGetValue((key.Member, key.Key), out var first) ? first : null, key)
        ?? Replay(inFlight.Find(key), key);

    /// <summary>The answer the store keeps for <paramref name="key"/>, or null; the batch's connection is opened at the first ask.</summary>
    public Task<Outcome?> StoredAsync(IdempotencyKey key) => stored is not null ? stored.FindAsync(key) : OpenAndFindAsync(key);

    private async Task<Outcome?> OpenAndFindAsync(IdempotencyKey key)
    {
        connection ??= await database.OpenAsync();
        stored = new IdempotencyLookup(connection, null, batchAnswersInRows, (member, batch) => !inFlight.BatchInFlight(member, batch));
        return await stored.FindAsync(key);
    }

    /// <summary>Keeps the first answer under a key, for a retry later in the same batch.</summary>
    public void Keep(IdempotencyKey key, Outcome result) => keysInBatch[(key.Member, key.Key)] = (key.RequestHash, result);

    /// <summary>Ends a batch: forgets its keys and closes what it opened on the store.</summary>
    public async Task EndBatchAsync()
    {
        keysInBatch.Clear();
        if (stored is not null)
        {
            await stored.DisposeAsync();
            stored = null;
        }

        if (connection is not null)
        {
            await connection.DisposeAsync();
            connection = null;
        }
    }

    /// <summary>The first answer given under a key, as a retry gets it: the same, or a 422 for another request.</summary>
    private static Outcome? Replay((string Hash, Outcome Result)? first, IdempotencyKey key) =>
        first is not { } f ? null
        : f.Hash == key.RequestHash ? f.Result with { Body = f.Result.Body is StoredJson json ? json with { Replayed = true } : f.Result.Body }
        : Outcome.Refused(RefusalMessages.IdempotencyKeyReused.With(("key", key.Key)));
}
