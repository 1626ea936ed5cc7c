using System.Diagnostics;
using System.Runtime;

namespace Surplus.LoadGenerator;

/// <summary>
/// What the process has spent so far: CPU, allocations, collections, JIT compilation. The
/// difference over a run is robust to other load on the machine where wall-clock figures are not.
/// </summary>
internal sealed record RuntimeCosts(TimeSpan Cpu, long Allocated, int Gen0, int Gen1, int Gen2, TimeSpan GcPause, long JitMethods, TimeSpan JitTime, long DiskWritten)
{
    public static RuntimeCosts Now()
    {
        using var process = Process.GetCurrentProcess();
        return new RuntimeCosts(
            process.TotalProcessorTime, GC.GetTotalAllocatedBytes(precise: false),
            GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(),
            JitInfo.GetCompiledMethodCount(), JitInfo.GetCompilationTime(), DiskWrittenBytes());
    }

    /// <summary>Bytes this process has caused to be written to the disk (the kernel's <c>write_bytes</c>; 0 where there is none).</summary>
    private static long DiskWrittenBytes()
    {
        const string Io = "/proc/self/io";
        if (!File.Exists(Io))
        {
            return 0;
        }

        var line = File.ReadLines(Io).FirstOrDefault(l => l.StartsWith("write_bytes:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line["write_bytes:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static RuntimeCosts operator -(RuntimeCosts after, RuntimeCosts before)
    {
        ArgumentNullException.ThrowIfNull(after);
        ArgumentNullException.ThrowIfNull(before);
        return new(after.Cpu - before.Cpu, after.Allocated - before.Allocated, after.Gen0 - before.Gen0, after.Gen1 - before.Gen1,
            after.Gen2 - before.Gen2, after.GcPause - before.GcPause, after.JitMethods - before.JitMethods, after.JitTime - before.JitTime,
            after.DiskWritten - before.DiskWritten);
    }
}
