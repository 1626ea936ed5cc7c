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

    private static long DayOf(long ticks) => ticks / TimeSpan.TicksPerDay;
}
