using Surplus.Exchange.Storage;

namespace Surplus.Exchange.Signals;

/// <summary>
/// A signal waiting to be written: member, number, type, instant and JSON payload; or, with an empty
/// payload, where the payload is kept: the trade of a contract (<paramref name="Contract"/>), or the
/// payload of another member's signal (<paramref name="SameAs"/>, the other party's copy of a
/// signal told to both parties of a contract).
/// </summary>
public sealed record PendingSignal(long Member, long Seq, string Type, long AtTicks, string Data, long? Contract = null, SignalId? SameAs = null);

/// <summary>A signal's identity: its member and that member's number for it.</summary>
public readonly record struct SignalId(long Member, long Seq);

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
    public long Add(long member, string type, long atTicks, string data) => Add(member, type, atTicks, data, null, null);

    /// <summary>Tells both parties of a trade, their signals' payload the trade that its contract keeps.</summary>
    public void AddTrade(long buyer, long seller, long atTicks, long contract)
    {
        Add(buyer, "trade", atTicks, "", contract, null);
        Add(seller, "trade", atTicks, "", contract, null);
    }

    /// <summary>Tells both parties the same thing: the payload is kept once, with the first party's signal.</summary>
    public void AddBoth(long first, long second, string type, long atTicks, string data)
    {
        var seq = Add(first, type, atTicks, data, null, null);
        Add(second, type, atTicks, "", null, new SignalId(first, seq));
    }

    private long Add(long member, string type, long atTicks, string data, long? contract, SignalId? sameAs)
    {
        lock (sync)
        {
            var seq = last.GetValueOrDefault(member) + 1;
            last[member] = seq;
            pending.Add(new PendingSignal(member, seq, type, atTicks, data, contract, sameAs));
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

    /// <summary>
    /// The signals added since the last call, packed as they are stored; clears them. The caller
    /// disposes the blocks once they are written (or their transaction failed).
    /// </summary>
    public PackedBlocks<SignalBlock> TakePending()
    {
        lock (sync)
        {
            var taken = SignalBlocks.Pack(pending);
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
