using System.ComponentModel;
using System.Diagnostics;

namespace Surplus.Agent.Sandbox;

/// <summary>
/// Runs a native command for sellers who opted in to the <c>process</c> runtime: a clean
/// environment (only what the request gives, plus a minimal PATH), the output folder as its own
/// working folder, stdout and stderr kept up to a cap, and killed with its whole process tree at
/// the deadline, on an output flood or on shutdown. It is not a security boundary the way the
/// wasm runtime is: the command runs with the agent's user rights, which is why it is opt-in.
/// </summary>
public sealed class ProcessSandbox(TimeProvider time) : ISandbox
{
    /// <summary>The PATH a command gets when its environment has none.</summary>
    public const string DefaultPath = "/usr/local/bin:/usr/bin:/bin";

    /// <inheritdoc/>
    public async Task<SandboxResult> RunAsync(SandboxRequest request, SandboxLimits limits, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var remaining = limits.Deadline - time.GetUtcNow();
        if (remaining <= TimeSpan.Zero)
        {
            return new SandboxResult(StoppedExitCodes.For(StopReason.Deadline), StopReason.Deadline, TimeSpan.Zero, null, null, "the deadline had passed before the run could start");
        }

        var info = new ProcessStartInfo(request.Program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = request.OutputFolder,
        };
        foreach (var a in request.Arguments)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment.Clear();
        info.Environment["PATH"] = DefaultPath;
        info.Environment["HOME"] = request.OutputFolder;
        info.Environment["SURPLUS_IN"] = request.InputFolder;
        info.Environment["SURPLUS_OUT"] = request.OutputFolder;
        foreach (var (k, v) in request.Environment)
        {
            info.Environment[k] = v;
        }

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            return new SandboxResult(127, StopReason.Exit, time.GetElapsedTime(started), null, null, $"the command could not start: {e.Message}");
        }

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

        var pumps = Task.WhenAll(
            PumpAsync(process.StandardOutput.BaseStream, stdout),
            PumpAsync(process.StandardError.BaseStream, stderr));
        await process.WaitForExitAsync(CancellationToken.None);
        await pumps;
        var wall = time.GetElapsedTime(started);

        StopReason? final;
        lock (gate)
        {
            final = stop;
        }

        return final is { } reason
            ? new SandboxResult(StoppedExitCodes.For(reason), reason, wall, null, peak == 0 ? null : peak, reason switch
            {
                StopReason.Deadline => $"still running at the deadline {limits.Deadline:O}; killed with its process tree",
                StopReason.OutputLimit => $"wrote more than {limits.OutputBytes} bytes to stdout or stderr; killed",
                _ => "stopped: the agent is shutting down",
            })
            : new SandboxResult(process.ExitCode, StopReason.Exit, wall, null, peak == 0 ? null : peak, null);
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
}
