using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Surplus.LoadGenerator;

/// <summary>
/// Each stop of the world the garbage collector made, from the runtime's own events: the
/// suspension's start to the restart's end, with the generation collected and why. The
/// process-wide total alone cannot tell ten 1 ms pauses from one 10 ms pause, and only the
/// second shows in a latency tail.
/// </summary>
internal sealed class GcPauses : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const int GcStart = 1;
    private const int RestartEnd = 3;
    private const int SuspendBegin = 9;
    private const int SuspendEnd = 8;
    private const int HeapStats = 4;

    private readonly ConcurrentQueue<GcPause> pauses = new();
    private DateTime suspended;
    private TimeSpan suspending;
    private long promoted;
    private string collection = "";

    /// <summary>The pauses so far, oldest first.</summary>
    public IReadOnlyList<GcPause> Pauses => [.. pauses];

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Informational, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        switch (eventData.EventId)
        {
            case SuspendBegin:
                suspended = eventData.TimeStamp;
                suspending = TimeSpan.Zero;
                promoted = 0;
                collection = "";
                break;
            case HeapStats when eventData.Payload is { Count: >= 4 } stats:
                // What the collection kept: the bytes it promoted out of generations 0 and 1.
                promoted = Convert.ToInt64(stats[1], System.Globalization.CultureInfo.InvariantCulture)
                    + Convert.ToInt64(stats[3], System.Globalization.CultureInfo.InvariantCulture);
                break;
            case SuspendEnd when suspended != default:
                suspending = eventData.TimeStamp - suspended;
                break;
            case GcStart when eventData.Payload is { Count: >= 4 } payload:
                collection = $"gen{payload[1]} {(GcType)Convert.ToInt32(payload[3], System.Globalization.CultureInfo.InvariantCulture)} ({(GcReason)Convert.ToInt32(payload[2], System.Globalization.CultureInfo.InvariantCulture)})";
                break;
            case RestartEnd when suspended != default:
                pauses.Enqueue(new GcPause(suspended, eventData.TimeStamp - suspended, suspending, promoted, collection.Length > 0 ? collection : "no collection"));
                suspended = default;
                break;
        }
    }

    private enum GcType
    {
        Blocking = 0,
        Background = 1,
        BlockingDuringBackground = 2,
    }

    private enum GcReason
    {
        SmallAllocation = 0,
        Induced = 1,
        LowMemory = 2,
        Empty = 3,
        LargeAllocation = 4,
        OutOfSpaceSmall = 5,
        OutOfSpaceLarge = 6,
        InducedNotForced = 7,
        Stress = 8,
        InducedLowMemory = 9,
        InducedCompacting = 10,
        LowMemoryHost = 11,
        PinnedAllocation = 12,
        BackgroundAllocationCheck = 13,
    }
}

/// <summary>
/// One stop of the world: when it began, how long it lasted (of which stopping the threads took
/// <paramref name="Suspending"/>), the bytes it promoted, what the collector did in it.
/// </summary>
internal sealed record GcPause(DateTime At, TimeSpan Length, TimeSpan Suspending, long Promoted, string Collection);
