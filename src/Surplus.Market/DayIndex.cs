namespace Surplus.Market;

/// <summary>
/// Resting offers by the UTC days their availability touches, each day's list kept in book order.
/// An offer that can serve every instant of a window is listed under every day the window
/// touches, so a need only has to scan the shortest of those lists, in the same order as the
/// whole book, to meet exactly the offers it would have met there (see docs/capacity.md).
/// The lists may hold more than can serve a window (an offer is listed for a whole day, and
/// stays listed after it sold out); the caller still checks capacity. The days an offer is listed
/// under are kept on the offer itself (<see cref="RestingOffer.FirstDay"/>, <see cref="RestingOffer.LastDay"/>).
/// Not thread-safe: owned by one engine.
/// </summary>
internal sealed class DayIndex
{
    private readonly Dictionary<long, SortedBlockList<OfferKey, RestingOffer>> days = [];
    private long firstDay = long.MaxValue;

    /// <summary>Lists <paramref name="offer"/> under every day that <c>[startTicks, endTicks)</c> touches; listing it twice is harmless.</summary>
    public void Add(RestingOffer offer, long startTicks, long endTicks)
    {
        long first = DayOf(startTicks), last = DayOf(endTicks - 1);
        for (var day = first; day <= last; day++)
        {
            if (!days.TryGetValue(day, out var list))
            {
                list = new SortedBlockList<OfferKey, RestingOffer>();
                days.Add(day, list);
                firstDay = Math.Min(firstDay, day);
            }

            list.Add(offer.Key, offer);
        }

        offer.FirstDay = Math.Min(offer.FirstDay, first);
        offer.LastDay = Math.Max(offer.LastDay, last);
    }

    /// <summary>Takes <paramref name="offer"/> out of every day it is listed under. Its place in the book order must not have changed since it was added.</summary>
    public void Remove(RestingOffer offer)
    {
        for (var day = Math.Max(offer.FirstDay, firstDay); day <= offer.LastDay; day++)
        {
            if (days.TryGetValue(day, out var list))
            {
                list.Remove(offer.Key);
            }
        }

        offer.FirstDay = long.MaxValue;
        offer.LastDay = long.MinValue;
    }

    /// <summary>
    /// The offers that may serve every instant of <c>[startTicks, endTicks)</c>, in book order:
    /// the shortest list among the days the window touches, or none when a day has no list.
    /// Valid until the index next changes.
    /// </summary>
    public SortedBlockList<OfferKey, RestingOffer>.Enumerator Candidates(long startTicks, long endTicks)
    {
        SortedBlockList<OfferKey, RestingOffer>? shortest = null;
        for (long day = DayOf(startTicks), last = DayOf(endTicks - 1); day <= last; day++)
        {
            if (!days.TryGetValue(day, out var list))
            {
                return default;
            }

            if (shortest is null || list.Count < shortest.Count)
            {
                shortest = list;
            }
        }

        return shortest?.GetEnumerator() ?? default;
    }

    /// <summary>Forgets the days before the one holding <paramref name="tick"/>: nothing there can be sold any more.</summary>
    public void DropBefore(long tick)
    {
        var today = DayOf(tick);
        for (; firstDay < today; firstDay++)
        {
            days.Remove(firstDay);
        }
    }

    /// <summary>
    /// Throws <see cref="InvalidOperationException"/> when the index does not list exactly
    /// <paramref name="members"/>: an offer missing under a day (from the first kept) that its
    /// availability touches, an offer listed that is not a member or outside the days it is known
    /// under, or a day's list out of order.
    /// </summary>
    public void CheckInvariants(IEnumerable<RestingOffer> members)
    {
        var open = new HashSet<RestingOffer>(members, ReferenceEqualityComparer.Instance);
        foreach (var offer in open)
        {
            // An offer with no availability left (a recurring one between its expansions) is listed nowhere.
            foreach (var w in offer.Availability)
            {
                for (long day = Math.Max(DayOf(w.StartTicks), firstDay), last = DayOf(w.EndTicks - 1); day <= last; day++)
                {
                    if (day < offer.FirstDay || day > offer.LastDay || !IsListed(offer, day))
                    {
                        Fail($"{offer} can serve day {day} ({Window.Format(day * TimeSpan.TicksPerDay)}) but is not listed under it");
                    }
                }
            }
        }

        foreach (var (day, list) in days)
        {
            if (day < firstDay)
            {
                Fail($"day {day} is kept, before the first day {firstDay}");
            }

            list.CheckInvariants($"day index, day {day}", o => o.Key);
            foreach (var offer in list)
            {
                if (!open.Contains(offer))
                {
                    Fail($"{offer} is listed under day {day} but not open");
                }

                if (day < offer.FirstDay || day > offer.LastDay)
                {
                    Fail($"{offer} is listed under day {day}, which is not among the days it is known under");
                }
            }
        }
    }

    private bool IsListed(RestingOffer offer, long day) =>
        days.TryGetValue(day, out var list) && ReferenceEquals(list.Find(offer.Key), offer);

    private static void Fail(string message) => throw new InvalidOperationException($"day index: {message}");

    private static long DayOf(long ticks) => ticks / TimeSpan.TicksPerDay;
}
