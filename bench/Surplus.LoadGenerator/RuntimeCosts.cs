using System.Diagnostics;
using System.Runtime;

namespace Surplus.LoadGenerator;

/// <summary>
/// What the process has spent so far: CPU, allocations, collections, JIT compilation. The
/// difference over a run is robust to other load on the machine where wall-clock figures are not.
/// <see cref="WriterCpu"/> and <see cref="WriterWaiting"/> are the store writer's thread alone: the
/// time it ran on a core and the time it was ready to run but waited for one (the kernel's
/// <c>schedstat</c>), since that one thread sets the exchange's pace.
/// </summary>
internal sealed record RuntimeCosts(
    TimeSpan Cpu, long Allocated, int Gen0, int Gen1, int Gen2, TimeSpan GcPause, long JitMethods, TimeSpan JitTime, long DiskWritten,
    TimeSpan WriterCpu, TimeSpan WriterWaiting)
{
    /// <summary>The writer thread's name as the kernel keeps it (the first 15 characters).</summary>
    private const string WriterThread = "Surplus store w";

    public static RuntimeCosts Now()
    {
        using var process = Process.GetCurrentProcess();
        var (writerCpu, writerWaiting) = WriterSchedule();
        return new RuntimeCosts(
            process.TotalProcessorTime, GC.GetTotalAllocatedBytes(precise: false),
            GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(),
            JitInfo.GetCompiledMethodCount(), JitInfo.GetCompilationTime(), DiskWrittenBytes(), writerCpu, writerWaiting);
    }

    /// <summary>The live store writers' time on a core and waiting for one (zero where the kernel does not say).</summary>
    private static (TimeSpan Running, TimeSpan Waiting) WriterSchedule()
    {
        const string Tasks = "/proc/self/task";
        if (!Directory.Exists(Tasks))
        {
            return default;
        }

        long running = 0, waiting = 0;
        foreach (var task in Directory.EnumerateDirectories(Tasks))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd() != WriterThread)
                {
                    continue;
                }

                var fields = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ');
                running += long.Parse(fields[0], System.Globalization.CultureInfo.InvariantCulture);
                waiting += long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // The thread ended while it was read.
            }
        }

        return (TimeSpan.FromTicks(running / 100), TimeSpan.FromTicks(waiting / 100));
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
            after.DiskWritten - before.DiskWritten, after.WriterCpu - before.WriterCpu, after.WriterWaiting - before.WriterWaiting);
    }
}
