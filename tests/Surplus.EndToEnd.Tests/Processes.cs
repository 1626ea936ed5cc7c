using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Surplus.EndToEnd.Tests;

/// <summary>The built <c>surplus</c> executable run as a child process, its output collected; killed with its tree on dispose.</summary>
internal sealed class SurplusProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private SurplusProcess(Process process)
    {
        this.process = process;
    }

    public static string Executable { get; } = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "surplus.exe" : "surplus");

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    /// <summary>stdout and stderr, interleaved as they came.</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public static SurplusProcess Start(string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo(Executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("ASPNETCORE_URLS");
        info.Environment.Remove("SURPLUS_AGENT_KEY");
        info.Environment["DOTNET_NOLOGO"] = "1";
        var process = new Process { StartInfo = info };
        var started = new SurplusProcess(process);
        process.OutputDataReceived += (_, e) => started.Append(e.Data);
        process.ErrorDataReceived += (_, e) => started.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    /// <summary>Sends SIGTERM (a clean stop).</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"surplus did not exit within {timeout}; its output:\n{Output}");
        }

        process.WaitForExit(); // the output is complete after this
        return process.ExitCode;
    }

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }

        process.Dispose();
    }
}
