// Measures the agent: (1) the sandbox's cost — programs/samples/pi.c as a WASI module under the
// agent's WasmSandbox against the same source compiled natively (clang -O2); (2) the time from a
// spot need to its results through a real exchange and agent (processes), for the payroll job.
//   dotnet run -c Release --project bench/Surplus.AgentBench -- sandbox [runs] [samples]
//   dotnet run -c Release --project bench/Surplus.AgentBench -- spot [runs]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Surplus.Agent.Sandbox;
using Surplus.Client;
using Surplus.Protocol;

var mode = args.ElementAtOrDefault(0) ?? "sandbox";
var runs = int.Parse(args.ElementAtOrDefault(1) ?? "5", CultureInfo.InvariantCulture);
var root = FindRoot();
var bin = Path.Combine(root, "programs", "bin");
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}, {DateTimeOffset.UtcNow:u}");
return mode switch
{
    "sandbox" => await SandboxAsync(runs, long.Parse(args.ElementAtOrDefault(2) ?? "100000000", CultureInfo.InvariantCulture)),
    "spot" => await SpotAsync(runs),
    _ => Usage(),
};

int Usage()
{
    Console.Error.WriteLine("usage: Surplus.AgentBench sandbox [runs] [samples] | spot [runs]");
    return 2;
}

async Task<int> SandboxAsync(int count, long samples)
{
    using var sandbox = new WasmSandbox(TimeProvider.System);
    var work = Directory.CreateTempSubdirectory("surplus-bench-").FullName;
    var input = Directory.CreateDirectory(Path.Combine(work, "in")).FullName;
    var output = Directory.CreateDirectory(Path.Combine(work, "out")).FullName;
    var arguments = new[] { samples.ToString(CultureInfo.InvariantCulture), "7" };
    List<double> wasm = [], native = [], fuels = [];
    string wasmOut = "", nativeOut = "";
    for (var i = 0; i <= count; i++)
    {
        var request = new SandboxRequest(Path.Combine(bin, "pi.wasm"), input, output, Path.Combine(work, "stdout"), Path.Combine(work, "stderr"), arguments, new Dictionary<string, string>());
        var result = await sandbox.RunAsync(request, new SandboxLimits(ulong.MaxValue / 4, 64L << 20, DateTimeOffset.UtcNow.AddMinutes(10), 1 << 20), CancellationToken.None);
        wasmOut = File.ReadAllText(request.StdoutPath).Trim();
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(new ProcessStartInfo(Path.Combine(bin, "native", "pi"), arguments) { RedirectStandardOutput = true })!;
        nativeOut = (await process.StandardOutput.ReadToEndAsync()).Trim();
        await process.WaitForExitAsync();
        var nativeWall = watch.Elapsed.TotalMilliseconds;
        if (i == 0)
        {
            continue; // warm-up: the first run compiles the module and fills the caches
        }

        wasm.Add(result.Wall.TotalMilliseconds);
        native.Add(nativeWall);
        fuels.Add(result.FuelUsed ?? 0);
    }

    Directory.Delete(work, recursive: true);
    if (wasmOut != nativeOut)
    {
        Console.Error.WriteLine($"the outputs differ: wasm '{wasmOut}', native '{nativeOut}'");
        return 1;
    }

    Console.WriteLine($"pi, {samples:N0} samples, {count} runs after a warm-up; both print: {wasmOut}");
    Console.WriteLine($"wasm (Wasmtime 50.0.1, fuel + epoch on, includes compiling the module): median {Median(wasm):0} ms, min {wasm.Min():0} ms, fuel {fuels[0]:N0}");
    Console.WriteLine($"native (clang-14 -O2, includes process start):                     median {Median(native):0} ms, min {native.Min():0} ms");
    Console.WriteLine($"ratio wasm/native: median {Median(wasm) / Median(native):0.00}, best-to-best {wasm.Min() / native.Min():0.00}");
    return 0;
}

async Task<int> SpotAsync(int count)
{
    var surplus = Path.Combine(AppContext.BaseDirectory, "surplus");
    var folder = Directory.CreateTempSubdirectory("surplus-bench-").FullName;
    var url = new Uri($"http://127.0.0.1:{FreePort()}");
    using var server = Process.Start(new ProcessStartInfo(surplus, ["serve", "--urls", url.ToString().TrimEnd('/'), "--data", Path.Combine(folder, "data")]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder })!;
    Process? agent = null;
    try
    {
        using var probe = new SurplusClient(url);
        for (var i = 0; i < 300 && !await probe.IsHealthyAsync(); i++)
        {
            await Task.Delay(100);
        }

        using var admin = new SurplusClient(url, File.ReadAllText(Path.Combine(folder, "data", "admin.key")).Trim());
        await admin.AdminCreateMarketAsync(new CreateMarketRequest("bench", "MFLOPS", SlotSeconds: 1, StageLeadSeconds: 5, HeartbeatTimeoutSeconds: 30, GraceSeconds: 60));
        var seller = await probe.JoinAsync(new JoinRequest("seller"));
        var buyerJoin = await probe.JoinAsync(new JoinRequest("buyer"));
        await admin.AdminDepositAsync(buyerJoin.Member.Id, new DepositRequest(100_000_000, "bench"));
        using var buyer = new SurplusClient(url, buyerJoin.ApiKey);
        var config = Path.Combine(folder, "agent.json");
        File.WriteAllText(config, $$"""
            { "server": "{{url.ToString().TrimEnd('/')}}", "key": "{{seller.ApiKey}}", "workFolder": "work", "heartbeatSeconds": 5,
              "limits": { "fuelPerSecond": 100000000 },
              "offers": [ { "market": "bench", "rate": 100, "ask": 1.00, "fromNowMinutes": 60 } ] }
            """);
        agent = Process.Start(new ProcessStartInfo(surplus, ["agent", "--config", config]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder })!;
        agent.BeginOutputReadLine();
        agent.BeginErrorReadLine();
        using var sellerClient = new SurplusClient(url, seller.ApiKey);
        for (var i = 0; i < 300 && (await sellerClient.GetOffersAsync(status: "open")).Items.Count == 0; i++)
        {
            await Task.Delay(100);
        }

        var program = await buyer.PutBlobFileAsync(Path.Combine(bin, "payroll.wasm"));
        var data = await buyer.PutBlobAsync(new MemoryStream(Encoding.UTF8.GetBytes("employee,hours,rate\nalice,40,25.50\nbob,12.5,30\n")));
        List<double> total = [], afterStart = [];
        for (var run = 0; run < count; run++)
        {
            var placedAt = DateTimeOffset.UtcNow;
            // The earliest window that leaves the seller the market's 5-second stage lead: the next whole second past it.
            var start = new DateTimeOffset((placedAt.AddSeconds(5).UtcTicks / TimeSpan.TicksPerSecond + 1) * TimeSpan.TicksPerSecond, TimeSpan.Zero);
            var watch = Stopwatch.StartNew();
            var placed = await buyer.PlaceNeedAsync(new PlaceNeedRequest("bench", 10, start, start.AddSeconds(10), 2.00m, Mode: "spot",
                Job: new JobDto(program.Location, "blob:", ProgramSha256: program.Sha256, Inputs: [new JobInputDto(data.Location, data.Sha256)])));
            var tradeId = placed.Trades.Single().Id;
            ContractDto? contract = null;
            while (watch.Elapsed < TimeSpan.FromMinutes(2))
            {
                contract = (await buyer.GetContractsAsync(role: "buyer", limit: 5)).Items.FirstOrDefault(c => c.TradeId == tradeId && c.Status == "delivered");
                if (contract is not null)
                {
                    break;
                }

                await Task.Delay(20);
            }

            if (contract is null)
            {
                var last = (await buyer.GetContractsAsync(role: "buyer", limit: 1)).Items.FirstOrDefault();
                Console.Error.WriteLine($"no delivery within two minutes; the contract is {last?.Status}: {last?.History.LastOrDefault()?.Reason}");
                return 1;
            }

            total.Add(watch.Elapsed.TotalMilliseconds);
            afterStart.Add((DateTimeOffset.UtcNow - start).TotalMilliseconds);
            await buyer.ConfirmContractAsync(contract.Id);
        }

        Console.WriteLine($"spot need to delivered results (payroll.wasm, 2-line CSV), {count} runs, market slot 1 s, stage lead 5 s:");
        Console.WriteLine($"  placed → delivered:        median {Median(total):0} ms, min {total.Min():0} ms, max {total.Max():0} ms");
        Console.WriteLine($"  window start → delivered:  median {Median(afterStart):0} ms, min {afterStart.Min():0} ms, max {afterStart.Max():0} ms");
        return 0;
    }
    finally
    {
        foreach (var p in new[] { agent, server })
        {
            if (p is { HasExited: false })
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit();
            }
        }

        Directory.Delete(folder, recursive: true);
    }
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

static int FreePort()
{
    using var l = new TcpListener(IPAddress.Loopback, 0);
    l.Start();
    return ((IPEndPoint)l.LocalEndpoint).Port;
}

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Surplus.sln")))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException("Surplus.sln not found above " + AppContext.BaseDirectory);
}
