using System.Collections;

namespace Surplus.Market;

/// <summary>
/// The open offers of one market, held in three indexes that always hold the same offers: by id,
/// in book order (ask ascending, then time of entry: steps 344/346), and by the UTC days their
/// availability touches (<see cref="DayIndex"/>, so that a need scans only the offers of one
/// day, docs/capacity.md). Every change of membership, place or availability goes through this
/// class; <see cref="CheckInvariants"/> verifies what it keeps. Enumerates in book order. Not
/// thread-safe: owned by one engine.
/// </summary>
internal sealed class OfferBook : IReadOnlyCollection<RestingOffer>
{
    private readonly Dictionary<long, RestingOffer> byId = [];
    private readonly SortedBlockList<OfferKey, RestingOffer> inOrder = new();
    private readonly DayIndex days = new();

    /// <summary>How many offers are open.</summary>
    public int Count => inOrder.Count;

    /// <summary>The open offers in no particular order.</summary>
    public IEnumerable<RestingOffer> All => byId.Values;

    /// <summary>The open offer with this id, or null.</summary>
    public RestingOffer? Find(long id) => byId.TryGetValue(id, out var offer) ? offer : null;

    /// <summary>True when an offer with this id is open.</summary>
    public bool Contains(long id) => byId.ContainsKey(id);

    /// <summary>True when this very offer is open (an incoming offer is not, until it rests).</summary>
    public bool Holds(RestingOffer offer) => byId.TryGetValue(offer.Id, out var open) && ReferenceEquals(open, offer);

    /// <summary>The open offers in book order; the book must not change while it is walked.</summary>
    public SortedBlockList<OfferKey, RestingOffer>.Enumerator GetEnumerator() => inOrder.GetEnumerator();

    IEnumerator<RestingOffer> IEnumerable<RestingOffer>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// The offers that may serve every instant of <c>[startTicks, endTicks)</c>, in book order (see
    /// <see cref="DayIndex.Candidates"/>). Valid until the book next changes.
    /// </summary>
    public SortedBlockList<OfferKey, RestingOffer>.Enumerator Candidates(long startTicks, long endTicks) => days.Candidates(startTicks, endTicks);

    /// <summary>Makes room for <paramref name="count"/> offers by id, so that a book read back fills its index without growing it step by step.</summary>
    public void EnsureCapacity(int count) => byId.EnsureCapacity(count);

    /// <summary>Puts an offer in the book: by id, at its place in book order, and under the days of its availability.</summary>
    public void Add(RestingOffer offer)
    {
        byId.Add(offer.Id, offer);
        inOrder.Add(offer.Key, offer);
        foreach (var w in offer.Availability)
        {
            days.Add(offer, w.StartTicks, w.EndTicks);
        }
    }

    /// <summary>Takes an offer out of every index.</summary>
    public void Remove(RestingOffer offer)
    {
        byId.Remove(offer.Id);
        if (!inOrder.Remove(offer.Key))
        {
            throw new InvalidOperationException($"{offer} is not in the book");
        }

        days.Remove(offer);
    }

    /// <summary>Gives an open offer a new spec and sequence (a reprice), moving it to its new place in every index.</summary>
    public void Reprice(RestingOffer offer, OfferSpec spec, long sequence)
    {
        Remove(offer);
        offer.Spec = spec;
        offer.Sequence = sequence;
        Add(offer);
    }

    /// <summary>Adds <c>[startTicks, endTicks)</c> to an open offer's availability at its full rate, and lists it under those days.</summary>
    public void Extend(RestingOffer offer, long startTicks, long endTicks)
    {
        offer.Capacity.Set(startTicks, endTicks, offer.Spec.Rate.Value);
        offer.Availability = [.. offer.Availability, new Window(startTicks, endTicks)];
        days.Add(offer, startTicks, endTicks);
    }

    /// <summary>
    /// Forgets what lies before <paramref name="slotStart"/>: the days before it in the index, and
    /// each offer's capacity and availability there (a window already started now starts at
    /// <paramref name="slotStart"/>). An offer stays listed under days its trimmed availability no
    /// longer touches; the index remembers them and takes it out of them all when it leaves.
    /// </summary>
    public void DropBefore(long slotStart)
    {
        days.DropBefore(slotStart);
        foreach (var offer in inOrder)
        {
            offer.Capacity.DropBefore(slotStart);
            var windows = offer.Availability;
            var past = 0;
            while (past < windows.Length && windows[past].EndTicks <= slotStart)
            {
                past++;
            }

            if (past > 0)
            {
                offer.Availability = windows = windows[past..];
            }

            if (windows.Length > 0 && windows[0].StartTicks < slotStart)
            {
                windows[0] = new Window(slotStart, windows[0].EndTicks);
            }
        }
    }

    /// <summary>
    /// Throws <see cref="InvalidOperationException"/>, naming the offer, when the indexes disagree:
    /// the id index and the book hold different offers, the book is out of ask-then-time order (or
    /// holds an offer twice), or the day index misses a day of an offer's availability, lists an
    /// offer that is not open, or is out of book order.
    /// </summary>
    public void CheckInvariants()
    {
        if (byId.Count != inOrder.Count)
        {
            Fail($"{byId.Count} offers by id but {inOrder.Count} in book order");
        }

        RestingOffer? previous = null;
        foreach (var offer in inOrder)
        {
            if (!byId.TryGetValue(offer.Id, out var same) || !ReferenceEquals(same, offer))
            {
                Fail($"{offer} is in book order but not open under its id");
            }

            if (previous is not null && OfferOrder.Instance.Compare(previous, offer) >= 0)
            {
                Fail($"{offer} comes after {previous}: the book is out of ask-then-time order");
            }

            previous = offer;
        }

        inOrder.CheckInvariants("offer book, book order", o => o.Key);
        days.CheckInvariants(byId.Values);
    }

    private static void Fail(string message) => throw new InvalidOperationException($"offer book: {message}");
}
