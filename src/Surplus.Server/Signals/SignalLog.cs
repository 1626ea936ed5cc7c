namespace Surplus.Server.Signals;

/// <summary>
/// A signal waiting to be written: member, number, type, instant and JSON payload, or, for a
/// payload that is a contract's copy of its trade, that contract's id and an empty payload.
/// </summary>
public sealed record PendingSignal(long Member, long Seq, string Type, long AtTicks, string Data, long? Contract = null);

/// <summary>How signals are read back: a row that names a contract takes its payload from that contract's trade.</summary>
public static class SignalRows
{
    /// <summary>A member's signals after a number, in order; parameters <c>@member</c>, <c>@after</c> and <c>@limit</c>.</summary>
    public const string After =
        "SELECT s.seq, s.type, s.at, CASE WHEN s.contract_id IS NULL THEN s.data ELSE c.trade END AS data FROM signals s "
        + "LEFT JOIN contracts c ON c.id = s.contract_id WHERE s.member_id = @member AND s.seq > @after ORDER BY s.seq LIMIT @limit";
}

/// <summary>
/// Numbers each member's signals in order. Numbers are taken inside the exchange's write gate and
/// written in the same transaction as the change they tell of, so a reader that has seen
/// number N has seen every number below it.
/// </summary>
public sealed class SignalLog
{
    private readonly Lock sync = new();
    private readonly Dictionary<long, long> last = [];
    private readonly List<PendingSignal> pending = [];

    /// <summary>Replaces the counters with the store's.</summary>
    public void Load(IEnumerable<KeyValuePair<long, long>> lastByMember)
    {
        lock (sync)
        {
            last.Clear();
            pending.Clear();
            foreach (var (member, seq) in lastByMember)
            {
                last[member] = seq;
            }
        }
    }

    /// <summary>Adds a signal for a member and returns its number.</summary>
    public long Add(long member, string type, long atTicks, string data) => Add(member, type, atTicks, data, null);

    /// <summary>Adds a signal whose payload is the trade that a contract keeps, and returns its number.</summary>
    public long AddTrade(long member, long atTicks, long contract) => Add(member, "trade", atTicks, "", contract);

    private long Add(long member, string type, long atTicks, string data, long? contract)
    {
        lock (sync)
        {
            var seq = last.GetValueOrDefault(member) + 1;
            last[member] = seq;
            pending.Add(new PendingSignal(member, seq, type, atTicks, data, contract));
            return seq;
        }
    }

    /// <summary>The members with signals not yet taken.</summary>
    public IReadOnlyList<long> PendingMembers()
    {
        lock (sync)
        {
            return [.. pending.Select(p => p.Member).Distinct()];
        }
    }

    /// <summary>The signals added since the last call; clears them.</summary>
    public IReadOnlyList<PendingSignal> TakePending()
    {
        lock (sync)
        {
            var taken = pending.ToList();
            pending.Clear();
            return taken;
        }
    }
}

/// <summary>Wakes the readers of a member's signals when new ones are committed. Thread-safe.</summary>
public sealed class SignalHub
{
    private readonly Lock sync = new();
    private readonly Dictionary<long, TaskCompletionSource> waiters = [];
    private TaskCompletionSource any = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A task that completes when the member's next signals are committed.</summary>
    public Task WaitAsync(long member)
    {
        lock (sync)
        {
            if (!waiters.TryGetValue(member, out var waiter))
            {
                waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                waiters[member] = waiter;
            }

            return waiter.Task;
        }
    }

    /// <summary>A task that completes when any member's next signals are committed.</summary>
    public Task WaitAnyAsync()
    {
        lock (sync)
        {
            return any.Task;
        }
    }

    /// <summary>Wakes everyone waiting for these members, and those waiting for any.</summary>
    public void Notify(IEnumerable<long> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        lock (sync)
        {
            var woken = false;
            foreach (var member in members)
            {
                woken = true;
                if (waiters.Remove(member, out var waiter))
                {
                    waiter.TrySetResult();
                }
            }

            if (woken)
            {
                any.TrySetResult();
                any = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }
}
