using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Surplus.LoadGenerator;

/// <summary>
/// The exchange as its own process, <c>surplus serve</c> from the CLI's Release build (built first
/// when it is missing), on a free loopback port and a fresh SQLite data folder deleted at the end:
/// what clients of a real exchange talk to, and the server's CPU time apart from the clients'.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process process;

    private ServerProcess(Process process, string dataDirectory, Uri address)
    {
        this.process = process;
        DataDirectory = dataDirectory;
        Address = address;
    }

    public Uri Address { get; }

    public string DataDirectory { get; }

    /// <summary>The server process's CPU time so far (user and system).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            process.Refresh();
            return process.TotalProcessorTime;
        }
    }

    /// <summary>Starts <c>surplus serve</c> with <paramref name="settings"/> (each <c>Name=value</c>, given as <c>--Surplus:Name=value</c>) and waits for its <c>/healthz</c>.</summary>
    public static async Task<ServerProcess> StartAsync(string dataRoot, IEnumerable<string> settings)
    {
        var cli = await CliAsync();
        var data = Path.Combine(dataRoot, $"surplus-load-{Guid.NewGuid():N}");
        Directory.CreateDirectory(data);
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment = { ["Logging__LogLevel__Default"] = "Warning" },
        };
        foreach (var argument in new[] { cli, "serve", "--urls", address.ToString().TrimEnd('/'), "--data", data, "--Surplus:AdminKey=" + ExchangeUnderTest.AdminKey }
            .Concat(settings.Select(s => "--Surplus:" + s)))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var log = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(process, data, address);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"surplus serve exited with {process.ExitCode}: {Text(log)}");
            }

            try
            {
                using var health = await http.GetAsync(new Uri(address, "/healthz"));
                if (health.IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Not answering yet.
            }

            await Task.Delay(100);
        }

        await server.DisposeAsync();
        throw new InvalidOperationException($"surplus serve did not answer /healthz within 60 s: {Text(log)}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            // SIGTERM, as an operator stops it; then the hard way if it lingers.
            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        process.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left behind; it is under the temp folder.
        }
    }

    /// <summary>The CLI's Release build (<c>surplus.dll</c>), built from the repository this program runs from when it is not there yet.</summary>
    private static async Task<string> CliAsync()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Surplus.sln")))
        {
            root = root.Parent;
        }

        if (root is null)
        {
            throw new InvalidOperationException("the load generator runs from the repository's bench/ folder, where it finds the CLI to start");
        }

        var project = Path.Combine(root.FullName, "src", "Surplus.Cli");
        var dll = Path.Combine(project, "bin", "Release", "net10.0", "surplus.dll");
        await Console.Error.WriteLineAsync("[server] building surplus (Release)");
        using var build = Process.Start(new ProcessStartInfo("dotnet", ["build", "-c", "Release", "--nologo", "-v", "quiet", project])
        {
            RedirectStandardOutput = true,
        }) ?? throw new InvalidOperationException("could not start dotnet build");
        var output = await build.StandardOutput.ReadToEndAsync();
        await build.WaitForExitAsync();
        if (build.ExitCode != 0 || !File.Exists(dll))
        {
            throw new InvalidOperationException($"dotnet build -c Release {project} failed: {output}");
        }

        return dll;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Append(System.Text.StringBuilder log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            // The last lines are what explains a failed start.
            if (log.Length > 8_000)
            {
                log.Remove(0, log.Length - 4_000);
            }

            log.AppendLine(line);
        }
    }

    private static string Text(System.Text.StringBuilder log)
    {
        lock (log)
        {
            return log.ToString();
        }
    }
}
