using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Surplus.LoadGenerator;

/// <summary>
/// The exchange as its own process, <c>surplus serve</c> from the CLI's Release build (built or
/// brought up to date first), on a free loopback port and a fresh SQLite data folder deleted at the end:
/// what clients of a real exchange talk to, and the server's CPU time and resident memory apart from
/// the clients'. It can be stopped as an operator stops it and started again on the same folder.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    // Built once per run of the load generator, however many servers it starts.
    private static readonly Lazy<Task<string>> Cli = new(CliAsync);

    private readonly string cli;
    private readonly string[] arguments;
    private readonly System.Text.StringBuilder log = new();
    private Process process;
    private bool disposed;

    private ServerProcess(string cli, string[] arguments, string dataDirectory, Uri address)
    {
        this.cli = cli;
        this.arguments = arguments;
        DataDirectory = dataDirectory;
        Address = address;
        process = Launch();
    }

    public Uri Address { get; private set; }

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

    /// <summary>The server process's resident memory (<c>VmRSS</c> in <c>/proc/&lt;pid&gt;/status</c>), in KB; 0 where there is no <c>/proc</c>.</summary>
    public long ResidentKilobytes
    {
        get
        {
            var status = $"/proc/{process.Id}/status";
            if (!File.Exists(status))
            {
                return 0;
            }

            var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
    }

    /// <summary>
    /// How many full collections settle the server's memory: the collector gives a free region back
    /// only once it has stayed free through a number of collections, so after two the room it kept
    /// for generation 0 is still committed (about 110 MB of an empty server's 130 MB, against 9 of
    /// 19 MB after 25).
    /// </summary>
    private const int SettleCollections = 25;

    /// <summary>
    /// The server's memory once its garbage is collected: <see cref="SettleCollections"/> full
    /// blocking collections asked for through the runtime's diagnostic port (what <c>dotnet-gcdump</c>
    /// does to take a heap), the collector's heap and committed memory after the last, and the least
    /// of <paramref name="samples"/> readings of resident memory a second apart. Without it a reading
    /// holds whatever garbage the last requests left in generation 0 and the room the collector
    /// keeps for it (up to its budget of 128 MiB a heap), which swamp a difference of a few KB per connection.
    /// </summary>
    public async Task<SettledMemory> SettledMemoryAsync(int samples = 5)
    {
        for (var i = 0; i < SettleCollections - 1; i++)
        {
            InduceCollection();
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }

        var (heap, committed) = await CollectGarbageAsync();
        var least = long.MaxValue;
        for (var i = 0; i < samples; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            least = Math.Min(least, ResidentKilobytes);
        }

        return new SettledMemory(least, heap, committed);
    }

    private void InduceCollection()
    {
        const long GcHeapCollect = 0x800000;
        var client = new Microsoft.Diagnostics.NETCore.Client.DiagnosticsClient(process.Id);
        using var session = client.StartEventPipeSession(
            new Microsoft.Diagnostics.NETCore.Client.EventPipeProvider("Microsoft-Windows-DotNETRuntime", System.Diagnostics.Tracing.EventLevel.Informational, GcHeapCollect),
            requestRundown: false);
        session.Stop();
    }

    /// <summary>
    /// A full blocking collection in the server, now (the runtime collects when a session enables its
    /// provider's GC-heap-collect keyword, before the session's start is answered), and the runtime's
    /// counters a second later: the heap's size and the collector's committed memory, in bytes; -1
    /// for one that did not come within 15 s.
    /// </summary>
    private async Task<(long Heap, long Committed)> CollectGarbageAsync()
    {
        const long GcHeapCollect = 0x800000;
        var client = new Microsoft.Diagnostics.NETCore.Client.DiagnosticsClient(process.Id);
        using var session = client.StartEventPipeSession(
            [
                new Microsoft.Diagnostics.NETCore.Client.EventPipeProvider("Microsoft-Windows-DotNETRuntime", System.Diagnostics.Tracing.EventLevel.Informational, GcHeapCollect),
                new Microsoft.Diagnostics.NETCore.Client.EventPipeProvider("System.Runtime", System.Diagnostics.Tracing.EventLevel.Informational, 0,
                    new Dictionary<string, string> { ["EventCounterIntervalSec"] = "1" }),
            ],
            requestRundown: false);
        using var source = new Microsoft.Diagnostics.Tracing.EventPipeEventSource(session.EventStream);
        double heapMb = -1, committedMb = -1;
        var stopped = 0;
        source.Dynamic.All += e =>
        {
            if (e.EventName != "EventCounters" || e.PayloadValue(0) is not IDictionary<string, object> { } outer
                || outer.TryGetValue("Payload", out var inner) is false || inner is not IDictionary<string, object> counter)
            {
                return;
            }

            var value = counter.TryGetValue("Mean", out var mean) ? Convert.ToDouble(mean, CultureInfo.InvariantCulture) : -1;
            switch (counter.TryGetValue("Name", out var name) ? name as string : null)
            {
                case "gc-heap-size":
                    heapMb = value;
                    break;
                case "gc-committed":
                    committedMb = value;
                    break;
            }

            if (heapMb >= 0 && committedMb >= 0 && Interlocked.Exchange(ref stopped, 1) == 0)
            {
                _ = session.StopAsync(CancellationToken.None);
            }
        };
        var reading = Task.Run(source.Process);
        if (await Task.WhenAny(reading, Task.Delay(TimeSpan.FromSeconds(15))) != reading && Interlocked.Exchange(ref stopped, 1) == 0)
        {
            await session.StopAsync(CancellationToken.None);
        }

        await reading;
        return ((long)(heapMb * 1_000_000), (long)(committedMb * 1_000_000));
    }

    /// <summary>The bytes of every file in the data folder (the database, its write-ahead log, the admin key).</summary>
    public long DataBytes => new DirectoryInfo(DataDirectory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    /// <summary>
    /// Starts <c>surplus serve</c> with <paramref name="settings"/> and then <see cref="ExchangeUnderTest.ExtraSettings"/> (each <c>Name=value</c>, given as <c>--Surplus:Name=value</c>)
    /// and waits for its <c>/healthz</c>, at most <paramref name="startLimit"/> (60 s when not given).
    /// </summary>
    public static async Task<ServerProcess> StartAsync(string dataRoot, IEnumerable<string> settings, TimeSpan? startLimit = null)
    {
        var cli = await Cli.Value;
        var data = Path.Combine(dataRoot, $"surplus-load-{Guid.NewGuid():N}");
        Directory.CreateDirectory(data);
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        var server = new ServerProcess(cli, [.. settings.Concat(ExchangeUnderTest.ExtraSettings).Select(s => "--Surplus:" + s)], data, address);
        await server.WaitUntilHealthyAsync(startLimit ?? TimeSpan.FromSeconds(60));
        return server;
    }

    /// <summary>Stops the server as an operator does (SIGTERM) and waits until it has exited, at most 120 s; the time it took. The data folder stays.</summary>
    public async Task<TimeSpan> StopAsync()
    {
        var clock = Stopwatch.StartNew();
        if (!process.HasExited)
        {
            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                throw new InvalidOperationException($"surplus serve did not stop within 120 s of SIGTERM: {Text(log)}");
            }
        }

        return clock.Elapsed;
    }

    /// <summary>
    /// Starts the server again on the same data folder and settings, on a fresh free port, after
    /// <see cref="StopAsync"/>: the time from starting the process to its first <c>/healthz</c> 200.
    /// </summary>
    public async Task<TimeSpan> RestartAsync(TimeSpan startLimit)
    {
        if (!process.HasExited)
        {
            throw new InvalidOperationException("the server is still running; stop it first");
        }

        process.Dispose();
        Address = new Uri($"http://127.0.0.1:{FreePort()}");
        var clock = Stopwatch.StartNew();
        process = Launch();
        await WaitUntilHealthyAsync(startLimit);
        return clock.Elapsed;
    }

    private Process Launch()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // Warnings, and how the exchange was read back at a start (and written at a stop), which a restart reports.
            Environment = { ["Logging__LogLevel__Default"] = "Warning", ["Logging__LogLevel__Surplus.Exchange.Engine.ExchangeStartup"] = "Information", ["Logging__LogLevel__Surplus.Exchange.Engine.MarketHost"] = "Information" },
        };
        foreach (var argument in new[] { cli, "serve", "--urls", Address.ToString().TrimEnd('/'), "--data", DataDirectory, "--Surplus:AdminKey=" + ExchangeUnderTest.AdminKey }
            .Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        var started = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        started.OutputDataReceived += (_, e) => Append(log, e.Data);
        started.ErrorDataReceived += (_, e) => Append(log, e.Data);
        started.BeginOutputReadLine();
        started.BeginErrorReadLine();
        return started;
    }

    private async Task WaitUntilHealthyAsync(TimeSpan limit)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < limit)
        {
            if (process.HasExited)
            {
                var code = process.ExitCode;
                await DisposeAsync();
                throw new InvalidOperationException($"surplus serve exited with {code}: {Text(log)}");
            }

            try
            {
                using var health = await http.GetAsync(new Uri(Address, "/healthz"));
                if (health.IsSuccessStatusCode)
                {
                    return;
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

            await Task.Delay(50);
        }

        await DisposeAsync();
        throw new InvalidOperationException($"surplus serve did not answer /healthz within {limit.TotalSeconds:0} s: {Text(log)}");
    }

    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
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

    /// <summary>The CLI's Release build (<c>surplus.dll</c>), built (or brought up to date) from the repository this program runs from.</summary>
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

    /// <summary>The server's last log lines that contain <paramref name="text"/> (the log keeps its last few kilobytes).</summary>
    public IReadOnlyList<string> LogLines(string text) =>
        [.. Text(log).Split('\n').Where(l => l.Contains(text, StringComparison.Ordinal)).Select(l => l.TrimEnd())];

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

/// <summary>
/// The server's memory once its garbage is collected: resident memory in KB; the collector's heap
/// (what is alive) and its committed memory (the heap, and room it keeps for what is allocated
/// next), in bytes, -1 where the runtime did not tell.
/// </summary>
internal readonly record struct SettledMemory(long ResidentKb, long HeapBytes, long CommittedBytes);
