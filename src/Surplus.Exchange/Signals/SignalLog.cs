using System.Threading.Tasks.Sources;
using Surplus.Exchange.Storage;
using Surplus.Market;
using Surplus.Market.Contracts;

namespace Surplus.Exchange.Signals;

/// <summary>
/// A signal waiting to be written: member, number, type, instant and JSON payload; or, with an empty
/// payload, where the payload is kept: the trade of a contract (<paramref name="Contract"/>), or the
/// payload of another member's signal (<paramref name="SameAs"/>, the other party's copy of a
/// signal told to both parties of a contract). <paramref name="Shown"/> is the payload as a reader
/// gets it, where <paramref name="Data"/> is empty, so a committed signal can be handed to the
/// member's open streams without reading it back from the store.
/// </summary>
public sealed record PendingSignal(long Member, long Seq, string Type, long AtTicks, string Data, long? Contract = null, SignalId? SameAs = null, string? Shown = null)
{
    /// <summary>The payload as a reader of the member's signals gets it.</summary>
    public string Payload => Shown ?? Data;
}

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
    private List<PendingSignal> pending = [];

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
    public long Add(MemberId member, string type, long atTicks, string data) => Add(member.Value, type, atTicks, data, null, null);

    /// <summary>
    /// Tells both parties of a trade, their signals' payload the trade that its contract keeps
    /// (<paramref name="trade"/>, that contract's trade as JSON).
    /// </summary>
    public void AddTrade(MemberId buyer, MemberId seller, long atTicks, ContractId contract, string trade)
    {
        Add(buyer.Value, "trade", atTicks, "", contract.Value, null, trade);
        Add(seller.Value, "trade", atTicks, "", contract.Value, null, trade);
    }

    /// <summary>Tells both parties the same thing: the payload is kept once, with the first party's signal.</summary>
    public void AddBoth(MemberId first, MemberId second, string type, long atTicks, string data)
    {
        var seq = Add(first.Value, type, atTicks, data, null, null, null);
        Add(second.Value, type, atTicks, "", null, new SignalId(first.Value, seq), data);
    }

    private long Add(long member, string type, long atTicks, string data, long? contract, SignalId? sameAs, string? shown = null)
    {
        lock (sync)
        {
            var seq = last.GetValueOrDefault(member) + 1;
            last[member] = seq;
            pending.Add(new PendingSignal(member, seq, type, atTicks, data, contract, sameAs, shown));
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
    /// The signals added since the last call, packed as they are stored, and as they are; clears
    /// them. The caller disposes them once they are written (or their transaction failed), and
    /// once written hands them to <see cref="SignalHub.Publish"/>.
    /// </summary>
    public TakenSignals TakePending()
    {
        lock (sync)
        {
            var taken = pending;
            pending = [];
            return new TakenSignals(SignalBlocks.Pack(taken), taken);
        }
    }
}

/// <summary>Signals taken from the log: packed as the store keeps them (this list), and one by one (<see cref="Signals"/>).</summary>
public sealed class TakenSignals : IReadOnlyList<SignalBlock>, IDisposable
{
    private readonly PackedBlocks<SignalBlock> blocks;

    internal TakenSignals(PackedBlocks<SignalBlock> blocks, IReadOnlyList<PendingSignal> signals)
    {
        this.blocks = blocks;
        Signals = signals;
    }

    /// <summary>The signals, in the order they were numbered.</summary>
    public IReadOnlyList<PendingSignal> Signals { get; }

    /// <inheritdoc />
    public int Count => blocks.Count;

    /// <inheritdoc />
    public SignalBlock this[int index] => blocks[index];

    /// <inheritdoc />
    public IEnumerator<SignalBlock> GetEnumerator() => blocks.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Gives the packed blocks' buffer back (once).</summary>
    public void Dispose() => blocks.Dispose();
}

/// <summary>
/// Wakes the readers of a member's signals when new ones are committed, and hands committed signals
/// to the member's open streams (<see cref="Subscribe"/>), so that a stream that is keeping up never
/// reads the store. Thread-safe.
/// </summary>
public sealed class SignalHub
{
    private readonly Lock sync = new();
    private readonly Dictionary<long, TaskCompletionSource> waiters = [];
    private TaskCompletionSource any = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly Lock subscribersSync = new();

    // The member's latest subscription, which links to its earlier ones.
    private readonly Dictionary<long, SignalSubscription> subscribers = [];
    private long subscribed;

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

    /// <summary>
    /// Subscribes to the member's signals committed from now on. Subscribe before reading the
    /// store, so that nothing committed in between is missed; dispose the subscription when the
    /// stream ends.
    /// </summary>
    public SignalSubscription Subscribe(long member)
    {
        lock (subscribersSync)
        {
            var subscription = new SignalSubscription(this, member, ++subscribed) { Next = subscribers.GetValueOrDefault(member) };
            subscribers[member] = subscription;
            return subscription;
        }
    }

    /// <summary>
    /// Hands signals, committed, in the order they were numbered, to their members' subscriptions.
    /// Never waits for a reader: a subscription that has more waiting than it holds drops them and
    /// its reader reads the store instead.
    /// </summary>
    public void Publish(IReadOnlyList<PendingSignal> signals)
    {
        ArgumentNullException.ThrowIfNull(signals);
        lock (subscribersSync)
        {
            if (subscribers.Count == 0)
            {
                return;
            }

            foreach (var signal in signals)
            {
                for (var subscription = subscribers.GetValueOrDefault(signal.Member); subscription is not null; subscription = subscription.Next)
                {
                    subscription.Offer(signal);
                }
            }
        }
    }

    /// <summary>
    /// Wakes one slice of the subscriptions (those whose number is <paramref name="slice"/> modulo
    /// <paramref name="slices"/>) with nothing new, for their keep-alives: a slice at a time, so that
    /// the streams' keep-alives are spread out rather than written all at once.
    /// </summary>
    public void WakeSlice(int slice, int slices)
    {
        lock (subscribersSync)
        {
            foreach (var first in subscribers.Values)
            {
                for (var subscription = first; subscription is not null; subscription = subscription.Next)
                {
                    if (subscription.Number % slices == slice)
                    {
                        subscription.Wake();
                    }
                }
            }
        }
    }

    /// <summary>Wakes every subscription with nothing new: to see that the server stops.</summary>
    public void WakeAll() => WakeSlice(0, 1);

    internal void Unsubscribe(SignalSubscription gone)
    {
        lock (subscribersSync)
        {
            if (!subscribers.TryGetValue(gone.Member, out var first))
            {
                return;
            }

            if (first == gone)
            {
                if (gone.Next is null)
                {
                    subscribers.Remove(gone.Member);
                }
                else
                {
                    subscribers[gone.Member] = gone.Next;
                }

                return;
            }

            for (var before = first; before.Next is not null; before = before.Next)
            {
                if (before.Next == gone)
                {
                    before.Next = gone.Next;
                    return;
                }
            }
        }
    }
}

/// <summary>
/// One open stream's share of its member's committed signals: at most <see cref="Capacity"/> wait
/// to be taken; past that they are dropped and the reader is told to read the store from where it
/// is, so a reader that falls behind costs no more memory and never slows the publisher. It holds a
/// list only while signals wait, and its reader waits on the subscription itself (no task per
/// wait), so an idle stream costs this object alone. One reader, which awaits each
/// <see cref="WaitAsync"/> before the next; thread-safe against the publisher.
/// </summary>
public sealed class SignalSubscription : IDisposable, IValueTaskSource
{
    /// <summary>The most signals that wait for the reader; past that it reads the store.</summary>
    public const int Capacity = 256;

    private readonly SignalHub hub;
    private readonly Lock sync = new();
    private ManualResetValueTaskSourceCore<bool> waiter = new() { RunContinuationsAsynchronously = true };
    private List<PendingSignal>? queued;
    private bool waiting;
    private bool lost;
    private bool woken;
    private int disposed;

    internal SignalSubscription(SignalHub hub, long member, long number)
    {
        this.hub = hub;
        Member = member;
        Number = number;
    }

    /// <summary>The member whose signals these are.</summary>
    public long Member { get; }

    internal long Number { get; }

    internal SignalSubscription? Next { get; set; }

    /// <summary>
    /// Completes when there is something to take, or when <see cref="Wake"/> was called since the
    /// last wait; completed at once if either is already so. Await it before calling it again.
    /// </summary>
    public ValueTask WaitAsync()
    {
        lock (sync)
        {
            if (queued is not null || lost || woken)
            {
                woken = false;
                return ValueTask.CompletedTask;
            }

            waiter.Reset();
            waiting = true;
            return new ValueTask(this, waiter.Version);
        }
    }

    /// <summary>
    /// Takes what waits, in order (empty when nothing does). <paramref name="behind"/> is true when
    /// signals were dropped since the last take: the reader reads the store after the last one it wrote.
    /// </summary>
    public IReadOnlyList<PendingSignal> Take(out bool behind)
    {
        lock (sync)
        {
            var taken = queued;
            queued = null;
            behind = lost;
            lost = false;
            woken = false;
            return taken ?? (IReadOnlyList<PendingSignal>)[];
        }
    }

    /// <summary>Wakes the reader with nothing new: to write a keep-alive, or to see that its stream has ended.</summary>
    public void Wake()
    {
        bool wake;
        lock (sync)
        {
            woken = true;
            wake = waiting;
            waiting = false;
        }

        if (wake)
        {
            waiter.SetResult(true);
        }
    }

    internal void Offer(PendingSignal signal)
    {
        bool wake;
        lock (sync)
        {
            if (lost)
            {
                return;
            }

            if (queued is { Count: >= Capacity })
            {
                lost = true;
                queued = null;
            }
            else
            {
                (queued ??= new List<PendingSignal>(4)).Add(signal);
            }

            wake = waiting;
            waiting = false;
        }

        if (wake)
        {
            waiter.SetResult(true);
        }
    }

    /// <summary>Ends the subscription: nothing more is handed to it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            hub.Unsubscribe(this);
        }
    }

    void IValueTaskSource.GetResult(short token) => waiter.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => waiter.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        waiter.OnCompleted(continuation, state, token, flags);
}
