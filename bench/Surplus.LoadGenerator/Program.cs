using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using Surplus.LoadGenerator;
using Outcome = Surplus.LoadGenerator.Outcome;

var orders = new Option<int>("--orders") { Description = "Orders in a closed-loop run (the run also stops at --seconds).", DefaultValueFactory = _ => 100_000 };
var seconds = new Option<int>("--seconds") { Description = "The longest a closed-loop run may take.", DefaultValueFactory = _ => 60 };
var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight in the closed loop.", DefaultValueFactory = _ => 64 };
var clients = new Option<int>("--clients") { Description = "HttpClients (connection pools) the requests are spread over.", DefaultValueFactory = _ => 4 };
var rate = new Option<int>("--rate") { Description = "Offered orders per second in the open loop.", DefaultValueFactory = _ => 10_000 };
var rateSeconds = new Option<int>("--rate-seconds") { Description = "How long the open loop offers orders.", DefaultValueFactory = _ => 10 };
var maxInFlight = new Option<int>("--max-in-flight") { Description = "The most open-loop requests outstanding at once.", DefaultValueFactory = _ => 1024 };
var warmup = new Option<int>("--warmup") { Description = "The most orders sent to warm up before each measured run (not counted).", DefaultValueFactory = _ => 50_000 };
var warmupSeconds = new Option<int>("--warmup-seconds") { Description = "The longest warm-up: until the JIT has recompiled the hot paths (tiered compilation), figures are those of a cold server.", DefaultValueFactory = _ => 20 };
var processWarmupSeconds = new Option<int>("--process-warmup-seconds") { Description = "The longest the process warms up on throwaway exchanges before the first run, in rounds that stop once the JIT has caught up.", DefaultValueFactory = _ => 120 };
var members = new Option<int>("--members") { Description = "Sellers, and as many buyers.", DefaultValueFactory = _ => 32 };
var durable = new Option<string>("--durable") { Description = "Which stores to run: both, on (synchronous=FULL) or off.", DefaultValueFactory = _ => "both" };
durable.AcceptOnlyFromAmong("both", "on", "off");
var mode = new Option<string>("--mode") { Description = "Which runs: both, closed (throughput) or open (latency at --rate).", DefaultValueFactory = _ => "both" };
mode.AcceptOnlyFromAmong("both", "closed", "open");
var batch = new Option<int>("--batch") { Description = "Orders per request: 1 posts each to /v1/offers or /v1/needs; more posts one member's orders together to /v1/orders/batch.", DefaultValueFactory = _ => 1 };
var scenario = new Option<string>("--scenario") { Description = "load: throughput and latency of orders; single: one order per request against surplus serve beside GET /healthz; flood: a member's single needs alone and beside another member's flood; scale: what a book of --scale-orders resting orders costs; followers: --followers members on event streams while offers flow.", DefaultValueFactory = _ => "load" };
scenario.AcceptOnlyFromAmong("load", "single", "flood", "scale", "followers");
var runs = new Option<int>("--runs") { Description = "load: how many times each run (mode and store) is repeated, each on a fresh exchange; the report counts the open-loop runs whose p99 is under 25 ms.", DefaultValueFactory = _ => 1 };
var allocations = new Option<bool>("--allocations") { Description = "load: also sample what each measured run allocates, by type (the runtime's allocation ticks), and report the types that allocate most per order." };
var singleRounds = new Option<int>("--single-rounds") { Description = "single: rounds of a part of /healthz then a part of orders.", DefaultValueFactory = _ => 3 };
var singleSeconds = new Option<int>("--single-seconds") { Description = "single: how long each part of a round lasts.", DefaultValueFactory = _ => 10 };
var floodSeconds = new Option<int>("--flood-seconds") { Description = "flood: how long each phase (alone, under flood) measures the victim.", DefaultValueFactory = _ => 15 };
var floodNeeds = new Option<int>("--flood-needs") { Description = "flood: the most needs the victim sends per phase.", DefaultValueFactory = _ => 20_000 };
var floodParts = new Option<string>("--flood-parts") { Description = "flood: what the flooding member sends: b (batches of 1,000 offers from four connections), c (31-day capacity reads), r (recurring offers of every frequency), in any combination.", DefaultValueFactory = _ => "bcr" };
var scaleOrders = new Option<int>("--scale-orders") { Description = "scale: the resting offers the book is filled with (1,000 to 2,000,000).", DefaultValueFactory = _ => 100_000 };
var scaleNeeds = new Option<int?>("--scale-needs") { Description = "scale: the resting needs of the second book (as many as --scale-orders when not given; 0 leaves it out)." };
var scaleSamples = new Option<int>("--scale-samples") { Description = "scale: single orders measured against each book size (1 to 100,000).", DefaultValueFactory = _ => 2_000 };
var scaleSampleSeconds = new Option<int>("--scale-sample-seconds") { Description = "scale: the longest the single orders at one book size take.", DefaultValueFactory = _ => 20 };
var scaleSeconds = new Option<int>("--scale-seconds") { Description = "scale: the longest filling one book may take; a fill stopped early reports the size it reached.", DefaultValueFactory = _ => 1_800 };
var followers = new Option<int>("--followers") { Description = "followers: members each holding an event stream open (1 to 15,000).", DefaultValueFactory = _ => 10_000 };
var followRate = new Option<int>("--follow-rate") { Description = "followers: orders per second that trade with the followers, in batches of 100 (100 to 20,000).", DefaultValueFactory = _ => 5_000 };
var followSeconds = new Option<int>("--follow-seconds") { Description = "followers: how long the offers flow (1 to 300).", DefaultValueFactory = _ => 20 };
var setting = new Option<string[]>("--setting") { Description = "A server setting (Name=value, as `surplus serve --Surplus:Name=value` takes it) for every exchange the run starts, after the scenario's own; repeatable.", AllowMultipleArgumentsPerToken = false };
var dataRoot = new Option<string>("--data-root") { Description = "Where the fresh data folders go (a real disk, not tmpfs, or durability costs nothing).", DefaultValueFactory = _ => Path.GetTempPath() };

var root = new RootCommand("Load generator for the Surplus exchange: starts the server on 127.0.0.1 with a fresh SQLite data folder (in this process for the load scenario, as `surplus serve` in its own process for flood, scale and followers) and drives orders at it over loopback HTTP.")
{
    orders, seconds, concurrency, clients, rate, rateSeconds, maxInFlight, warmup, warmupSeconds, processWarmupSeconds, members, durable, mode, batch, dataRoot, setting,
    scenario, floodSeconds, floodNeeds, floodParts, scaleOrders, scaleNeeds, scaleSamples, scaleSampleSeconds, scaleSeconds, followers, followRate, followSeconds, singleRounds, singleSeconds, runs, allocations,
};
root.SetAction(async parse =>
{
    var extra = parse.GetValue(setting) ?? [];
    if (extra.FirstOrDefault(s => s.IndexOf('=', StringComparison.Ordinal) < 1) is { } malformed)
    {
        await Console.Error.WriteLineAsync($"load generator: --setting takes Name=value, not '{malformed}'");
        return 2;
    }

    ExchangeUnderTest.ExtraSettings = extra;
    if (parse.GetValue(scenario) == "scale")
    {
        var offers = parse.GetValue(scaleOrders);
        var needs = parse.GetValue(scaleNeeds) ?? offers;
        var samples = parse.GetValue(scaleSamples);
        if (offers is < 1_000 or > ScaleSettings.MaxBook || needs is < 0 or > ScaleSettings.MaxBook || (needs is > 0 and < 1_000) || samples is < 1 or > 100_000
            || parse.GetValue(scaleSampleSeconds) is < 1 or > 600 || parse.GetValue(scaleSeconds) is < 1 or > 7_200)
        {
            await Console.Error.WriteLineAsync($"load generator: --scale-orders is 1,000 to {ScaleSettings.MaxBook:N0}, --scale-needs 0 or 1,000 to {ScaleSettings.MaxBook:N0}, --scale-samples 1 to 100,000, --scale-sample-seconds 1 to 600 and --scale-seconds 1 to 7,200");
            return 2;
        }

        Console.WriteLine(await ScaleRun.RunAsync(
            new ScaleSettings(offers, needs, samples, TimeSpan.FromSeconds(parse.GetValue(scaleSampleSeconds)), TimeSpan.FromSeconds(parse.GetValue(scaleSeconds)), parse.GetValue(dataRoot)!),
            args));
        return 0;
    }

    if (parse.GetValue(scenario) == "followers")
    {
        var count = parse.GetValue(followers);
        var perSecond = parse.GetValue(followRate);
        var flowSeconds = parse.GetValue(followSeconds);
        if (count is < 1 or > FollowSettings.MaxFollowers || perSecond is < 100 or > FollowSettings.MaxRate || flowSeconds < 1 || flowSeconds > FollowSettings.MaxDuration.TotalSeconds)
        {
            await Console.Error.WriteLineAsync($"load generator: --followers is 1 to {FollowSettings.MaxFollowers:N0}, --follow-rate 100 to {FollowSettings.MaxRate:N0} and --follow-seconds 1 to {FollowSettings.MaxDuration.TotalSeconds:0}");
            return 2;
        }

        Console.WriteLine(await FollowRun.RunAsync(new FollowSettings(count, perSecond, TimeSpan.FromSeconds(flowSeconds), parse.GetValue(dataRoot)!), args));
        return 0;
    }

    if (parse.GetValue(scenario) == "single")
    {
        var single = new SingleSettings(
            parse.GetValue(singleRounds), TimeSpan.FromSeconds(parse.GetValue(singleSeconds)), TimeSpan.FromSeconds(parse.GetValue(warmupSeconds)),
            parse.GetValue(concurrency), parse.GetValue(clients), parse.GetValue(members), parse.GetValue(dataRoot)!);
        if (single.Rounds is < 1 or > SingleSettings.MaxRounds || single.Part < TimeSpan.FromSeconds(1) || single.Part > SingleSettings.MaxPart
            || single.Warmup > TimeSpan.FromMinutes(10) || single.Concurrency is < 1 or > 1_024 || single.Clients is < 1 or > 64 || single.Members is < 1 or > 1_000)
        {
            await Console.Error.WriteLineAsync($"load generator: --single-rounds is 1 to {SingleSettings.MaxRounds}, --single-seconds 1 to {SingleSettings.MaxPart.TotalSeconds:0}, --warmup-seconds at most 600, --concurrency 1 to 1,024, --clients 1 to 64 and --members 1 to 1,000");
            return 2;
        }

        Console.WriteLine(await SingleRun.RunAsync(single, args));
        return 0;
    }

    if (parse.GetValue(scenario) == "flood")
    {
        if (parse.GetValue(floodSeconds) is < 1 or > 600 || parse.GetValue(floodNeeds) < 1)
        {
            await Console.Error.WriteLineAsync("load generator: --flood-seconds is 1 to 600 and --flood-needs at least 1");
            return 2;
        }

        Console.WriteLine(await FloodRun.RunAsync(
            new FloodSettings(TimeSpan.FromSeconds(parse.GetValue(floodSeconds)), parse.GetValue(floodNeeds), parse.GetValue(dataRoot)!, parse.GetValue(floodParts)!), args));
        return 0;
    }

    var settings = new LoadSettings(
        parse.GetValue(orders), TimeSpan.FromSeconds(parse.GetValue(seconds)), parse.GetValue(concurrency), parse.GetValue(clients),
        parse.GetValue(rate), TimeSpan.FromSeconds(parse.GetValue(rateSeconds)), parse.GetValue(maxInFlight), parse.GetValue(warmup),
        TimeSpan.FromSeconds(parse.GetValue(warmupSeconds)), parse.GetValue(members), parse.GetValue(dataRoot)!, parse.GetValue(batch),
        TimeSpan.FromSeconds(parse.GetValue(processWarmupSeconds)), parse.GetValue(allocations));
    var stores = parse.GetValue(durable) switch { "on" => new[] { true }, "off" => [false], _ => [true, false] };
    var modes = parse.GetValue(mode) switch { "closed" => new[] { false }, "open" => [true], _ => [false, true] };
    var repeat = parse.GetValue(runs);
    if (repeat is < 1 or > 20)
    {
        await Console.Error.WriteLineAsync("load generator: --runs is 1 to 20");
        return 2;
    }

    if (settings.Orders < 1 || settings.Concurrency < 1 || settings.Clients < 1 || settings.Rate < 1 || settings.Members < 1 || settings.MaxInFlight < 1 || settings.Batch < 1 || settings.Batch > 1000)
    {
        await Console.Error.WriteLineAsync("load generator: counts and rates must be at least 1, and --batch at most 1000");
        return 2;
    }

    await Runs.WarmProcessAsync(settings);
    var rows = new List<Row>();
    foreach (var open in modes)
    {
        foreach (var store in stores)
        {
            for (var run = 0; run < repeat; run++)
            {
                rows.Add(await Runs.RunAsync(settings, store, open));
            }
        }
    }

    Console.WriteLine(Runs.Report(settings, rows, args));
    return 0;
});

return await root.Parse(args).InvokeAsync();

/// <summary>What one invocation measures.</summary>
internal sealed record LoadSettings(
    int Orders, TimeSpan Limit, int Concurrency, int Clients, int Rate, TimeSpan RateDuration, int MaxInFlight, int Warmup, TimeSpan WarmupLimit, int Members,
    string DataRoot, int Batch, TimeSpan ProcessWarmupLimit, bool Allocations = false);

/// <summary>One line of the report.</summary>
internal sealed record Row(bool Durable, bool Open, string Load, RunResult Result, EngineCounters Engine, RuntimeCosts Costs, IReadOnlyList<GcPause> GcPauses, string? Allocations = null)
{
    public double MeanBatch => Engine.Stores > 0 ? Engine.Commands / Engine.Stores : double.NaN;

    public string Name => $"{(Durable ? "FULL (durable)" : "OFF")}, {(Open ? "open loop" : "closed loop")}";
}

/// <summary>The runs: each on a fresh exchange, warmed up, then measured.</summary>
internal static class Runs
{
    /// <summary>
    /// Warms the process on throwaway exchanges, durable and not, in rounds of up to five seconds,
    /// until a round compiles fewer than <see cref="SettledJitMethods"/> methods or
    /// <see cref="LoadSettings.ProcessWarmupLimit"/> has passed. Tiered compilation recompiles hot
    /// methods in the background, twice with dynamic PGO, and on two busy cores it falls far behind:
    /// a measured run that began with a fixed 15 s warm-up still compiled 4,000–5,000 methods, up to
    /// 7 s of JIT in a 10 s run, which is what a server that has run a while no longer pays.
    /// </summary>
    public static async Task WarmProcessAsync(LoadSettings settings)
    {
        var limit = Stopwatch.GetTimestamp() + (long)(settings.ProcessWarmupLimit.TotalSeconds * Stopwatch.Frequency);
        var round = 0;
        foreach (var durable in new[] { true, false, true })
        {
            await using var exchange = await ExchangeUnderTest.StartAsync(durable, settings.DataRoot);
            var http = LoadRun.Clients(settings.Clients, Math.Max(1, (settings.Concurrency + settings.Clients - 1) / settings.Clients));
            try
            {
                var flow = await OrderFlow.JoinAsync(http[0], exchange.Address, settings.Members);
                for (var i = 0; i < 4 && Stopwatch.GetTimestamp() < limit; i++)
                {
                    var before = JitInfo.GetCompiledMethodCount();
                    await LoadRun.ClosedLoopAsync(
                        exchange.Address, http, flow.Build(settings.Warmup, $"process-warm-{round}", DateTimeOffset.UtcNow, 3 + round, settings.Batch),
                        settings.Concurrency, TimeSpan.FromSeconds(5));
                    var compiled = JitInfo.GetCompiledMethodCount() - before;
                    await Console.Error.WriteLineAsync($"[process warm-up] round {++round} (durable {(durable ? "on" : "off")}): {compiled} methods compiled");
                    if (compiled < SettledJitMethods)
                    {
                        break;
                    }
                }
            }
            finally
            {
                foreach (var client in http)
                {
                    client.Dispose();
                }
            }
        }
    }

    /// <summary>The open loop's tail goal: p99 under this many milliseconds at the offered rate, run after run.</summary>
    internal const int TailGoalMilliseconds = 25;

    /// <summary>Fewer methods than this compiled in a round of the warm-up: the JIT has caught up.</summary>
    internal const int SettledJitMethods = 100;

    public static async Task<Row> RunAsync(LoadSettings settings, bool durable, bool open)
    {
        var name = $"{(open ? "open" : "closed")}, durable {(durable ? "on" : "off")}";
        await Console.Error.WriteLineAsync($"[{name}] starting the exchange in {settings.DataRoot}");
        await using var exchange = await ExchangeUnderTest.StartAsync(durable, settings.DataRoot);
        var connections = open ? Math.Max(1, settings.MaxInFlight / settings.Clients) : Math.Max(1, (settings.Concurrency + settings.Clients - 1) / settings.Clients);
        var http = LoadRun.Clients(settings.Clients, connections);
        try
        {
            var flow = await OrderFlow.JoinAsync(http[0], exchange.Address, settings.Members);
            await Console.Error.WriteLineAsync($"[{name}] {settings.Members} sellers and {settings.Members} buyers joined; warming up for {settings.WarmupLimit.TotalSeconds:0} s or {settings.Warmup} orders");
            var warm = await LoadRun.ClosedLoopAsync(exchange.Address, http, flow.Build(settings.Warmup, "warm", DateTimeOffset.UtcNow, 1, settings.Batch), settings.Concurrency, settings.WarmupLimit);
            if (warm.Acked < warm.Outcomes.Count(o => o != Outcome.NotSent))
            {
                throw new InvalidOperationException($"the warm-up was not all acknowledged ({warm.Acked} of {warm.Outcomes.Count(o => o != Outcome.NotSent)}): {string.Join(" | ", warm.Samples)}");
            }

            var count = open ? (int)Math.Min(int.MaxValue, (long)settings.Rate * (long)settings.RateDuration.TotalSeconds) : settings.Orders;
            var requests = flow.Build(count, open ? "open" : "closed", DateTimeOffset.UtcNow, 2, settings.Batch);

            // The requests were just built (20 MB of bodies for 100,000 orders) and live through the
            // run: left young, the run's first collections copied them into the older generations,
            // pauses of 30-80 ms that belong to the generator, not the exchange. Collected now, they
            // are already old when the clock starts.
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            var before = await exchange.BatchesAsync(http[0]);
            await Console.Error.WriteLineAsync($"[{name}] sending {count} orders");
            using var gc = new GcPauses();
            using var sampled = settings.Allocations ? new AllocationSamples() : null;
            var costs = RuntimeCosts.Now();
            var result = open
                ? await LoadRun.OpenLoopAsync(exchange.Address, http, requests, settings.Rate / (double)settings.Batch, settings.MaxInFlight, TimeSpan.FromSeconds(30))
                : await LoadRun.ClosedLoopAsync(exchange.Address, http, requests, settings.Concurrency, settings.Limit);
            var spent = RuntimeCosts.Now() - costs;
            sampled?.Stop();
            var after = await exchange.BatchesAsync(http[0]);
            var engine = after - before;
            var row = new Row(durable, open, open ? $"{settings.Rate:N0}/s offered" : $"{settings.Concurrency} in flight", result, engine, spent, gc.Pauses,
                sampled?.Report($"{(durable ? "FULL (durable)" : "OFF")}, {(open ? "open loop" : "closed loop")}", result.Acked));
            await Console.Error.WriteLineAsync($"[{name}] {result.Acked} acknowledged in {result.Elapsed.TotalSeconds:0.0} s"
                + (result.Samples.Count > 0 ? $"; other answers, for example: {string.Join(" | ", result.Samples)}" : ""));
            var worst = gc.Pauses.OrderByDescending(p => p.Length).Take(5).Select(p => $"{p.Length.TotalMilliseconds:0.0} ms {p.Collection}, {p.Suspending.TotalMilliseconds:0.0} ms of it stopping the threads, {p.Promoted / 1048576.0:0.0} MB promoted");
            await Console.Error.WriteLineAsync($"[{name}] longest GC pauses: {string.Join("; ", worst)}");
            return row;
        }
        finally
        {
            foreach (var client in http)
            {
                client.Dispose();
            }
        }
    }

    public static string Report(LoadSettings settings, IReadOnlyList<Row> rows, string[] args)
    {
        var text = new System.Text.StringBuilder();
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {cpu ?? RuntimeInformation.ProcessArchitecture.ToString()}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, {(GCSettings.IsServerGC ? "server" : "workstation")} GC");
        text.AppendLine(CultureInfo.InvariantCulture, $"Command: dotnet run -c Release --project bench/Surplus.LoadGenerator{(args.Length > 0 ? " -- " + string.Join(' ', args) : "")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Orders: compute market, 1 offer (rate 30, 1 h) to 4 crossing needs (rate 10, 30 or 60 min), {settings.Members} sellers and {settings.Members} buyers, Idempotency-Key on every {(settings.Batch > 1 ? $"request, {settings.Batch} orders of one member per request (POST /v1/orders/batch; latency is the request's)" : "order")}, {settings.Clients} HttpClients over loopback HTTP/1.1, client and server in one process; each run on a fresh exchange, measured after a warm-up of {settings.WarmupLimit.TotalSeconds:0} s or {settings.Warmup:N0} orders (the process first warmed up on throwaway exchanges, durable and not, until a five-second round compiled fewer than {SettledJitMethods} methods).");
        text.AppendLine();
        text.AppendLine("| SQLite synchronous | mode | load | orders acknowledged | refused / failed | time (s) | acknowledged/s | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | traded on arrival | commands per transaction |");
        text.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            var r = row.Result;
            var p = r.Percentiles(0.50, 0.90, 0.99, 1.0);
            var traded = r.Acked == 0 ? 0 : 100.0 * r.Count(Outcome.AckedTraded) / r.Acked;
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {(row.Durable ? "FULL (durable)" : "OFF")} | {(row.Open ? "open loop" : "closed loop")} | {row.Load} | {r.Acked:N0} of {r.Outcomes.Length:N0} | {r.Count(Outcome.Refused):N0} / {r.Count(Outcome.Failed):N0} | {r.Elapsed.TotalSeconds:0.0} | {r.Acked / r.Elapsed.TotalSeconds:N0} | {p[0]:0.0} | {p[1]:0.0} | {p[2]:0.0} | {p[3]:0.0} | {traded:0}% | {row.MeanBatch:0.0} |");
        }

        text.AppendLine();
        text.AppendLine("Where the time went during each measured run (the whole process: server, client and runtime):");
        text.AppendLine();
        text.AppendLine("| run | CPU per acknowledged order (µs) | CPU busy (of 2 cores) | allocated per order (KB) | GCs gen0/1/2 | GC pauses (ms) | longest GC pause (ms) | GC pauses over 10 ms | methods JIT-compiled | JIT time (ms) | engines applying (µs per command) | store writing and committing (ms per transaction) | store busy | transactions over 25.6 ms | written to disk per order (KB) | writer on a core, per order (µs) | writer waiting for a core, per order (µs) |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            var c = row.Costs;
            var acked = Math.Max(1, row.Result.Acked);
            var longest = row.GcPauses.Count > 0 ? row.GcPauses.Max(p => p.Length.TotalMilliseconds) : 0;
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Name} | {c.Cpu.TotalMicroseconds / acked:N0} | {c.Cpu / row.Result.Elapsed / Environment.ProcessorCount:P0} | {c.Allocated / 1024.0 / acked:N1} | {c.Gen0}/{c.Gen1}/{c.Gen2} | {c.GcPause.TotalMilliseconds:N0} | {longest:N1} | {row.GcPauses.Count(p => p.Length.TotalMilliseconds > 10):N0} | {c.JitMethods:N0} | {c.JitTime.TotalMilliseconds:N0} | {row.Engine.ApplySeconds * 1e6 / Math.Max(1, row.Engine.Commands):N1} | {row.Engine.StoreSeconds * 1e3 / Math.Max(1, row.Engine.Stores):N2} | {row.Engine.StoreSeconds / row.Result.Elapsed.TotalSeconds:P0} | {row.Engine.SlowStores:N0} | {c.DiskWritten / 1024.0 / acked:N1} | {c.WriterCpu.TotalMicroseconds / acked:N1} | {c.WriterWaiting.TotalMicroseconds / acked:N1} |");
        }

        foreach (var row in rows.Where(r => r.Open && r.Result.Acked / r.Result.Elapsed.TotalSeconds < 0.95 * settings.Rate))
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{row.Name}: the exchange answered {row.Result.Acked / row.Result.Elapsed.TotalSeconds:N0} orders/s of the {settings.Rate:N0}/s offered, so the queue grew for the whole run; its latencies are those of an overloaded server (measured from each order's intended send time), and orders never sent count as not acknowledged.");
        }

        foreach (var runsOfOne in rows.Where(r => r.Open).GroupBy(r => r.Name).Where(g => g.Count() > 1))
        {
            var p99 = runsOfOne.Select(r => r.Result.Percentiles(0.99)[0]).ToArray();
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{runsOfOne.Key}: p99 under {TailGoalMilliseconds} ms in **{p99.Count(p => p < TailGoalMilliseconds)} of {p99.Length} runs** (p99 of each run: {string.Join(", ", p99.Select(p => p.ToString("0.0", CultureInfo.InvariantCulture)))} ms).");
        }

        foreach (var row in rows.Where(r => r.Allocations is not null))
        {
            text.AppendLine();
            text.Append(row.Allocations);
        }

        var closedOn = rows.FirstOrDefault(r => !r.Open && r.Durable);
        var closedOff = rows.FirstOrDefault(r => !r.Open && !r.Durable);
        if (closedOn is not null && closedOff is not null)
        {
            double Rate(Row r) => r.Result.Acked / r.Result.Elapsed.TotalSeconds;
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Durable / not durable throughput: {Rate(closedOn) / Rate(closedOff):0.00}");
        }

        return text.ToString();
    }
}
