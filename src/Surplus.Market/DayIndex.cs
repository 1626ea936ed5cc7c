using System.Runtime.InteropServices;

namespace Surplus.Market;

/// <summary>
/// Resting orders by the UTC days their availability touches, each day's list kept in book order.
/// An order that can serve every instant of a window is listed under every day the window
/// touches, so a need only has to scan the shortest of those lists, in the same order as the
/// whole book, to meet exactly the orders it would have met there (see docs/capacity.md).
/// The lists may hold more than can serve a window (an order is listed for a whole day, and
/// stays listed after it sold out); the caller still checks capacity. Not thread-safe: owned
/// by one engine.
/// </summary>
internal sealed class DayIndex<T>(IComparer<T> order)
    where T : class
{
    private readonly Dictionary<long, List<T>> days = [];

    // The days each order is listed under, first to last, so that it can be taken out of all of
    // them even after its availability was trimmed.
    private readonly Dictionary<T, (long First, long Last)> spans = [];
    private long firstDay = long.MaxValue;

    /// <summary>Lists <paramref name="item"/> under every day that <c>[startTicks, endTicks)</c> touches; listing it twice is harmless.</summary>
    public void Add(T item, long startTicks, long endTicks)
    {
        long first = DayOf(startTicks), last = DayOf(endTicks - 1);
        for (var day = first; day <= last; day++)
        {
            if (!days.TryGetValue(day, out var list))
            {
                list = [];
                days.Add(day, list);
                firstDay = Math.Min(firstDay, day);
            }

            var at = list.BinarySearch(item, order);
            if (at < 0)
            {
                list.Insert(~at, item);
            }
        }

        spans[item] = spans.TryGetValue(item, out var span) ? (Math.Min(span.First, first), Math.Max(span.Last, last)) : (first, last);
    }

    /// <summary>Takes <paramref name="item"/> out of every day it is listed under. Its place in the book order must not have changed since it was added.</summary>
    public void Remove(T item)
    {
        if (!spans.Remove(item, out var span))
        {
            return;
        }

        for (var day = Math.Max(span.First, firstDay); day <= span.Last; day++)
        {
            if (days.TryGetValue(day, out var list))
            {
                var at = list.BinarySearch(item, order);
                if (at >= 0)
                {
                    list.RemoveAt(at);
                }
            }
        }
    }

    /// <summary>
    /// The orders that may serve every instant of <c>[startTicks, endTicks)</c>, in book order:
    /// the shortest list among the days the window touches, or none when a day has no list.
    /// Valid until the index next changes.
    /// </summary>
    public ReadOnlySpan<T> Candidates(long startTicks, long endTicks)
    {
        List<T>? shortest = null;
        for (long day = DayOf(startTicks), last = DayOf(endTicks - 1); day <= last; day++)
        {
            if (!days.TryGetValue(day, out var list))
            {
                return [];
            }

            if (shortest is null || list.Count < shortest.Count)
            {
                shortest = list;
            }
        }

        return CollectionsMarshal.AsSpan(shortest);
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
    /// <paramref name="members"/>: an order missing under a day (from the first kept) that one of
    /// its <paramref name="windows"/> touches, an order listed that is not a member or outside the
    /// days it is known under, or a day's list out of order.
    /// </summary>
    public void CheckInvariants(IReadOnlyCollection<T> members, Func<T, IReadOnlyList<Window>> windows)
    {
        var open = new HashSet<T>(members, ReferenceEqualityComparer.Instance);
        foreach (var item in spans.Keys)
        {
            if (!open.Contains(item))
            {
                Fail($"{item} is listed but not open");
            }
        }

        foreach (var item in members)
        {
            // An order with no availability left (a recurring one between its expansions) is listed nowhere.
            spans.TryGetValue(item, out var span);
            foreach (var w in windows(item))
            {
                for (long day = Math.Max(DayOf(w.StartTicks), firstDay), last = DayOf(w.EndTicks - 1); day <= last; day++)
                {
                    if (day < span.First || day > span.Last || !IsListed(item, day))
                    {
                        Fail($"{item} can serve day {day} ({Window.Format(day * TimeSpan.TicksPerDay)}) but is not listed under it");
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

            for (var i = 0; i < list.Count; i++)
            {
                if (!spans.TryGetValue(list[i], out var span) || day < span.First || day > span.Last)
                {
                    Fail($"{list[i]} is listed under day {day}, which is not among the days it is known under");
                }

                if (i > 0 && order.Compare(list[i - 1], list[i]) >= 0)
                {
                    Fail($"day {day} lists {list[i]} after {list[i - 1]}, out of book order");
                }
            }
        }
    }

    private bool IsListed(T item, long day)
    {
        if (!days.TryGetValue(day, out var list))
        {
            return false;
        }

        var at = list.BinarySearch(item, order);
        return at >= 0 && ReferenceEquals(list[at], item);
    }

    private static void Fail(string message) => throw new InvalidOperationException($"day index: {message}");

    private static long DayOf(long ticks) => ticks / TimeSpan.TicksPerDay;
}
