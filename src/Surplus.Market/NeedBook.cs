using System.Collections;

namespace Surplus.Market;

/// <summary>
/// The open needs of one market, held in three indexes kept in step: by id (every open need,
/// including one locked in a negotiation), in book order (bid descending, then time of entry:
/// step 364) and by window (in order of the window's length, then its start, then book order), so
/// that an offer meets only the needs whose window lies where it has spare and visits only the
/// windows that fit there: for each length that fits, the windows of that length that start
/// early enough (docs/capacity.md). The last two hold only the needs in the book; a need locked in
/// a negotiation is open but out of them until it is put back. Every change goes through this
/// class; <see cref="CheckInvariants"/> verifies what it keeps. Enumerates the needs in the book,
/// in book order. Not thread-safe: owned by one engine.
/// </summary>
internal sealed class NeedBook : IReadOnlyCollection<RestingNeed>
{
    private readonly Dictionary<long, RestingNeed> byId = [];
    private readonly SortedBlockList<NeedKey, RestingNeed> inOrder = new();
    private readonly SortedBlockList<NeedWindowKey, RestingNeed> byWindow = new();

    // The distinct lengths of the windows in byWindow, shortest first, with how many needs have each.
    private readonly List<long> lengths = [];
    private readonly Dictionary<long, int> perLength = [];

    // The walk over the windows that lie within an offer's spare: the need each window gave last,
    // a queue of each window's next need in book order, and the window of the need given last.
    private readonly List<RestingNeed> walk = [];
    private readonly PriorityQueue<int, RestingNeed> walkOrder = new(NeedOrder.Instance);
    private int walkAt = -1;

    /// <summary>How many needs are in the book (not counting those locked in negotiations).</summary>
    public int Count => inOrder.Count;

    /// <summary>How many needs are open, in the book or locked in a negotiation.</summary>
    public int OpenCount => byId.Count;

    /// <summary>The open needs, in the book or not, in no particular order.</summary>
    public IEnumerable<RestingNeed> All => byId.Values;

    /// <summary>The open need with this id (in the book or locked), or null.</summary>
    public RestingNeed? Find(long id) => byId.TryGetValue(id, out var need) ? need : null;

    /// <summary>True when a need with this id is open.</summary>
    public bool Contains(long id) => byId.ContainsKey(id);

    /// <summary>The needs in the book, in book order; the book must not change while it is walked this way.</summary>
    public SortedBlockList<NeedKey, RestingNeed>.Enumerator GetEnumerator() => inOrder.GetEnumerator();

    IEnumerator<RestingNeed> IEnumerable<RestingNeed>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Opens a need and puts it in the book.</summary>
    public void Add(RestingNeed need)
    {
        byId.Add(need.Id, need);
        PutBack(need);
    }

    /// <summary>
    /// Opens needs read back, given in book order, and puts them in the book: each index is filled
    /// from the back (the index by window after sorting them by window), as
    /// <see cref="SortedBlockList{TKey, T}"/> fills full blocks from items added in order.
    /// </summary>
    public void Load(RestingNeed[] inBookOrder)
    {
        ArgumentNullException.ThrowIfNull(inBookOrder);
        byId.EnsureCapacity(byId.Count + inBookOrder.Length);
        foreach (var need in inBookOrder)
        {
            byId.Add(need.Id, need);
            inOrder.Add(need.Key, need);
        }

        var byWindowKey = new NeedWindowKey[inBookOrder.Length];
        var windowOrder = (RestingNeed[])inBookOrder.Clone();
        for (var i = 0; i < windowOrder.Length; i++)
        {
            byWindowKey[i] = windowOrder[i].WindowKey;
        }

        Array.Sort(byWindowKey, windowOrder);
        foreach (var need in windowOrder)
        {
            byWindow.Add(need.WindowKey, need);
            need.InBook = true;
            Counted(need);
        }
    }

    /// <summary>Opens a need that is locked in a negotiation: known by id, out of the book until <see cref="PutBack"/>.</summary>
    public void AddLocked(RestingNeed need) => byId.Add(need.Id, need);

    /// <summary>Closes a need: out of every index.</summary>
    public void Remove(RestingNeed need)
    {
        byId.Remove(need.Id);
        if (need.InBook)
        {
            TakeOutOfBook(need);
        }
    }

    /// <summary>Puts an open need (back) in the book and under its window, at its place in book order.</summary>
    public void PutBack(RestingNeed need)
    {
        inOrder.Add(need.Key, need);
        byWindow.Add(need.WindowKey, need);
        need.InBook = true;
        Counted(need);
    }

    /// <summary>Counts a need's window length among those in the book.</summary>
    private void Counted(RestingNeed need)
    {
        var length = need.Window.EndTicks - need.Window.StartTicks;
        if (perLength.TryGetValue(length, out var count))
        {
            perLength[length] = count + 1;
        }
        else
        {
            perLength.Add(length, 1);
            var at = lengths.BinarySearch(length);
            lengths.Insert(~at, length);
        }
    }

    /// <summary>Takes a need out of the book and the index by window; it stays open (filled, cancelled or negotiating is the caller's business).</summary>
    public void TakeOutOfBook(RestingNeed need)
    {
        if (!inOrder.Remove(need.Key))
        {
            throw new InvalidOperationException($"{need} is not in the book");
        }

        byWindow.Remove(need.WindowKey);
        need.InBook = false;
        var length = need.Window.EndTicks - need.Window.StartTicks;
        var count = perLength[length] - 1;
        if (count > 0)
        {
            perLength[length] = count;
        }
        else
        {
            perLength.Remove(length);
            lengths.RemoveAt(lengths.BinarySearch(length));
        }
    }

    /// <summary>
    /// Starts a walk, in book order, over the needs in the book whose whole window lies in
    /// <c>[start, end)</c> (none when either is null): it merges their windows, each by its first
    /// need. Needs may leave the book during the walk (the one it gave last, before
    /// <see cref="StepWalk"/>); none may join. <see cref="EndWalk"/> ends it.
    /// </summary>
    public void StartWalk(long? start, long? end)
    {
        EndWalk();
        if (start is not { } from || end is not { } to || to <= from)
        {
            return;
        }

        // Only windows no longer than [from, to) can lie within it; of each length, those that start
        // in [from, to - length]: every window visited is one the walk merges.
        foreach (var length in lengths)
        {
            if (length > to - from)
            {
                break;
            }

            var last = to - length;
            var next = byWindow.From(NeedWindowKey.First(length, from));
            while (next.MoveNext())
            {
                var head = next.Current;
                var startTicks = head.Window.StartTicks;
                if (head.Window.EndTicks - startTicks != length || startTicks > last)
                {
                    break;
                }

                walkOrder.Enqueue(walk.Count, head);
                walk.Add(head);

                // On to the next window of this length.
                next = byWindow.From(NeedWindowKey.First(length, startTicks + 1));
            }
        }
    }

    /// <summary>The next need of the walk, in book order; false when it has none left.</summary>
    public bool TryWalk(out RestingNeed need)
    {
        if (walkOrder.TryDequeue(out walkAt, out var next))
        {
            need = next;
            return true;
        }

        need = null!;
        return false;
    }

    /// <summary>
    /// Moves the walk on from the need it gave last, whether that need stayed in the book or left
    /// it: to the next need of its window in book order, if any.
    /// </summary>
    public void StepWalk()
    {
        var given = walk[walkAt];
        var next = byWindow.From(given.WindowKey.Next);
        if (next.MoveNext() && next.Current.Window == given.Window)
        {
            walk[walkAt] = next.Current;
            walkOrder.Enqueue(walkAt, next.Current);
        }
    }

    /// <summary>Ends the walk.</summary>
    public void EndWalk()
    {
        walkOrder.Clear();
        walk.Clear();
        walkAt = -1;
    }

    /// <summary>
    /// Throws <see cref="InvalidOperationException"/>, naming the need, when the indexes disagree:
    /// a need in book order that is not open under its id or not marked in the book, an open need
    /// out of the book that no negotiation holds (or one in it that a negotiation does), the book or
    /// a window out of bid-then-time order, the index by window not holding the book's needs once
    /// each or its lengths miscounted, an open need with nothing left to fill, or a walk left under
    /// way.
    /// </summary>
    public void CheckInvariants()
    {
        if (walk.Count > 0 || walkOrder.Count > 0)
        {
            Fail("a walk over the windows was left under way");
        }

        var inBook = 0;
        foreach (var (id, need) in byId)
        {
            if (need.Id != id)
            {
                Fail($"{need} is open under the id {id}");
            }

            if (need.Remaining <= 0)
            {
                Fail($"{need} is open with {need.Remaining} remaining");
            }

            if (need.InBook == need.Negotiation is not null)
            {
                Fail(need.InBook ? $"{need} is in the book and locked in a negotiation" : $"{need} is out of the book but no negotiation holds it");
            }

            inBook += need.InBook ? 1 : 0;
        }

        if (inBook != inOrder.Count)
        {
            Fail($"{inBook} open needs are marked in the book but {inOrder.Count} are in book order");
        }

        CheckList(inOrder.GetEnumerator(), "book order");
        inOrder.CheckInvariants("need book, book order", n => n.Key);
        if (byWindow.Count != inOrder.Count)
        {
            Fail($"{byWindow.Count} needs are listed by window but {inOrder.Count} are in book order");
        }

        // Within one window, book order; the windows by length, then start.
        RestingNeed? previous = null;
        var counted = new Dictionary<long, int>();
        foreach (var need in byWindow.GetEnumerator())
        {
            if (previous is not null && previous.Window == need.Window && NeedOrder.Instance.Compare(previous, need) >= 0)
            {
                Fail($"{need} comes after {previous} in its window: out of bid-then-time order");
            }

            if (!ReferenceEquals(inOrder.Find(need.Key), need))
            {
                Fail($"{need} is listed by window but not in book order");
            }

            var length = need.Window.EndTicks - need.Window.StartTicks;
            counted[length] = counted.GetValueOrDefault(length) + 1;
            previous = need;
        }

        byWindow.CheckInvariants("need book, by window", n => n.WindowKey);
        foreach (var need in inOrder)
        {
            if (!ReferenceEquals(byWindow.Find(need.WindowKey), need))
            {
                Fail($"{need} is in the book but not listed by its window");
            }
        }

        if (counted.Count != perLength.Count || counted.Any(c => perLength.GetValueOrDefault(c.Key) != c.Value)
            || lengths.Count != perLength.Count || lengths.Any(l => !perLength.ContainsKey(l)) || lengths.Zip(lengths.Skip(1)).Any(p => p.First >= p.Second))
        {
            Fail($"the window lengths ({string.Join(", ", lengths)}) and their counts are not those of the needs listed by window");
        }
    }

    private void CheckList(IEnumerable<RestingNeed> list, string what)
    {
        RestingNeed? previous = null;
        foreach (var need in list)
        {
            if (!byId.TryGetValue(need.Id, out var same) || !ReferenceEquals(same, need) || !need.InBook)
            {
                Fail($"{need} is in {what} but not open in the book");
            }

            if (previous is not null && NeedOrder.Instance.Compare(previous, need) >= 0)
            {
                Fail($"{need} comes after {previous} in {what}: out of bid-then-time order");
            }

            previous = need;
        }
    }

    private static void Fail(string message) => throw new InvalidOperationException($"need book: {message}");
}
