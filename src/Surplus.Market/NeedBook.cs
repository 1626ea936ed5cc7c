using System.Collections;

namespace Surplus.Market;

/// <summary>
/// The open needs of one market, held in three indexes kept in step: by id (every open need,
/// including one locked in a negotiation), in book order (bid descending, then time of entry:
/// step 364) and by exact window, each window's list in book order, the windows in order of start
/// (so that an offer meets only the needs whose window lies where it has spare, and visits only
/// the windows that start there, docs/capacity.md). The last two hold only the
/// needs in the book; a need locked in a negotiation is open but out of them until it is put
/// back. Every change goes through this class; <see cref="CheckInvariants"/> verifies what it
/// keeps. Enumerates the needs in the book, in book order. Not thread-safe: owned by
/// one engine.
/// </summary>
internal sealed class NeedBook : IReadOnlyCollection<RestingNeed>
{
    private readonly Dictionary<long, RestingNeed> byId = [];
    private readonly SortedBlockList<RestingNeed> inOrder = new(NeedOrder.Instance);
    private readonly Dictionary<(long Start, long End), List<RestingNeed>> byWindow = [];

    // The windows of byWindow in order of start (then end): an offer's walk visits only those that
    // start within its spare, not every window of the book.
    private readonly SortedSet<(long Start, long End)> windows = [];

    // The walk over the window lists that lie within an offer's spare: the lists with the place
    // reached in each, a queue of each list's next need in book order, and the list of the need
    // the walk gave last.
    private readonly List<(List<RestingNeed> Needs, int At)> walk = [];
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
    public SortedBlockList<RestingNeed>.Enumerator GetEnumerator() => inOrder.GetEnumerator();

    IEnumerator<RestingNeed> IEnumerable<RestingNeed>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Opens a need and puts it in the book.</summary>
    public void Add(RestingNeed need)
    {
        byId.Add(need.Id, need);
        PutBack(need);
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

    /// <summary>Puts an open need (back) in the book and its window's list, at its place in book order.</summary>
    public void PutBack(RestingNeed need)
    {
        inOrder.Add(need);
        need.InBook = true;
        var window = (need.Window.StartTicks, need.Window.EndTicks);
        if (!byWindow.TryGetValue(window, out var list))
        {
            list = [];
            byWindow.Add(window, list);
            windows.Add(window);
        }

        InOrder(list, need);
    }

    /// <summary>Takes a need out of the book and its window's list; it stays open (filled, cancelled or negotiating is the caller's business).</summary>
    public void TakeOutOfBook(RestingNeed need)
    {
        if (!inOrder.Remove(need))
        {
            throw new InvalidOperationException($"{need} is not in the book");
        }

        need.InBook = false;
        var window = (need.Window.StartTicks, need.Window.EndTicks);
        var list = byWindow[window];
        list.RemoveAt(IndexOf(list, need));
        if (list.Count == 0)
        {
            byWindow.Remove(window);
            windows.Remove(window);
        }
    }

    /// <summary>The needs in the book that bid below <paramref name="ask"/>, in book order (highest bid first); valid until the book next changes.</summary>
    public SortedBlockList<RestingNeed>.Enumerator BidsBelow(Price ask) => inOrder.From(ask, static (need, ask) => need.Bid >= ask);

    /// <summary>
    /// Starts a walk, in book order, over the needs in the book whose whole window lies in
    /// <c>[start, end)</c> (none when either is null): it merges their windows' lists, each by its
    /// first need. Needs may leave the book during the walk (<see cref="StepWalk"/> says when the
    /// one it gave did); none may join. <see cref="EndWalk"/> ends it.
    /// </summary>
    public void StartWalk(long? start, long? end)
    {
        EndWalk();
        if (start is not { } from || end is not { } to || to <= from)
        {
            return;
        }

        // Only windows that start in [from, to) can lie within it; of those, the ones that end by to.
        foreach (var window in windows.GetViewBetween((from, long.MinValue), (to - 1, long.MaxValue)))
        {
            if (window.End <= to)
            {
                var list = byWindow[window];
                walkOrder.Enqueue(walk.Count, list[0]);
                walk.Add((list, 0));
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
    /// Moves the walk on from the need it gave last: past it when it stays in the book, or, when it
    /// left the book (<paramref name="left"/>), to the need that took its place in its window's list.
    /// </summary>
    public void StepWalk(bool left)
    {
        var (list, at) = walk[walkAt];
        at += left ? 0 : 1;
        walk[walkAt] = (list, at);
        if (at < list.Count)
        {
            walkOrder.Enqueue(walkAt, list[at]);
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
    /// a need in book order or a window's list that is not open under its id or not marked in the
    /// book, an open need out of the book that no negotiation holds (or one in it that a negotiation
    /// does), a list out of bid-then-time order, a window's list under another window or empty, the
    /// lists not holding the book's needs once each, an open need with nothing left to fill, or a
    /// walk left under way.
    /// </summary>
    public void CheckInvariants()
    {
        if (walk.Count > 0 || walkOrder.Count > 0)
        {
            Fail("a walk over the window lists was left under way");
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
        inOrder.CheckInvariants("need book, book order");
        var listed = 0;
        foreach (var (window, list) in byWindow)
        {
            if (list.Count == 0)
            {
                Fail($"the list of window [{Window.Format(window.Start)}, {Window.Format(window.End)}) is empty");
            }

            CheckList(list, "its window's list");
            foreach (var need in list)
            {
                if ((need.Window.StartTicks, need.Window.EndTicks) != window)
                {
                    Fail($"{need} is listed under the window [{Window.Format(window.Start)}, {Window.Format(window.End)})");
                }
            }

            listed += list.Count;
        }

        if (listed != inOrder.Count)
        {
            Fail($"{listed} needs are listed by window but {inOrder.Count} are in book order");
        }

        if (windows.Count != byWindow.Count || windows.Any(w => !byWindow.ContainsKey(w)))
        {
            Fail($"the windows in order of start ({windows.Count}) are not the windows with lists ({byWindow.Count})");
        }

        foreach (var need in inOrder)
        {
            if (!byWindow.TryGetValue((need.Window.StartTicks, need.Window.EndTicks), out var list) || list.BinarySearch(need, NeedOrder.Instance) < 0)
            {
                Fail($"{need} is in the book but not in its window's list");
            }
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

    /// <summary>Puts a need into a list kept in book order (sequences are unique, so it has one place).</summary>
    private static void InOrder(List<RestingNeed> needsInOrder, RestingNeed need) =>
        needsInOrder.Insert(~needsInOrder.BinarySearch(need, NeedOrder.Instance), need);

    private static int IndexOf(List<RestingNeed> needsInOrder, RestingNeed need)
    {
        var at = needsInOrder.BinarySearch(need, NeedOrder.Instance);
        return at >= 0 ? at : throw new InvalidOperationException($"{need} is not in the book");
    }
}
