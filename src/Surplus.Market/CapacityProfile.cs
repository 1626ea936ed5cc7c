using System.Runtime.InteropServices;

namespace Surplus.Market;

/// <summary>From <paramref name="StartTicks"/> (UTC ticks) until the next segment, <paramref name="Spare"/> units are unsold.</summary>
public readonly record struct CapacitySegment(long StartTicks, long Spare);

/// <summary>Called by <see cref="CapacityProfile.VisitSpare"/> for each segment with spare units: <c>[startTicks, endTicks)</c> holds <paramref name="spare"/>.</summary>
public delegate void SpareVisitor<TState>(ref TState state, long startTicks, long endTicks, long spare)
    where TState : allows ref struct;

/// <summary>
/// An offer's spare capacity over time as a step function: a sorted list of breakpoints, each
/// starting a segment of constant spare capacity that lasts until the next breakpoint. Before
/// the first breakpoint and after the last segment the spare capacity is zero. Queries and
/// changes over a window cost a binary search plus the segments inside the window, and the
/// size grows with the number of distinct fills and occurrences, never with the number of
/// slots (see docs/capacity.md). Not thread-safe: owned by one engine.
/// </summary>
public sealed class CapacityProfile
{
    private readonly List<long> starts = [];
    private readonly List<long> values = [];

    /// <summary>The segments in order; the last one is always zero.</summary>
    public IReadOnlyList<CapacitySegment> Segments
    {
        get
        {
            var segments = new CapacitySegment[starts.Count];
            for (var i = 0; i < segments.Length; i++)
            {
                segments[i] = new CapacitySegment(starts[i], values[i]);
            }

            return segments;
        }
    }

    /// <summary>How many segments the profile holds.</summary>
    public int SegmentCount => starts.Count;

    /// <summary>Rebuilds a profile from its segments (as <see cref="Segments"/> gave them).</summary>
    public static CapacityProfile FromSegments(IEnumerable<CapacitySegment> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var profile = new CapacityProfile();
        foreach (var (start, spare) in segments)
        {
            if (profile.starts.Count > 0 && start <= profile.starts[^1])
            {
                throw new ArgumentException("segments must be in increasing order of start", nameof(segments));
            }

            if (spare < 0)
            {
                throw new ArgumentException("spare capacity is never negative", nameof(segments));
            }

            profile.starts.Add(start);
            profile.values.Add(spare);
        }

        if (profile.values.Count > 0 && profile.values[^1] != 0)
        {
            throw new ArgumentException("the last segment must be zero", nameof(segments));
        }

        return profile;
    }

    /// <summary>The spare capacity at one instant.</summary>
    public long SpareAt(long tick)
    {
        var i = SegmentAt(tick);
        return i < 0 ? 0 : values[i];
    }

    /// <summary>The least spare capacity at any instant of <c>[startTicks, endTicks)</c>: what can be sold over the whole window.</summary>
    public long MinSpare(long startTicks, long endTicks)
    {
        var i = SegmentAt(startTicks);
        if (i < 0)
        {
            return 0;
        }

        var vs = CollectionsMarshal.AsSpan(values);
        var ss = CollectionsMarshal.AsSpan(starts);
        var min = vs[i];
        for (var j = i + 1; min > 0 && j < ss.Length && ss[j] < endTicks; j++)
        {
            if (vs[j] < min)
            {
                min = vs[j];
            }
        }

        return min;
    }

    /// <summary>
    /// Calls <paramref name="visit"/> with each segment of spare capacity that overlaps
    /// <c>[startTicks, endTicks)</c> (its own start, end and spare units, not clipped): a binary search
    /// and the segments inside the range, with nothing allocated.
    /// </summary>
    public void VisitSpare<TState>(long startTicks, long endTicks, ref TState state, SpareVisitor<TState> visit)
        where TState : allows ref struct
    {
        ArgumentNullException.ThrowIfNull(visit);
        var ss = CollectionsMarshal.AsSpan(starts);
        var vs = CollectionsMarshal.AsSpan(values);
        for (var i = Math.Max(0, SegmentAt(startTicks)); i + 1 < ss.Length && ss[i] < endTicks; i++)
        {
            if (vs[i] > 0)
            {
                visit(ref state, ss[i], ss[i + 1], vs[i]);
            }
        }
    }

    /// <summary>The most spare capacity at any instant; zero means nothing is left to sell.</summary>
    public long MaxSpare()
    {
        long max = 0;
        foreach (var v in CollectionsMarshal.AsSpan(values))
        {
            if (v > max)
            {
                max = v;
            }
        }

        return max;
    }

    /// <summary>The first instant with spare capacity, or null when there is none.</summary>
    public long? StartOfAvailability()
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] > 0)
            {
                return starts[i];
            }
        }

        return null;
    }

    /// <summary>The last instant with spare capacity ends here, or null when there is none.</summary>
    public long? EndOfAvailability()
    {
        for (var i = values.Count - 1; i >= 0; i--)
        {
            if (values[i] > 0)
            {
                return i + 1 < starts.Count ? starts[i + 1] : null;
            }
        }

        return null;
    }

    /// <summary>Takes <paramref name="amount"/> out of every instant of the window (step 356). The window must have that much spare everywhere.</summary>
    public void Subtract(long startTicks, long endTicks, long amount)
    {
        if (amount <= 0 || MinSpare(startTicks, endTicks) < amount)
        {
            throw new InvalidOperationException($"cannot take {amount} from {new Window(startTicks, endTicks)}: not that much spare");
        }

        var first = Split(startTicks);
        var last = Split(endTicks);
        for (var i = first; i < last; i++)
        {
            values[i] -= amount;
        }

        Merge(first, last);
    }

    /// <summary>Gives <paramref name="amount"/> back to every instant of the window (a lock that ended without a trade).</summary>
    public void Add(long startTicks, long endTicks, long amount)
    {
        if (amount <= 0 || endTicks <= startTicks)
        {
            throw new ArgumentOutOfRangeException(nameof(amount), "a positive amount over a window with an end after its start");
        }

        var first = Split(startTicks);
        var last = Split(endTicks);
        for (var i = first; i < last; i++)
        {
            values[i] += amount;
        }

        Merge(first, last);
    }

    /// <summary>Sets the spare capacity of every instant of the window to <paramref name="spare"/> (new availability).</summary>
    public void Set(long startTicks, long endTicks, long spare)
    {
        if (endTicks <= startTicks || spare < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(spare), "a window with an end after its start, and spare capacity of zero or more");
        }

        var first = Split(startTicks);
        var last = Split(endTicks);
        for (var i = first; i < last; i++)
        {
            values[i] = spare;
        }

        Merge(first, last);
    }

    /// <summary>Forgets everything before <paramref name="tick"/>: the past cannot be sold.</summary>
    public void DropBefore(long tick)
    {
        var i = SegmentAt(tick);
        if (i < 0)
        {
            return;
        }

        if (starts[i] < tick)
        {
            starts[i] = tick;
        }

        if (values[i] == 0)
        {
            i++;
        }

        starts.RemoveRange(0, i);
        values.RemoveRange(0, i);
    }

    private int SegmentAt(long tick)
    {
        var i = CollectionsMarshal.AsSpan(starts).BinarySearch(tick);
        return i >= 0 ? i : ~i - 1;
    }

    /// <summary>Makes sure a segment starts at <paramref name="tick"/> and returns its index.</summary>
    private int Split(long tick)
    {
        var found = CollectionsMarshal.AsSpan(starts).BinarySearch(tick);
        if (found >= 0)
        {
            return found;
        }

        var at = ~found;
        var value = at == 0 || at == starts.Count ? 0 : values[at - 1];
        starts.Insert(at, tick);
        values.Insert(at, value);
        return at;
    }

    /// <summary>Joins equal neighbours around <c>[first, last]</c> and trims zero segments at the front.</summary>
    private void Merge(int first, int last)
    {
        var from = Math.Max(first, 1);
        var to = Math.Min(last + 1, starts.Count - 1);
        for (var i = to; i >= from; i--)
        {
            if (values[i] == values[i - 1])
            {
                starts.RemoveAt(i);
                values.RemoveAt(i);
            }
        }

        while (starts.Count > 0 && values[0] == 0)
        {
            starts.RemoveAt(0);
            values.RemoveAt(0);
        }
    }
}
