using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;

namespace Surplus.LoadGenerator;

/// <summary>
/// Which types the process allocates, from the runtime's allocation ticks (one event per about
/// 100 KB allocated, naming the type whose allocation crossed it): over a run of many thousand
/// orders the samples give each type's share of the bytes, which is where a cut in allocation
/// has to come from. Verbose GC events cost the process a little: only on <c>--allocations</c>.
/// </summary>
internal sealed class AllocationSamples : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const int AllocationTick = 10;

    private readonly ConcurrentDictionary<string, long> bytes = new(StringComparer.Ordinal);
    private volatile bool listening = true;

    /// <summary>The bytes sampled per type so far.</summary>
    public IReadOnlyDictionary<string, long> Bytes => bytes;

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!listening || eventData.EventId != AllocationTick || eventData.Payload is not { } payload || eventData.PayloadNames is not { } names)
        {
            return;
        }

        var amount = names.IndexOf("AllocationAmount64") is var at and >= 0 ? Convert.ToInt64(payload[at], CultureInfo.InvariantCulture) : 0;
        var type = names.IndexOf("TypeName") is var t and >= 0 ? payload[t] as string ?? "?" : "?";
        bytes.AddOrUpdate(type, amount, (_, sum) => sum + amount);
    }

    /// <summary>Stops counting (the listener may still be handed events until it is disposed).</summary>
    public void Stop() => listening = false;

    /// <summary>The <paramref name="top"/> types by bytes, each as bytes per order of <paramref name="orders"/>.</summary>
    public string Report(string run, int orders, int top = 30)
    {
        var total = bytes.Values.Sum();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{run}: allocation sampled by type, {total / 1024.0 / Math.Max(1, orders):N1} KB per acknowledged order in all (the whole process: server, client and runtime):");
        text.AppendLine();
        text.AppendLine("| type | bytes per order | share |");
        text.AppendLine("|---|---:|---:|");
        foreach (var (type, sum) in bytes.OrderByDescending(p => p.Value).Take(top))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| `{type}` | {sum / (double)Math.Max(1, orders):N0} | {sum / (double)Math.Max(1, total):P1} |");
        }

        return text.ToString();
    }
}
