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
    // The segments in order, in one array of (start, spare) pairs sized as they come: a window's
    // profile is two segments, and a profile holds only what it has (see docs/capacity.md).
    private CapacitySegment[] segments = [];
    private int count;

    /// <summary>The segments in order; the last one is always zero.</summary>
    public IReadOnlyList<CapacitySegment> Segments => Span.ToArray();

    /// <summary>How many segments the profile holds.</summary>
    public int SegmentCount => count;

    private Span<CapacitySegment> Span => segments.AsSpan(0, count);

    /// <summary>Rebuilds a profile from its segments (as <see cref="Segments"/> gave them).</summary>
    public static CapacityProfile FromSegments(IEnumerable<CapacitySegment> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var profile = new CapacityProfile();
        if (segments.TryGetNonEnumeratedCount(out var known))
        {
            profile.segments = new CapacitySegment[known];
        }

        foreach (var segment in segments)
        {
            if (profile.count > 0 && segment.StartTicks <= profile.segments[profile.count - 1].StartTicks)
            {
                throw new ArgumentException("segments must be in increasing order of start", nameof(segments));
            }

            if (segment.Spare < 0)
            {
                throw new ArgumentException("spare capacity is never negative", nameof(segments));
            }

            profile.InsertAt(profile.count, segment);
        }

        if (profile.count > 0 && profile.segments[profile.count - 1].Spare != 0)
        {
            throw new ArgumentException("the last segment must be zero", nameof(segments));
        }

        return profile;
    }

    /// <summary>The spare capacity at one instant.</summary>
    public long SpareAt(long tick)
    {
        var i = SegmentAt(tick);
        return i < 0 ? 0 : segments[i].Spare;
    }

    /// <summary>The least spare capacity at any instant of <c>[startTicks, endTicks)</c>: what can be sold over the whole window.</summary>
    public long MinSpare(long startTicks, long endTicks)
    {
        var i = SegmentAt(startTicks);
        if (i < 0)
        {
            return 0;
        }

        var ss = Span;
        var min = ss[i].Spare;
        for (var j = i + 1; min > 0 && j < ss.Length && ss[j].StartTicks < endTicks; j++)
        {
            if (ss[j].Spare < min)
            {
                min = ss[j].Spare;
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
        var ss = Span;
        for (var i = Math.Max(0, SegmentAt(startTicks)); i + 1 < ss.Length && ss[i].StartTicks < endTicks; i++)
        {
            if (ss[i].Spare > 0)
            {
                visit(ref state, ss[i].StartTicks, ss[i + 1].StartTicks, ss[i].Spare);
            }
        }
    }

    /// <summary>The most spare capacity at any instant; zero means nothing is left to sell.</summary>
    public long MaxSpare()
    {
        long max = 0;
        foreach (ref readonly var s in Span)
        {
            if (s.Spare > max)
            {
                max = s.Spare;
            }
        }

        return max;
    }

    /// <summary>The first instant with spare capacity, or null when there is none.</summary>
    public long? StartOfAvailability()
    {
        foreach (ref readonly var s in Span)
        {
            if (s.Spare > 0)
            {
                return s.StartTicks;
            }
        }

        return null;
    }

    /// <summary>The last instant with spare capacity ends here, or null when there is none.</summary>
    public long? EndOfAvailability()
    {
        var ss = Span;
        for (var i = ss.Length - 1; i >= 0; i--)
        {
            if (ss[i].Spare > 0)
            {
                return i + 1 < ss.Length ? ss[i + 1].StartTicks : null;
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
            segments[i] = segments[i] with { Spare = segments[i].Spare - amount };
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
            segments[i] = segments[i] with { Spare = segments[i].Spare + amount };
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
            segments[i] = segments[i] with { Spare = spare };
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

        if (segments[i].StartTicks < tick)
        {
            segments[i] = segments[i] with { StartTicks = tick };
        }

        if (segments[i].Spare == 0)
        {
            i++;
        }

        RemoveRange(0, i);
    }

    private int SegmentAt(long tick)
    {
        // A binary search over the starts: the segments are in increasing order of start.
        var ss = Span;
        int lo = 0, hi = ss.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var start = ss[mid].StartTicks;
            if (start == tick)
            {
                return mid;
            }

            if (start < tick)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo - 1;
    }

    /// <summary>Makes sure a segment starts at <paramref name="tick"/> and returns its index.</summary>
    private int Split(long tick)
    {
        var i = SegmentAt(tick);
        if (i >= 0 && segments[i].StartTicks == tick)
        {
            return i;
        }

        var at = i + 1;
        var value = at == 0 || at == count ? 0 : segments[at - 1].Spare;
        InsertAt(at, new CapacitySegment(tick, value));
        return at;
    }

    private void InsertAt(int at, CapacitySegment segment)
    {
        if (count == segments.Length)
        {
            // Two segments make a window: start there, then double.
            Array.Resize(ref segments, count == 0 ? 2 : count * 2);
        }

        Array.Copy(segments, at, segments, at + 1, count - at);
        segments[at] = segment;
        count++;
    }

    private void RemoveRange(int at, int length)
    {
        if (length <= 0)
        {
            return;
        }

        Array.Copy(segments, at + length, segments, at, count - at - length);
        count -= length;
        Array.Clear(segments, count, length);
    }

    /// <summary>Joins equal neighbours around <c>[first, last]</c> and trims zero segments at the front.</summary>
    private void Merge(int first, int last)
    {
        var from = Math.Max(first, 1);
        var to = Math.Min(last + 1, count - 1);
        for (var i = to; i >= from; i--)
        {
            if (segments[i].Spare == segments[i - 1].Spare)
            {
                RemoveRange(i, 1);
            }
        }

        var zeros = 0;
        while (zeros < count && segments[zeros].Spare == 0)
        {
            zeros++;
        }

        RemoveRange(0, zeros);
    }
}
