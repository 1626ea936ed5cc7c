using System.CommandLine;
using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Surplus.Client;
using Surplus.Protocol;

namespace Surplus.Cli;

/// <summary>
/// <c>surplus demo</c>: the story of the original description with real processes on a temporary
/// data folder — an exchange, two sellers' agents (one offering every Saturday at a high price, one
/// cheaper now), and a payroll computer that lost power and needs capacity now. The need is
/// negotiated with the cheaper seller, the payroll job runs in that seller's sandbox, the results
/// arrive, the contract settles and the ledger is shown.
/// </summary>
internal static class DemoCommand
{
    private const string Market = "compute-now";

    // The composition root of this command: the wall clock, as the exchange's windows are wall-clock time.
    private static readonly TimeProvider Clock = TimeProvider.System;

    public static Command Create()
    {
        var program = new Option<string?>("--program")
        {
            Description = "The payroll WebAssembly module (default: programs/payroll.wasm beside the surplus executable, built by programs/build.sh).",
            HelpName = "payroll.wasm",
        };
        var keep = new Option<bool>("--keep") { Description = "Keep the temporary folder (data, agents' work folders and logs, results) and print where it is." };
        var command = new Command("demo", "Play the payroll story with real processes: an exchange, two sellers' agents and a buyer who needs capacity now; prints each step and the ledger. Takes under a minute.")
        {
            program,
            keep,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(program), parse.GetValue(keep), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string? programPath, bool keep, CancellationToken cancellationToken)
    {
        programPath ??= FindProgram();
        if (programPath is null || !File.Exists(programPath))
        {
            await Console.Error.WriteLineAsync($"surplus: the payroll module {programPath ?? "programs/payroll.wasm"} is missing; build it with programs/build.sh (needs clang-14, lld-14, wasi-libc) or give --program");
            return ExitCodes.Usage;
        }

        var clock = Stopwatch.StartNew();
        var folder = Directory.CreateTempSubdirectory("surplus-demo-").FullName;
        var children = new List<Process>();
        var step = 0;
        void Say(string text) => Console.WriteLine($"[{clock.Elapsed.TotalSeconds,5:0.0}s] {++step,2}. {text}");
        void Detail(string text) => Console.WriteLine($"              {text}");
        try
        {
            var url = new Uri($"http://127.0.0.1:{FreePort()}");
            var data = Path.Combine(folder, "data");
            Say($"The exchange starts at {url} with a fresh store in {data}.");
            children.Add(Start(folder, "exchange.log", "serve", "--urls", url.ToString().TrimEnd('/'), "--data", data));
            using var probe = new SurplusClient(url);
            for (var i = 0; i < 200 && !await probe.IsHealthyAsync(cancellationToken); i++)
            {
                if (children[0].HasExited)
                {
                    throw new DemoException($"the exchange did not start; see {Path.Combine(folder, "exchange.log")}");
                }

                await Task.Delay(100, cancellationToken);
            }

            using var admin = new SurplusClient(url, (await File.ReadAllTextAsync(Path.Combine(data, "admin.key"), cancellationToken)).Trim());
            await admin.AdminCreateMarketAsync(new CreateMarketRequest(Market, "MFLOPS", SlotSeconds: 5, FeeBasisPoints: 200, StageLeadSeconds: 15, HeartbeatTimeoutSeconds: 30, GraceSeconds: 30), cancellationToken);
            Detail($"The operator opens market '{Market}' (MFLOPS, 5-second slots so the story fits in a minute, 2% fee).");

            Say("Three computers join: two with spare capacity, one that needs it.");
            var (weekend, weekendKey) = await JoinAsync(url, "weekend-cluster", "10.0.0.20", cancellationToken);
            var (spare, spareKey) = await JoinAsync(url, "night-office", "10.0.0.30", cancellationToken);
            var (payroll, _) = await JoinAsync(url, "payroll-computer", "10.0.0.10", cancellationToken);
            await admin.AdminDepositAsync((await payroll.GetMeAsync(cancellationToken)).Id, new DepositRequest(5_000_000, "demo"), cancellationToken: cancellationToken);
            Detail("weekend-cluster, night-office, and payroll-computer (with 50,000.00 deposited).");

            Say("Each seller starts its agent, which places its offers from its configuration.");
            children.Add(await StartAgentAsync(folder, url, "weekend-cluster", weekendKey, $$"""
                { "market": "{{Market}}", "rate": 100, "ask": 41.67,
                  "recurrence": { "rule": "FREQ=WEEKLY;BYDAY=SA", "start": "00:00", "durationMinutes": 1440, "timeZone": "Europe/Zurich" } }
                """, cancellationToken));
            children.Add(await StartAgentAsync(folder, url, "night-office", spareKey, $$"""
                { "market": "{{Market}}", "rate": 100, "ask": 20.00, "minimumPrice": 15.00, "fromNowMinutes": 10 }
                """, cancellationToken));
            var saturday = await WaitAsync(async () => (await weekend.GetOffersAsync(status: "open", cancellationToken: cancellationToken)).Items.FirstOrDefault(), children, "the weekend agent's offer", cancellationToken);
            var now = await WaitAsync(async () => (await spare.GetOffersAsync(status: "open", cancellationToken: cancellationToken)).Items.FirstOrDefault(), children, "the night-office agent's offer", cancellationToken);
            Detail($"weekend-cluster: 100 MFLOPS every Saturday 00:00–24:00 Europe/Zurich at {saturday.Ask} per MFLOPS-hour (100,000 for the day).");
            Detail($"night-office:    100 MFLOPS from {Time(now.Start)} to {Time(now.End)} at {now.Ask}, with a hidden minimum of 15.00.");

            Say("The payroll computer lost power. It needs 100 MFLOPS now and will pay 16.67 (at most 18.00, hidden).");
            var csv = PayrollCsv();
            var program = await payroll.PutBlobFileAsync(programPath, cancellationToken: cancellationToken);
            var input = await payroll.PutBlobAsync(new MemoryStream(Encoding.UTF8.GetBytes(csv)), cancellationToken: cancellationToken);
            Detail($"It uploads payroll.wasm ({program.Size:N0} bytes, {program.Location[..17]}…) and this month's payroll.csv ({input.Size:N0} bytes) to the exchange.");
            var start = NextSlot(Clock.GetUtcNow().AddSeconds(20), now.Start!.Value); // past the stage lead: time to fetch and verify
            var placed = await payroll.PlaceNeedAsync(new PlaceNeedRequest(Market, 100, start, start.AddSeconds(30), 16.67m, MaximumPrice: 18.00m, Mode: "spot",
                Job: new JobDto(program.Location, BlobLocation.Prefix, "wasm", "payroll", program.Sha256, [new JobInputDto(input.Location, input.Sha256)])), cancellationToken: cancellationToken);
            Detail($"Spot need {placed.Need.Id} for {Time(start)}–{Time(start.AddSeconds(30))}.");

            Say("The exchange looks for capacity: the Saturday offer does not cover today; night-office asks 20.00 > 16.67, so they negotiate.");
            if (placed.Negotiation is { } n)
            {
                Detail($"Negotiation {n.NegotiationId}: bid {n.Bid} against ask {n.Ask}.");
            }

            var contract = await WaitAsync(async () => (await payroll.GetContractsAsync(role: "buyer", cancellationToken: cancellationToken)).Items.FirstOrDefault(), children, "a trade", cancellationToken);
            Detail($"Both sides' hidden limits cross (15.00 ≤ 18.00): they agree at {contract.Price} per MFLOPS-hour; {Money(contract.AmountMinor)} goes into escrow.");

            Say($"Contract {contract.Id} follows the job through the night-office agent:");
            var seen = contract.History.Count;
            foreach (var h in contract.History)
            {
                Detail($"{Time(h.At)}  {h.From,-9} → {h.To,-9} ({h.Action} by {h.By})");
            }

            var until = Clock.GetUtcNow().AddSeconds(90);
            while (contract.Status is not ("delivered" or "failed" or "no-show" or "cancelled") && Clock.GetUtcNow() < until)
            {
                await Task.Delay(200, cancellationToken);
                contract = await payroll.GetContractAsync(contract.Id, cancellationToken);
                foreach (var h in contract.History.Skip(seen))
                {
                    Detail($"{Time(h.At)}  {h.From,-9} → {h.To,-9} ({h.Action} by {h.By}{(h.Reason is null ? "" : ": " + h.Reason)})");
                }

                seen = contract.History.Count;
            }

            if (contract.Delivery is not { } delivery)
            {
                throw new DemoException($"contract {contract.Id} ended {contract.Status} without results; see the agents' logs in {folder}");
            }

            Say($"The results arrive: {delivery.ResultsLocation[..17]}…, exit code {delivery.ExitCode}, {delivery.WallMilliseconds} ms, {delivery.FuelUsed:N0} fuel.");
            var files = await DownloadAsync(payroll, delivery, cancellationToken);
            Detail("The archive's SHA-256 matches the seller's sign-off. payroll.txt ends:");
            foreach (var line in files["out/payroll.txt"].TrimEnd().Split('\n').TakeLast(3))
            {
                Detail("  " + line);
            }

            Detail("stdout: " + files["stdout"].Trim());

            Say("The payroll computer confirms; the exchange settles the contract.");
            await payroll.ConfirmContractAsync(contract.Id, cancellationToken: cancellationToken);
            contract = await WaitAsync(async () => await payroll.GetContractAsync(contract.Id, cancellationToken) is { Status: "settled" } c ? c : null, children, "the settlement", cancellationToken);
            Detail($"Settled: night-office is paid {Money(contract.AmountMinor - contract.FeeMinor)}, the exchange keeps {Money(contract.FeeMinor)}.");

            Say("The ledger:");
            foreach (var (name, client) in new[] { ("payroll-computer", payroll), ("night-office", spare), ("weekend-cluster", weekend) })
            {
                var account = await client.GetAccountAsync(cancellationToken);
                Detail($"{name,-17} available {Money(account.AvailableMinor),12}   held {Money(account.HeldMinor),10}");
            }

            foreach (var e in (await payroll.GetEntriesAsync(cancellationToken: cancellationToken)).Items.Reverse())
            {
                Detail($"payroll-computer  {e.Kind,-16} {e.Account,-30} {Money(e.AmountMinor),12}");
            }

            var check = await admin.AdminCheckLedgerAsync(cancellationToken);
            Detail($"The operator's ledger check: {(check.Balanced ? "balanced" : "NOT balanced")}.");

            Say($"Done in {clock.Elapsed.TotalSeconds:0.0} s; the agents and the exchange stop.");
            return ExitCodes.Ok;
        }
        catch (DemoException e)
        {
            await Console.Error.WriteLineAsync($"surplus: demo failed: {e.Message}");
            keep = true;
            return ExitCodes.Failed;
        }
        catch (Exception e) when (e is HttpRequestException or SurplusApiException or IOException)
        {
            await Console.Error.WriteLineAsync($"surplus: demo failed: {e.Message} (logs in {folder})");
            keep = true;
            return ExitCodes.Failed;
        }
        finally
        {
            foreach (var child in Enumerable.Reverse(children))
            {
                await StopAsync(child);
            }

            if (keep)
            {
                Console.WriteLine($"Kept {folder}");
            }
            else
            {
                TryDelete(folder);
            }
        }
    }

    private static async Task<(SurplusClient Client, string Key)> JoinAsync(Uri url, string name, string address, CancellationToken cancellationToken)
    {
        using var anonymous = new SurplusClient(url);
        var joined = await anonymous.JoinAsync(new JoinRequest(name, address), cancellationToken);
        return (new SurplusClient(url, joined.ApiKey), joined.ApiKey);
    }

    private static async Task<Process> StartAgentAsync(string folder, Uri url, string name, string key, string offer, CancellationToken cancellationToken)
    {
        var home = Directory.CreateDirectory(Path.Combine(folder, name)).FullName;
        var config = Path.Combine(home, "agent.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "server": "{{url.ToString().TrimEnd('/')}}",
              "key": "{{key}}",
              "workFolder": "work",
              "heartbeatSeconds": 5,
              "shutdownGraceSeconds": 5,
              "limits": { "memoryMegabytes": 128 },
              "disk": { "reserveBytes": 268435456, "stagingBytes": 67108864 },
              "offers": [ {{offer}} ]
            }
            """, cancellationToken);
        return Start(home, "agent.log", "agent", "--config", config);
    }

    /// <summary>Starts this executable with the arguments, its output to a log file.</summary>
    private static Process Start(string folder, string log, params string[] args)
    {
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { WorkingDirectory = folder, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.ArgumentList.Add(typeof(DemoCommand).Assembly.Location); // run as 'dotnet surplus.dll'
        }

        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment.Remove("SURPLUS_AGENT_KEY");
        var process = Process.Start(info)!;
        var writer = new StreamWriter(Path.Combine(folder, log)) { AutoFlush = true };
        var gate = new Lock();
        var closed = false;
        void Write(string? line)
        {
            lock (gate)
            {
                if (line is not null && !closed)
                {
                    writer.WriteLine(line);
                }
            }
        }

        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.Exited += (_, _) =>
        {
            // The last lines may still be on their way: they are dropped rather than written to a closed log.
            lock (gate)
            {
                closed = true;
                writer.Dispose();
            }
        };
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>SIGTERM (a clean stop), then a kill after ten seconds.</summary>
    private static async Task StopAsync(Process process)
    {
        if (process.HasExited)
        {
            return;
        }

        using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync();
        }

        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }
    }

    private static async Task<T> WaitAsync<T>(Func<Task<T?>> probe, List<Process> children, string what, CancellationToken cancellationToken)
        where T : class
    {
        var until = Clock.GetUtcNow().AddSeconds(60);
        while (Clock.GetUtcNow() < until)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            if (children.FirstOrDefault(c => c.HasExited) is { } gone)
            {
                throw new DemoException($"a process stopped unexpectedly (exit code {gone.ExitCode}) while waiting for {what}");
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new DemoException($"waited a minute in vain for {what}");
    }

    private static async Task<Dictionary<string, string>> DownloadAsync(SurplusClient client, DeliveryDto delivery, CancellationToken cancellationToken)
    {
        if (!BlobLocation.TryParse(delivery.ResultsLocation, out var sha))
        {
            throw new DemoException($"the results are at {delivery.ResultsLocation}, not in the exchange's blob store");
        }

        using var archive = new MemoryStream();
        await client.GetBlobAsync(sha, archive, cancellationToken: cancellationToken);
        if (Convert.ToHexStringLower(SHA256.HashData(archive.ToArray())) != delivery.ResultsSha256)
        {
            throw new DemoException("the results do not match the SHA-256 the seller signed");
        }

        archive.Position = 0;
        var files = new Dictionary<string, string>();
        await using var gzip = new GZipStream(archive, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (await tar.GetNextEntryAsync(copyData: true, cancellationToken) is { } entry)
        {
            if (entry.DataStream is { } body)
            {
                files[entry.Name] = await new StreamReader(body).ReadToEndAsync(cancellationToken);
            }
        }

        return files;
    }

    private static string PayrollCsv()
    {
        var csv = new StringBuilder("employee,hours,rate\n");
        var names = new[] { "ada", "blaise", "charles", "dorothy", "edsger", "frances", "grace", "hedy", "ivan", "joan" };
        for (var i = 0; i < 120; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{names[i % names.Length]}-{i / names.Length + 1},{140 + i % 37}.5,{32 + i % 23}.25\n");
        }

        return csv.ToString();
    }

    private static string? FindProgram()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "programs", "payroll.wasm");
        if (File.Exists(beside))
        {
            return beside;
        }

        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            var built = Path.Combine(dir.FullName, "programs", "bin", "payroll.wasm");
            if (File.Exists(built))
            {
                return built;
            }
        }

        return null;
    }

    private static DateTimeOffset NextSlot(DateTimeOffset notBefore, DateTimeOffset offerStart)
    {
        var from = notBefore > offerStart ? notBefore : offerStart;
        var slot = TimeSpan.FromSeconds(5).Ticks;
        return new DateTimeOffset((from.UtcTicks + slot - 1) / slot * slot, TimeSpan.Zero);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static string Time(DateTimeOffset? at) => at?.ToUniversalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture) + "Z";

    private static string Money(long minor) => (minor / 100m).ToString("N2", CultureInfo.InvariantCulture);

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private sealed class DemoException(string message) : Exception(message);
}
