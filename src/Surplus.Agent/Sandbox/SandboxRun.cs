namespace Surplus.Agent.Sandbox;

/// <summary>Why a sandboxed run stopped.</summary>
public enum StopReason
{
    /// <summary>The program ended by itself (its exit code says how).</summary>
    Exit,

    /// <summary>The program used up its fuel budget (wasm).</summary>
    OutOfFuel,

    /// <summary>The deadline (the window's end, or the process time limit) came first.</summary>
    Deadline,

    /// <summary>The program was refused memory beyond its limit and could not go on.</summary>
    Memory,

    /// <summary>The program wrote more than the output cap to stdout or stderr.</summary>
    OutputLimit,

    /// <summary>The program's folder grew past its disk quota (the process runtime's watcher; a wasm job is refused the write instead).</summary>
    DiskQuota,

    /// <summary>The program trapped (a fault in the module: unreachable, out-of-bounds access, ...).</summary>
    Trap,

    /// <summary>The run was stopped from outside (the agent is shutting down).</summary>
    Cancelled,
}

/// <summary>What a run may use. Every limit applies; none is optional.</summary>
/// <param name="Fuel">The wasm fuel budget (about one unit per instruction); ignored by the process runtime.</param>
/// <param name="MemoryBytes">The most linear memory a wasm module may grow to; ignored by the process runtime.</param>
/// <param name="Deadline">The instant the run is stopped (the window's end).</param>
/// <param name="OutputBytes">The most bytes kept of stdout and of stderr each; a program writing more is stopped.</param>
/// <param name="DiskQuotaBytes">The most room the folders the program writes may take (wasm: a write past it fails with ENOSPC; process: RLIMIT_FSIZE and a watcher that stops it).</param>
/// <param name="MaxDescriptors">The most files the program may hold open (wasm: EMFILE past it; process: RLIMIT_NOFILE).</param>
public sealed record SandboxLimits(ulong Fuel, long MemoryBytes, DateTimeOffset Deadline, long OutputBytes, long DiskQuotaBytes = 1L << 30, int MaxDescriptors = 256);

/// <summary>One program to run: the module or command, its folders and its arguments.</summary>
/// <param name="Program">The wasm module's path (wasm), or the executable (process).</param>
/// <param name="InputFolder">Seen as <c>/in</c>, read-only (wasm); the process runtime gets its path in SURPLUS_IN.</param>
/// <param name="OutputFolder">Seen as <c>/out</c>, writable (wasm); the process's working folder.</param>
/// <param name="StdoutPath">Where stdout is kept (at most <see cref="SandboxLimits.OutputBytes"/>).</param>
/// <param name="StderrPath">Where stderr is kept (at most <see cref="SandboxLimits.OutputBytes"/>).</param>
/// <param name="Arguments">The program's arguments (without the program name).</param>
/// <param name="Environment">The program's whole environment; nothing of the agent's is passed on.</param>
public sealed record SandboxRequest(
    string Program,
    string InputFolder,
    string OutputFolder,
    string StdoutPath,
    string StderrPath,
    IReadOnlyList<string> Arguments,
    IReadOnlyDictionary<string, string> Environment);

/// <summary>How a run ended and what it used.</summary>
/// <param name="ExitCode">The program's exit code; when stopped by the sandbox, 128 + a small code per reason, as a shell would report a killed process.</param>
/// <param name="Reason">Why it stopped.</param>
/// <param name="Wall">Wall time from start to stop.</param>
/// <param name="FuelUsed">Fuel used (wasm only).</param>
/// <param name="PeakMemoryBytes">The linear memory's size at the end, which is its peak (wasm memory only grows); the process's peak working set for the process runtime when known.</param>
/// <param name="Detail">A one-line explanation for anything but a plain exit.</param>
/// <param name="Limits">The limits the program ran into without being stopped for them (refused writes past the disk quota, refused opens), one line each.</param>
public sealed record SandboxResult(int ExitCode, StopReason Reason, TimeSpan Wall, long? FuelUsed, long? PeakMemoryBytes, string? Detail, IReadOnlyList<string>? Limits = null);

/// <summary>A runtime that runs a buyer's program within limits.</summary>
public interface ISandbox
{
    /// <summary>Runs the program to its end or until a limit stops it. Never throws for anything the program does.</summary>
    Task<SandboxResult> RunAsync(SandboxRequest request, SandboxLimits limits, CancellationToken cancellationToken);
}

/// <summary>The exit codes reported for runs the sandbox stopped.</summary>
public static class StoppedExitCodes
{
    /// <summary>The exit code reported for a run stopped for <paramref name="reason"/>.</summary>
    public static int For(StopReason reason) => reason switch
    {
        StopReason.OutOfFuel => 128 + 24,   // as SIGXCPU: CPU budget exceeded
        StopReason.Deadline => 128 + 14,    // as SIGALRM
        StopReason.Memory => 128 + 6,       // as SIGABRT after a failed allocation
        StopReason.OutputLimit => 128 + 25, // as SIGXFSZ: file size limit exceeded
        StopReason.DiskQuota => 128 + 25,   // as SIGXFSZ too
        StopReason.Trap => 128 + 4,         // as SIGILL
        StopReason.Cancelled => 128 + 15,   // as SIGTERM
        _ => 0,
    };
}
