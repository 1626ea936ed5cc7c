using Wasmtime;

namespace Surplus.Agent.Sandbox;

/// <summary>
/// Per-run limits on a WASI module's host calls, put in front of Wasmtime's own WASI functions by
/// shadowing them in the run's linker. Wasmtime bounds memory, fuel and time spent in the
/// module, but not what the module asks of the host: how much it writes to disk, how many files
/// it holds open, or how long it sleeps in <c>poll_oneoff</c> (an epoch deadline cannot interrupt
/// a host call). So:
/// <list type="bullet">
/// <item>Disk: every call that can make <c>/out</c> take more room (<c>fd_write</c>,
/// <c>fd_pwrite</c>, <c>fd_allocate</c>, <c>fd_filestat_set_size</c>, <c>path_open</c> with
/// create, <c>path_create_directory</c>, <c>path_symlink</c>, <c>path_link</c>) is counted
/// against the quota before it runs, conservatively (a new entry counts a block, a write its
/// whole length, a size its whole size, a write past a seek its end); when the count would pass
/// the quota the folder is measured again (<see cref="FolderUsage"/>), so rewriting one file does
/// not add up, and only when the real usage would pass it too does the call fail with
/// <c>ENOSPC</c>. The job sees a full disk; the agent and other jobs never do.</item>
/// <item>Descriptors: <c>path_open</c> past the most open files fails with <c>EMFILE</c>.</item>
/// <item>Sleeping: a <c>poll_oneoff</c> that waits only on clocks is waited out here, on the
/// run's stop signal, so the deadline, an output flood or the agent's shutdown ends it at once.
/// A poll on descriptors goes to Wasmtime (files are always ready, and stdin is empty).</item>
/// </list>
/// One guard serves one run; its calls come from the run's thread only.
/// </summary>
internal sealed class WasiGuard
{
    private const string Wasi = "wasi_snapshot_preview1";
    private const int Fault = 21;
    private const int TooManyFiles = 33;
    private const int NoSpace = 51;
    private const int MaxIovecs = 1024;
    private const int MaxSubscriptions = 4096;

    private readonly string folder;
    private readonly long quota;
    private readonly int maxOpen;
    private readonly DateTimeOffset deadline;
    private readonly TimeProvider time;
    private readonly WaitHandle stopped;
    private readonly Action<StopReason> stop;
    private readonly HashSet<int> open = [];
    private readonly HashSet<int> stdio = [0, 1, 2];
    private readonly Dictionary<int, long> position = [];
    private Function? clock;
    private long used;
    private int refusedWrites;
    private int refusedOpens;

    /// <summary>Creates the guard of one run.</summary>
    /// <param name="folder">The writable folder (<c>/out</c>) whose room is counted.</param>
    /// <param name="quota">Its most bytes, as <see cref="FolderUsage"/> counts them.</param>
    /// <param name="maxOpen">The most files and folders open at once.</param>
    /// <param name="deadline">When the run stops.</param>
    /// <param name="time">The clock.</param>
    /// <param name="stopped">Set when the run is to stop for any reason.</param>
    /// <param name="stop">Asks the run to stop.</param>
    public WasiGuard(string folder, long quota, int maxOpen, DateTimeOffset deadline, TimeProvider time, WaitHandle stopped, Action<StopReason> stop)
    {
        this.folder = folder;
        this.quota = quota;
        this.maxOpen = maxOpen;
        this.deadline = deadline;
        this.time = time;
        this.stopped = stopped;
        this.stop = stop;
        used = FolderUsage.Measure([folder], Entries(quota)).Bytes;
    }

    /// <summary>The limits the job ran into without being stopped, one line each.</summary>
    public IReadOnlyList<string> Notes
    {
        get
        {
            var notes = new List<string>();
            if (refusedWrites > 0)
            {
                notes.Add($"disk-quota: {refusedWrites} call(s) refused with ENOSPC past the job's disk quota of {quota} bytes (limits.diskQuotaBytes)");
            }

            if (refusedOpens > 0)
            {
                notes.Add($"descriptors: {refusedOpens} open(s) refused with EMFILE past {maxOpen} open files (limits.maxDescriptors)");
            }

            return notes;
        }
    }

    /// <summary>The WASI functions the guard stands in front of, with their parameters.</summary>
    private static readonly (string Name, ValueKind[] Parameters)[] Guarded =
    [
        ("fd_write", [I32, I32, I32, I32]),
        ("fd_pwrite", [I32, I32, I32, I64, I32]),
        ("fd_seek", [I32, I64, I32, I32]),
        ("fd_allocate", [I32, I64, I64]),
        ("fd_filestat_set_size", [I32, I64]),
        ("fd_close", [I32]),
        ("fd_renumber", [I32, I32]),
        ("path_open", [I32, I32, I32, I32, I32, I64, I64, I32, I32]),
        ("path_create_directory", [I32, I32, I32]),
        ("path_symlink", [I32, I32, I32, I32, I32]),
        ("path_link", [I32, I32, I32, I32, I32, I32, I32]),
        ("poll_oneoff", [I32, I32, I32, I32]),
        ("clock_time_get", [I32, I64, I32]),
    ];

    private const ValueKind I32 = ValueKind.Int32;
    private const ValueKind I64 = ValueKind.Int64;

    /// <summary>
    /// The relay module's text. WASI functions read and write the memory of the instance that
    /// calls them (its export "memory"), so a guard cannot call them from the host: it calls them
    /// through this small module instead, which imports the job's memory, exports it as its own,
    /// and passes each call on. One module serves every run of an engine.
    /// </summary>
    public static string RelayText
    {
        get
        {
            static string Types(ValueKind[] p) => string.Join(' ', p.Select(k => k == I64 ? "i64" : "i32"));
            var text = new System.Text.StringBuilder("(module\n  (import \"env\" \"memory\" (memory 0))\n");
            foreach (var (name, parameters) in Guarded)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"  (import \"wasi\" \"{name}\" (func ${name} (param {Types(parameters)}) (result i32)))\n");
            }

            text.Append("  (export \"memory\" (memory 0))\n");
            foreach (var (name, parameters) in Guarded)
            {
                var locals = string.Join(' ', Enumerable.Range(0, parameters.Length).Select(i => $"(local.get {i})"));
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"  (func (export \"{name}\") (param {Types(parameters)}) (result i32) (call ${name} {locals}))\n");
            }

            return text.Append(')').ToString();
        }
    }

    /// <summary>Shadows the guarded WASI functions in <paramref name="linker"/> (which already has WASI defined) for <paramref name="store"/>; <paramref name="relay"/> is the compiled <see cref="RelayText"/>.</summary>
    public void Define(Linker linker, Store store, Module relay)
    {
        var originals = Guarded.Select(g => (object)(linker.GetFunction(store, Wasi, g.Name) ?? throw new InvalidOperationException($"WASI has no {g.Name} to guard"))).ToArray();
        Dictionary<string, Function>? relayed = null;
        Function Relayed(Memory memory, string name)
        {
            if (relayed is null)
            {
                var instance = new Instance(store, relay, [memory, .. originals]);
                relayed = Guarded.ToDictionary(g => g.Name, g => instance.GetFunction(g.Name)!);
                clock = relayed["clock_time_get"];
            }

            return relayed[name];
        }

        Shadow[] shadows = [FdWrite, FdPwrite, FdSeek, FdAllocate, FdSetSize, FdClose, FdRenumber, PathOpen, NewEntry, NewEntry, NewEntry, PollOneoff];
        linker.AllowShadowing = true;
        for (var i = 0; i < shadows.Length; i++)
        {
            var (name, parameters) = Guarded[i];
            var shadow = shadows[i];
            linker.DefineFunction(Wasi, name, (Caller caller, ReadOnlySpan<ValueBox> args, Span<ValueBox> results) =>
                results[0] = caller.GetMemory("memory") is { } memory ? shadow(memory, args, Relayed(memory, name)) : Fault, parameters, [I32]);
        }

        linker.AllowShadowing = false;
    }

    private delegate int Shadow(Memory memory, ReadOnlySpan<ValueBox> args, Function original);

    private static int Call(Function original, ReadOnlySpan<ValueBox> args) => (int)original.Invoke(args)!;

    private static bool Within(Memory memory, int address, long length) => address >= 0 && length >= 0 && (long)(uint)address + length <= memory.GetLength();

    /// <summary>The bytes an iovec array asks to write; null when it does not lie in memory.</summary>
    private static long? Requested(Memory memory, int iovs, int count)
    {
        if (count is < 0 or > MaxIovecs || !Within(memory, iovs, count * 8L))
        {
            return null;
        }

        long total = 0;
        for (var i = 0; i < count; i++)
        {
            total += (uint)memory.ReadInt32(iovs + (i * 8) + 4);
        }

        return total;
    }

    /// <summary>Whether <paramref name="bytes"/> more fit in the quota, measuring the folder again before saying no.</summary>
    private bool Fits(long bytes)
    {
        if (bytes > quota)
        {
            return false;
        }

        if (used <= quota - bytes)
        {
            return true;
        }

        var (measured, complete) = FolderUsage.Measure([folder], Entries(quota));
        used = complete ? measured : Math.Max(used, measured);

        return used <= quota - bytes;
    }

    /// <summary>The most entries worth walking: past it the quota is passed anyway.</summary>
    internal static long Entries(long quota) => (quota / FolderUsage.Block) + 2;

    private void Charge(long bytes) => used = Math.Min(long.MaxValue / 2, used + Math.Max(0, bytes));

    private int Refuse()
    {
        refusedWrites++;
        return NoSpace;
    }

    private int FdWrite(Memory memory, ReadOnlySpan<ValueBox> args, Function original)
    {
        var fd = args[0].AsInt32();
        if (stdio.Contains(fd) || Requested(memory, args[1].AsInt32(), args[2].AsInt32()) is not { } requested || !Within(memory, args[3].AsInt32(), 4))
        {
            return Call(original, args);
        }

        var tracked = position.TryGetValue(fd, out var at);
        if ((tracked && at > quota - requested) || !Fits(requested))
        {
            return Refuse();
        }

        var errno = Call(original, args);
        if (errno == 0)
        {
            var written = (uint)memory.ReadInt32(args[3].AsInt32());
            Charge(written);
            if (tracked)
            {
                position[fd] = at + written;
            }
        }

        return errno;
    }

    private int FdPwrite(Memory memory, ReadOnlySpan<ValueBox> args, Function original)
    {
        var offset = args[3].AsInt64();
        if (Requested(memory, args[1].AsInt32(), args[2].AsInt32()) is not { } requested || !Within(memory, args[4].AsInt32(), 4))
        {
            return Call(original, args);
        }

        if (offset < 0 || offset > quota - requested || !Fits(requested))
        {
            return Refuse();
        }

        var errno = Call(original, args);
        if (errno == 0)
        {
            Charge((uint)memory.ReadInt32(args[4].AsInt32()));
        }

        return errno;
    }

    private int FdSeek(Memory memory, ReadOnlySpan<ValueBox> args, Function original)
    {
        var fd = args[0].AsInt32();
        var errno = Call(original, args);
        if (errno == 0 && !stdio.Contains(fd) && Within(memory, args[3].AsInt32(), 8))
        {
            position[fd] = memory.ReadInt64(args[3].AsInt32());
        }

        return errno;
    }

    private int FdAllocate(Memory memory, ReadOnlySpan<ValueBox> args, Function original)
    {
        var (offset, length) = (args[1].AsInt64(), args[2].AsInt64());
        if (offset < 0 || length < 0 || length > quota || offset > quota - length || !Fits(length))
        {
            return Refuse();
        }

        var errno = Call(original, args);
        if (errno == 0)
        {
            Charge(length);
        }

        return errno;
    }

    private int FdSetSize(Memory memory, ReadOnlySpan<ValueBox> args, Function original)
    {
        var size = args[1].AsInt64();
        if (size < 0 || !Fits(size))
        {
            return Refuse();
        }

        var errno = Call(original, args);
        if (errno == 0)
        {
            Charge(size);
        }

        return errno;
    }

    private int FdClose(Memory memory, ReadOnlySpan<ValueBox> args, Function original)
    {
        var fd = args[0].AsInt32();
        var errno = Call(original, args);
        if (errno == 0)
        {
            open.Remove(fd);
            stdio.Remove(fd);
            position.Remove(fd);
        }

        return errno;
    }

    private int FdRenumber(Memory memory, ReadOnlySpan<ValueBox> args, Function original)
    {
        var (from, to) = (args[0].AsInt32(), args[1].AsInt32());
        var errno = Call(original, args);
        if (errno == 0 && from != to)
        {
            var open = this.open.Remove(from);
            var stdio = this.stdio.Remove(from);
            var tracked = position.Remove(from, out var at);
            this.open.Remove(to);
            this.stdio.Remove(to);
            position.Remove(to);
            if (open)
            {
                this.open.Add(to);
            }

            if (stdio)
            {
                this.stdio.Add(to);
            }

            if (tracked)
            {
                position[to] = at;
            }
        }

        return errno;
    }

    private int PathOpen(Memory memory, ReadOnlySpan<ValueBox> args, Function original)
    {
        const int Create = 1;
        if (!Within(memory, args[8].AsInt32(), 4))
        {
            return Fault;
        }

        if (open.Count >= maxOpen)
        {
            refusedOpens++;
            return TooManyFiles;
        }

        var creates = (args[4].AsInt32() & Create) != 0;
        if (creates && !Fits(FolderUsage.Block))
        {
            return Refuse();
        }

        var errno = Call(original, args);
        if (errno == 0)
        {
            var fd = memory.ReadInt32(args[8].AsInt32());
            open.Add(fd);
            stdio.Remove(fd);
            position.Remove(fd);
            if (creates)
            {
                Charge(FolderUsage.Block);
            }
        }

        return errno;
    }

    private int NewEntry(Memory memory, ReadOnlySpan<ValueBox> args, Function original)
    {
        if (!Fits(FolderUsage.Block))
        {
            return Refuse();
        }

        var errno = Call(original, args);
        if (errno == 0)
        {
            Charge(FolderUsage.Block);
        }

        return errno;
    }

    /// <summary>
    /// Waits out a poll on clocks only, on the run's stop signal; writes one clock event for each
    /// subscription that is due first. Subscriptions are 48 bytes (userdata at 0, tag at 8, clock
    /// id at 16, timeout at 24, flags at 40), events 32 bytes (userdata at 0, error at 8, type at 10).
    /// </summary>
    private int PollOneoff(Memory memory, ReadOnlySpan<ValueBox> args, Function original)
    {
        var (input, output, count, events) = (args[0].AsInt32(), args[1].AsInt32(), args[2].AsInt32(), args[3].AsInt32());
        if (count is <= 0 or > MaxSubscriptions || !Within(memory, input, count * 48L) || !Within(memory, output, count * 32L) || !Within(memory, events, 4))
        {
            return Call(original, args);
        }

        var waits = new ulong[count];
        for (var i = 0; i < count; i++)
        {
            var at = input + (i * 48);
            if (memory.ReadByte(at + 8) != 0)
            {
                return Call(original, args); // a descriptor: never blocks here
            }

            var timeout = (ulong)memory.ReadInt64(at + 24);
            if ((memory.ReadInt16(at + 40) & 1) != 0)
            {
                if (Now(memory, memory.ReadInt32(at + 16), output) is not { } now)
                {
                    return Call(original, args); // an unknown clock: WASI's own answer
                }

                timeout = timeout > now ? timeout - now : 0;
            }

            waits[i] = timeout;
        }

        var first = waits.Min();
        var wait = first >= (ulong)TimeSpan.MaxValue.Ticks / 2 ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)(first / 100));
        var left = deadline - time.GetUtcNow();
        if (wait >= left)
        {
            if (!Stopped(left))
            {
                stop(StopReason.Deadline);
            }

            throw new OperationCanceledException("stopped by the sandbox while sleeping");
        }

        if (Stopped(wait))
        {
            throw new OperationCanceledException("stopped by the sandbox while sleeping");
        }

        var written = 0;
        for (var i = 0; i < count; i++)
        {
            if (waits[i] == first)
            {
                var at = output + (written * 32);
                var userdata = memory.ReadInt64(input + (i * 48));
                memory.WriteInt64(at, userdata);
                memory.WriteInt64(at + 8, 0); // error 0, type 0 (clock)
                memory.WriteInt64(at + 16, 0);
                memory.WriteInt64(at + 24, 0);
                written++;
            }
        }

        memory.WriteInt32(events, written);
        return 0;
    }

    /// <summary>Waits <paramref name="span"/> on the stop signal (in pieces of a day at most, as a wait handle takes); true when stopped.</summary>
    private bool Stopped(TimeSpan span)
    {
        var until = time.GetUtcNow() + span;
        for (var rest = span; rest > TimeSpan.Zero; rest = until - time.GetUtcNow())
        {
            if (stopped.WaitOne(rest < TimeSpan.FromDays(1) ? rest : TimeSpan.FromDays(1)))
            {
                return true;
            }
        }

        return stopped.WaitOne(0);
    }

    /// <summary>A WASI clock's time now, read through WASI's own <c>clock_time_get</c> into <paramref name="scratch"/> (the events buffer, written later anyway).</summary>
    private ulong? Now(Memory memory, int clock, int scratch)
    {
        if (this.clock is null)
        {
            return null;
        }

        var errno = (int)this.clock.Invoke([clock, 1L, scratch])!;
        return errno == 0 ? (ulong)memory.ReadInt64(scratch) : null;
    }
}
