namespace Surplus.Exchange.Engine;

/// <summary>
/// The answers kept under idempotency keys whose batches are applied and not yet stored, across
/// every market: a retry that comes meanwhile is answered from here, as the store does not have
/// them yet. Thread-safe.
/// </summary>
internal sealed class AnswersInFlight
{
    private readonly Dictionary<(long Member, string Key), (string Hash, Outcome Result)> keys = [];

    // Orders in flight per member and request batch key, under the same lock.
    private readonly Dictionary<(long Member, string Batch), int> batches = [];

    /// <summary>The answer given under an idempotency key whose batch is applied but not yet stored, if any.</summary>
    public (string Hash, Outcome Result)? Find(IdempotencyKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (keys)
        {
            return keys.TryGetValue((key.Member, key.Key), out var found) ? found : null;
        }
    }

    /// <summary>
    /// True when some order of a member's request batch (by the batch's own key) is applied and not
    /// yet stored: until it is decided, the batch's rows in the store may still grow.
    /// </summary>
    public bool BatchInFlight(long member, string batch)
    {
        lock (keys)
        {
            return batches.ContainsKey((member, batch));
        }
    }

    /// <summary>Notes the keys of a batch handed to the writer (<paramref name="add"/>) or decided (not).</summary>
    public void Change(IReadOnlyList<(IdempotencyKey Key, Outcome Result)> kept, bool add)
    {
        ArgumentNullException.ThrowIfNull(kept);
        lock (keys)
        {
            foreach (var (key, result) in kept)
            {
                if (add)
                {
                    keys[(key.Member, key.Key)] = (key.RequestHash, result);
                }
                else
                {
                    keys.Remove((key.Member, key.Key));
                }

                if (key.Batch is { } batch)
                {
                    var orders = batches.GetValueOrDefault((key.Member, batch)) + (add ? 1 : -1);
                    if (orders > 0)
                    {
                        batches[(key.Member, batch)] = orders;
                    }
                    else
                    {
                        batches.Remove((key.Member, batch));
                    }
                }
            }
        }
    }
}
