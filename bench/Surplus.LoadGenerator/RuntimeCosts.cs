using System.Diagnostics;
using System.Runtime;

namespace Surplus.LoadGenerator;

/// <summary>
/// What the process has spent so far: CPU, allocations, collections, JIT compilation. The
/// difference over a run is robust to other load on the machine where wall-clock figures are not.
/// </summary>
internal sealed record RuntimeCosts(TimeSpan Cpu, long Allocated, int Gen0, int Gen1, int Gen2, TimeSpan GcPause, long JitMethods, TimeSpan JitTime)
{
    public static RuntimeCosts Now()
    {
        using var process = Process.GetCurrentProcess();
        return new RuntimeCosts(
            process.TotalProcessorTime, GC.GetTotalAllocatedBytes(precise: false),
            GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(),
            JitInfo.GetCompiledMethodCount(), JitInfo.GetCompilationTime());
    }

    public static RuntimeCosts operator -(RuntimeCosts after, RuntimeCosts before)
    {
        ArgumentNullException.ThrowIfNull(after);
        ArgumentNullException.ThrowIfNull(before);
        return new(after.Cpu - before.Cpu, after.Allocated - before.Allocated, after.Gen0 - before.Gen0, after.Gen1 - before.Gen1,
            after.Gen2 - before.Gen2, after.GcPause - before.GcPause, after.JitMethods - before.JitMethods, after.JitTime - before.JitTime);
    }
}
