using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Surplus.Agent.Sandbox;

/// <summary>
/// Runs a native command for sellers who opted in to the <c>process</c> runtime, with the limits
/// the operating system can keep: the command is started through util-linux's <c>setsid</c> (its
/// own session and process group) and <c>prlimit</c> (address space, CPU seconds, open files,
/// file size, no core dumps, and — when it runs as its own user through <c>setpriv</c> — the
/// number of processes), with a clean environment, the output folder as its working folder and a
/// private temporary folder beside it. A watcher measures both folders and stops the job when they
/// pass the disk quota. The whole process group is killed at the deadline, on an output flood, on
/// the disk quota, on shutdown, and when the command ends (so nothing it left behind runs on or
/// changes its output while it is packed). Without a separate user it runs with the agent's
/// rights and is no security boundary, which is why it is opt-in.
/// </summary>
public sealed partial class ProcessSandbox(TimeProvider time, string? user = null, int maxProcesses = 64) : ISandbox
{
    /// <summary>The PATH a command gets when its environment has none.</summary>
    public const string DefaultPath = "/usr/local/bin:/usr/bin:/bin";

    /// <summary>The least time between two measures of the disk watcher; a folder that takes longer to measure waits four times its measure, so watching costs at most a fifth of a core.</summary>
    public static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(250);

    private const int SigKill = 9;
    private const int SigXcpu = 24;
    private const int SigXfsz = 25;

    /// <summary>The private temporary folder of a run: <c>tmp/</c> beside its output folder.</summary>
    public static string TempFolderOf(SandboxRequest request) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(request.OutputFolder))!, "tmp");

    /// <inheritdoc/>
    public async Task<SandboxResult> RunAsync(SandboxRequest request, SandboxLimits limits, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var remaining = limits.Deadline - time.GetUtcNow();
        if (remaining <= TimeSpan.Zero)
        {
            return new SandboxResult(StoppedExitCodes.For(StopReason.Deadline), StopReason.Deadline, TimeSpan.Zero, null, null, "the deadline had passed before the run could start");
        }

        if (Tool("setsid") is not { } setsid || Tool("prlimit") is not { } prlimit || (user is not null && Tool("setpriv") is null))
        {
            return new SandboxResult(127, StopReason.Exit, TimeSpan.Zero, null, null,
                "the command could not start: the process runtime needs util-linux's setsid, prlimit" + (user is null ? "" : " and setpriv") + " on the PATH");
        }

        var temp = TempFolderOf(request);
        if (Directory.Exists(temp))
        {
            Directory.Delete(temp, recursive: true);
        }

        Directory.CreateDirectory(temp);
        var info = new ProcessStartInfo(setsid)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = request.OutputFolder,
        };
        var cpuSeconds = (long)Math.Ceiling(remaining.TotalSeconds) + 1;
        string[] rlimits =
        [
            prlimit,
            $"--as={Math.Max(limits.MemoryBytes, 16L << 20)}",
            $"--cpu={cpuSeconds}",
            $"--nofile={limits.MaxDescriptors}",
            $"--fsize={limits.DiskQuotaBytes}",
            "--core=0",
        ];
        foreach (var a in rlimits)
        {
            info.ArgumentList.Add(a);
        }

        if (user is not null)
        {
            info.ArgumentList.Add($"--nproc={maxProcesses}");
            info.ArgumentList.Add("--");
            await HandOverAsync(request, temp);
            foreach (var a in new[] { Tool("setpriv")!, $"--reuid={user}", $"--regid={await GroupOfAsync(user)}", "--clear-groups", "--inh-caps=-all" })
            {
                info.ArgumentList.Add(a);
            }
        }

        info.ArgumentList.Add("--");
        info.ArgumentList.Add(request.Program);
        foreach (var a in request.Arguments)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment.Clear();
        info.Environment["PATH"] = DefaultPath;
        info.Environment["HOME"] = request.OutputFolder;
        info.Environment["TMPDIR"] = temp;
        info.Environment["TMP"] = temp;
        info.Environment["TEMP"] = temp;
        info.Environment["SURPLUS_IN"] = request.InputFolder;
        info.Environment["SURPLUS_OUT"] = request.OutputFolder;
        foreach (var (k, v) in request.Environment)
        {
            info.Environment[k] = v;
        }

        if (!File.Exists(request.Program))
        {
            return new SandboxResult(127, StopReason.Exit, time.GetElapsedTime(started), null, null, $"the command could not start: {request.Program} does not exist");
        }

        CloseInheritedOnExec();
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            return new SandboxResult(127, StopReason.Exit, time.GetElapsedTime(started), null, null, $"the command could not start: {e.Message}");
        }

        // setsid made the child the leader of its own process group: its id is the group's.
        var group = process.Id;
        process.StandardInput.Close();
        StopReason? stop = null;
        var gate = new Lock();
        void Stop(StopReason reason)
        {
            lock (gate)
            {
                if (stop is not null)
                {
                    return;
                }

                stop = reason;
            }

            KillGroup(group);
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }

        long peak = 0;
        long used = 0;
        using var stdout = new CappedOutput(request.StdoutPath, limits.OutputBytes, () => Stop(StopReason.OutputLimit));
        using var stderr = new CappedOutput(request.StderrPath, limits.OutputBytes, () => Stop(StopReason.OutputLimit));
        using var deadline = time.CreateTimer(_ => Stop(StopReason.Deadline), null, remaining, Timeout.InfiniteTimeSpan);
        using var cancel = cancellationToken.Register(() => Stop(StopReason.Cancelled));
        using var sampler = time.CreateTimer(_ =>
        {
            try
            {
                process.Refresh();
                peak = Math.Max(peak, process.PeakWorkingSet64);
            }
            catch (InvalidOperationException)
            {
                // Exited between two samples.
            }
        }, null, TimeSpan.Zero, TimeSpan.FromMilliseconds(100));
        using var watching = new CancellationTokenSource();
        var watcher = WatchDiskAsync(request.OutputFolder, temp, limits.DiskQuotaBytes, u => used = u, () => Stop(StopReason.DiskQuota), watching.Token);

        var pumps = Task.WhenAll(
            PumpAsync(process.StandardOutput.BaseStream, stdout),
            PumpAsync(process.StandardError.BaseStream, stderr));
        await process.WaitForExitAsync(CancellationToken.None);

        // What the command left running dies with it: nothing may run on, hold the output pipes, or change the output while it is packed.
        KillGroup(group);
        await pumps;
        await watching.CancelAsync();
        await watcher;
        var wall = time.GetElapsedTime(started);
        TryDelete(temp);

        StopReason? final;
        lock (gate)
        {
            final = stop;
        }

        if (final is { } reason)
        {
            return new SandboxResult(StoppedExitCodes.For(reason), reason, wall, null, peak == 0 ? null : peak, reason switch
            {
                StopReason.Deadline => $"still running at the deadline {limits.Deadline:O}; killed with its process group",
                StopReason.OutputLimit => $"wrote more than {limits.OutputBytes} bytes to stdout or stderr; killed",
                StopReason.DiskQuota => $"its folders took {used} bytes, past the disk quota of {limits.DiskQuotaBytes} bytes (limits.diskQuotaBytes); killed",
                _ => "stopped: the agent is shutting down",
            });
        }

        return process.ExitCode switch
        {
            128 + SigXcpu => new SandboxResult(process.ExitCode, StopReason.OutOfFuel, wall, null, peak == 0 ? null : peak,
                $"used its CPU time limit of {cpuSeconds} s (RLIMIT_CPU); killed by the system"),
            128 + SigXfsz => new SandboxResult(process.ExitCode, StopReason.DiskQuota, wall, null, peak == 0 ? null : peak,
                $"wrote a file past the disk quota of {limits.DiskQuotaBytes} bytes (RLIMIT_FSIZE); killed by the system"),
            _ => new SandboxResult(process.ExitCode, StopReason.Exit, wall, null, peak == 0 ? null : peak, null),
        };
    }

    /// <summary>Measures the job's folders until told to stop; reports a pass of the quota once.</summary>
    private async Task WatchDiskAsync(string output, string temp, long quota, Action<long> measured, Action over, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var began = time.GetTimestamp();
                var (bytes, _) = await Task.Run(() => FolderUsage.Measure([output, temp], WasiGuard.Entries(quota)), CancellationToken.None);
                measured(bytes);
                if (bytes > quota)
                {
                    over();
                    return;
                }

                var took = time.GetElapsedTime(began);
                await Task.Delay(took * 4 > WatchInterval ? took * 4 : WatchInterval, time, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // The run ended.
        }
    }

    private async Task HandOverAsync(SandboxRequest request, string temp)
    {
        // The job's user must be able to run the program and write its folders; nothing else of the agent's becomes its.
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        File.SetUnixFileMode(request.Program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        using var chown = Process.Start(new ProcessStartInfo(Tool("chown") ?? "chown", ["-R", $"{user}:{await GroupOfAsync(user!)}", request.OutputFolder, temp]) { UseShellExecute = false })!;
        await chown.WaitForExitAsync();
    }

    private string? group;

    private async Task<string> GroupOfAsync(string name)
    {
        if (group is null)
        {
            using var id = Process.Start(new ProcessStartInfo(Tool("id") ?? "id", ["-g", name]) { UseShellExecute = false, RedirectStandardOutput = true })!;
            group = (await id.StandardOutput.ReadToEndAsync()).Trim();
            await id.WaitForExitAsync();
        }

        return group;
    }

    private static string? Tool(string name) =>
        DefaultPath.Split(':').Concat(["/usr/sbin", "/sbin"]).Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static readonly Lock InheritedGate = new();
    private static bool inheritedClosed;

    /// <summary>
    /// Marks every descriptor this process inherited (the ones .NET did not open itself, which it
    /// opens close-on-exec) close-on-exec too, once: a job must not get a pipe or socket of
    /// whoever started the agent. Runs that start together wait for the first to finish marking.
    /// </summary>
    private static void CloseInheritedOnExec()
    {
        const int SetFlags = 2;
        const int CloseOnExec = 1;
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        lock (InheritedGate)
        {
            if (inheritedClosed)
            {
                return;
            }

            foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
            {
                if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var fd) && fd > 2)
                {
                    _ = Fcntl(fd, SetFlags, CloseOnExec);
                }
            }

            inheritedClosed = true;
        }
    }

    private static void KillGroup(int group)
    {
        if (group > 1)
        {
            _ = Kill(-group, SigKill);
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the contract folder's removal.
        }
    }

    private static async Task PumpAsync(Stream from, CappedOutput to)
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer)) > 0)
        {
            // Past the cap the rest is read and dropped so the process is never blocked on a full pipe before it is killed.
            to.Write(buffer.AsSpan(0, read));
        }
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
