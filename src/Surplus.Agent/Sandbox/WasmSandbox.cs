using Wasmtime;

namespace Surplus.Agent.Sandbox;

/// <summary>
/// Runs a WASI module under Wasmtime: fuel metering, a linear-memory limit, an epoch deadline at
/// the window's end, <c>/in</c> read-only and <c>/out</c> writable, no network (WASI preview 1
/// has no sockets to open), stdout and stderr kept up to a cap. One engine is shared by every run
/// (it is thread-safe); each run has its own store. Several runs may go on at once.
/// </summary>
public sealed class WasmSandbox : ISandbox, IDisposable
{
    /// <summary>How often the engine's epoch ticks; a stop takes effect within one tick.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);

    private readonly Engine engine;
    private readonly Module relay;
    private readonly TimeProvider time;

    /// <summary>Creates the sandbox with its engine.</summary>
    public WasmSandbox(TimeProvider time)
    {
        this.time = time;
        using var config = new Config().WithFuelConsumption(true).WithEpochInterruption(true);
        engine = new Engine(config);
        relay = Module.FromText(engine, "wasi-guard", WasiGuard.RelayText);
    }

    /// <inheritdoc/>
    public Task<SandboxResult> RunAsync(SandboxRequest request, SandboxLimits limits, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Run(request, limits, cancellationToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Checks that a file is a WebAssembly module this engine can compile; returns the reason when it is not.</summary>
    public string? Validate(string path)
    {
        try
        {
            using var module = Module.FromFile(engine, path);
            return null;
        }
        catch (WasmtimeException e)
        {
            return $"not a WebAssembly module this runtime can compile: {FirstLine(e.Message)}";
        }
    }

    /// <summary>
    /// Measures how much fuel this computer burns per second in one thread: a counting loop runs
    /// on a fuel budget and is timed. The agent derives each job's fuel budget from it.
    /// </summary>
    public long MeasureFuelPerSecond(ulong fuel = 200_000_000)
    {
        const string Spin = """
            (module
              (func (export "spin") (param $n i64) (local $i i64)
                (loop $again
                  (local.set $i (i64.add (local.get $i) (i64.const 1)))
                  (br_if $again (i64.lt_u (local.get $i) (local.get $n))))))
            """;
        using var module = Module.FromText(engine, "spin", Spin);
        using var store = new Store(engine);
        store.SetEpochDeadline(ulong.MaxValue / 2);
        store.Fuel = fuel;
        var instance = new Instance(store, module);
        var spin = instance.GetAction<long>("spin")!;
        var started = time.GetTimestamp();
        try
        {
            spin(long.MaxValue);
        }
        catch (TrapException e) when (e.Type == TrapCode.OutOfFuel)
        {
            // The budget is the measure.
        }

        var seconds = Math.Max(time.GetElapsedTime(started).TotalSeconds, 1e-3);
        return (long)((fuel - store.Fuel) / seconds);
    }

    private SandboxResult Run(SandboxRequest request, SandboxLimits limits, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        using var stop = new StopFlag();
        if (time.GetUtcNow() >= limits.Deadline)
        {
            return new SandboxResult(StoppedExitCodes.For(StopReason.Deadline), StopReason.Deadline, TimeSpan.Zero, 0, 0, "the deadline had passed before the run could start");
        }

        Module module;
        try
        {
            module = Module.FromFile(engine, request.Program);
        }
        catch (WasmtimeException e)
        {
            return new SandboxResult(StoppedExitCodes.For(StopReason.Trap), StopReason.Trap, time.GetElapsedTime(started), 0, 0,
                $"the program is not a WebAssembly module this runtime can compile: {FirstLine(e.Message)}");
        }

        using var moduleScope = module;
        using var stdout = new CappedOutput(request.StdoutPath, limits.OutputBytes, () => stop.Set(StopReason.OutputLimit, engine));
        using var stderr = new CappedOutput(request.StderrPath, limits.OutputBytes, () => stop.Set(StopReason.OutputLimit, engine));
        using var linker = new Linker(engine);
        linker.DefineWasi();
        using var store = new Store(engine);
        store.SetLimits(memorySize: limits.MemoryBytes, tableElements: 100_000, instances: 2, tables: 4, memories: 1);
        store.Fuel = limits.Fuel;
        store.SetWasiConfiguration(new WasiConfiguration()
            .WithArgs([Path.GetFileName(request.Program), .. request.Arguments])
            .WithEnvironmentVariables(request.Environment.Select(e => (e.Key, e.Value)))
            .WithStandardOutputCallback(data =>
            {
                if (!stdout.Write(data))
                {
                    throw new IOException("stdout cap reached");
                }
            })
            .WithStandardErrorCallback(data =>
            {
                if (!stderr.Write(data))
                {
                    throw new IOException("stderr cap reached");
                }
            })
            .WithPreopenedDirectory(request.InputFolder, "/in", false)
            .WithPreopenedDirectory(request.OutputFolder, "/out", true));
        var guard = new WasiGuard(request.OutputFolder, limits.DiskQuotaBytes, limits.MaxDescriptors, limits.Deadline, time, stop.Signal, r => stop.Set(r, engine));
        guard.Define(linker, store, relay);

        // The epoch ticks while the run lasts; at each tick the store checks for a stop and the deadline.
        store.SetEpochDeadline(1);
        store.SetEpochDeadlineCallback(_ =>
        {
            if (time.GetUtcNow() >= limits.Deadline)
            {
                stop.Set(StopReason.Deadline, null);
            }

            if (stop.Reason is not null)
            {
                throw new OperationCanceledException("stopped by the sandbox");
            }

            return 1;
        });
        using var ticker = time.CreateTimer(_ => engine.IncrementEpoch(), null, Tick, Tick);
        using var cancel = cancellationToken.Register(() => stop.Set(StopReason.Cancelled, engine));

        int exitCode = 0;
        string? detail = null;
        StopReason? trapped = null;
        Instance? instance = null;
        try
        {
            instance = linker.Instantiate(store, module);
            var start = instance.GetAction("_start")
                ?? throw new WasmtimeException("the module exports no _start function (is it a WASI command?)");
            start();
        }
        catch (WasmtimeException e) when (e.ExitCode is { } code)
        {
            exitCode = code;
        }
        catch (WasmtimeException e) when (stop.Reason is not null)
        {
            // The sandbox ended the run (the epoch callback or a guarded host call); the reason was recorded when the stop was asked for.
            _ = e;
        }
        catch (TrapException e) when (e.Type == TrapCode.OutOfFuel)
        {
            trapped = StopReason.OutOfFuel;
        }
        catch (TrapException e)
        {
            trapped = StopReason.Trap;
            detail = $"trap: {FirstLine(e.Message)}";
        }
        catch (WasmtimeException e)
        {
            trapped = StopReason.Trap;
            detail = FirstLine(e.Message);
        }

        var fuelUsed = (long)(limits.Fuel - store.Fuel);
        var peak = instance?.GetMemory("memory")?.GetLength();
        var wall = time.GetElapsedTime(started);

        // The sandbox's own stop wins: a flood of output trips the stream's writes before anything else.
        var reason = stop.Reason ?? trapped ?? StopReason.Exit;
        if (reason is StopReason.Trap or StopReason.Exit && exitCode != 0 || reason == StopReason.Trap)
        {
            // Wasmtime refuses a memory.grow past the limit without saying so; a program that then
            // failed with its memory at the limit ran out of memory.
            if (peak is { } p && p >= limits.MemoryBytes - Math.Max(limits.MemoryBytes / 10, 1 << 20))
            {
                reason = StopReason.Memory;
                detail = $"refused memory beyond the limit of {limits.MemoryBytes} bytes (reached {p})";
            }
        }

        if (reason != StopReason.Exit)
        {
            exitCode = StoppedExitCodes.For(reason);
            detail ??= reason switch
            {
                StopReason.OutOfFuel => $"used its whole fuel budget of {limits.Fuel}",
                StopReason.Deadline => $"still running at the deadline {limits.Deadline:O}",
                StopReason.OutputLimit => $"wrote more than {limits.OutputBytes} bytes to stdout or stderr",
                StopReason.Cancelled => "stopped: the agent is shutting down",
                _ => null,
            };
        }

        return new SandboxResult(exitCode, reason, wall, fuelUsed, peak, detail, guard.Notes);
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    /// <inheritdoc/>
    public void Dispose()
    {
        relay.Dispose();
        engine.Dispose();
    }

    /// <summary>The first reason to stop, set from any thread; <see cref="Signal"/> wakes a guarded host call that waits.</summary>
    private sealed class StopFlag : IDisposable
    {
        private readonly ManualResetEvent signal = new(false);
        private int reason = -1;

        public StopReason? Reason => Volatile.Read(ref reason) is var r and >= 0 ? (StopReason)r : null;

        public WaitHandle Signal => signal;

        public void Set(StopReason reason, Engine? engine)
        {
            if (Interlocked.CompareExchange(ref this.reason, (int)reason, -1) == -1)
            {
                signal.Set();
                engine?.IncrementEpoch();
            }
        }

        public void Dispose() => signal.Dispose();
    }
}
