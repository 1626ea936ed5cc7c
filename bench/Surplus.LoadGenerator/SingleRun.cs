using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace Surplus.LoadGenerator;

/// <summary>What the single-order scenario measures: <paramref name="Rounds"/> pairs of parts of <paramref name="Part"/> each.</summary>
internal sealed record SingleSettings(int Rounds, TimeSpan Part, TimeSpan Warmup, int Concurrency, int Clients, int Members, string DataRoot)
{
    /// <summary>The most rounds.</summary>
    public const int MaxRounds = 20;

    /// <summary>The longest part.</summary>
    public static readonly TimeSpan MaxPart = TimeSpan.FromMinutes(2);
}

/// <summary>One timed part: answers, the time they took, the server's CPU meanwhile, and the orders' latencies when it sent orders.</summary>
internal sealed record SinglePart(int Answered, int Other, TimeSpan Elapsed, TimeSpan ServerCpu, RunResult? Orders)
{
    public double PerSecond => Answered / Elapsed.TotalSeconds;

    public double ServerCpuMicroseconds => Answered == 0 ? double.NaN : ServerCpu.TotalMicroseconds / Answered;
}

/// <summary>
/// One order per request against <c>surplus serve</c> in its own process, beside what the same
/// server answers for <c>GET /healthz</c>, the cheapest request it has: rounds of a part of each,
/// alternated on one server so that both meet the same machine, each part a closed loop with the
/// same connections and requests in flight.
/// </summary>
internal static class SingleRun
{
    /// <summary>The goal of issue-sized single orders: durable acknowledged orders a second.</summary>
    private const double GoalRate = 20_000;

    /// <summary>The goal of single orders beside <c>/healthz</c>: at least this share of its rate.</summary>
    private const double GoalShare = 0.5;

    // The fair-use limits lifted, as in the load scenario: every order comes from a few members.
    private static readonly string[] ServerSettings = ["Durable=true", "RateLimitPerSecond=100000000", "MaxRequestsInFlightPerMember=100000", "JoinsPerAddressPerHour=100000"];

    public static async Task<string> RunAsync(SingleSettings settings, string[] args)
    {
        var loadBefore = ScaleRun.LoadAverage();
        var took = Stopwatch.StartNew();
        await Console.Error.WriteLineAsync($"[single] starting the exchange in {settings.DataRoot}");
        await using var server = await ServerProcess.StartAsync(settings.DataRoot, ServerSettings);
        var http = LoadRun.Clients(settings.Clients, Math.Max(1, (settings.Concurrency + settings.Clients - 1) / settings.Clients));
        try
        {
            var flow = await OrderFlow.JoinAsync(http[0], server.Address, settings.Members);
            var perPart = (int)Math.Min(2_000_000, settings.Part.TotalSeconds * 60_000);

            // The server's JIT has to catch up with both paths before anything counts.
            await Console.Error.WriteLineAsync($"[single] warming up for {settings.Warmup.TotalSeconds:0} s");
            var warmed = Stopwatch.StartNew();
            for (var i = 0; warmed.Elapsed < settings.Warmup; i++)
            {
                var slice = TimeSpan.FromSeconds(Math.Min(5, Math.Max(1, (settings.Warmup - warmed.Elapsed).TotalSeconds)));
                await OrdersAsync(server, http, flow.Build(perPart, $"warm-{i}", DateTimeOffset.UtcNow, 100 + i), settings.Concurrency, slice);
                await HealthAsync(server, http, settings.Concurrency, TimeSpan.FromSeconds(Math.Min(2, slice.TotalSeconds)));
            }

            var rounds = new List<(SinglePart Health, SinglePart Orders)>();
            for (var round = 1; round <= settings.Rounds; round++)
            {
                var requests = flow.Build(perPart, $"round-{round}", DateTimeOffset.UtcNow, round);
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                var health = await HealthAsync(server, http, settings.Concurrency, settings.Part);
                var orders = await OrdersAsync(server, http, requests, settings.Concurrency, settings.Part);
                rounds.Add((health, orders));
                await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"[single] round {round}: /healthz {health.PerSecond:N0}/s, orders {orders.PerSecond:N0}/s ({orders.Other:N0} not acknowledged){(orders.Orders!.Samples.Count > 0 ? ", for example " + orders.Orders.Samples[0] : "")}"));
            }

            return Report(settings, rounds, args, ScaleRun.Machine(loadBefore, ScaleRun.LoadAverage(), took.Elapsed));
        }
        finally
        {
            foreach (var client in http)
            {
                client.Dispose();
            }
        }
    }

    private static async Task<SinglePart> OrdersAsync(ServerProcess server, HttpClient[] http, Order[] requests, int concurrency, TimeSpan limit)
    {
        var cpu = server.CpuTime;
        var result = await LoadRun.ClosedLoopAsync(server.Address, http, requests, concurrency, limit);
        var spent = server.CpuTime - cpu;
        var sent = result.Outcomes.Count(o => o != Outcome.NotSent);
        return new SinglePart(result.Acked, sent - result.Acked, result.Elapsed, spent, result);
    }

    /// <summary><paramref name="concurrency"/> workers each asking <c>GET /healthz</c> again as soon as it is answered, for <paramref name="limit"/>.</summary>
    private static async Task<SinglePart> HealthAsync(ServerProcess server, HttpClient[] http, int concurrency, TimeSpan limit)
    {
        var cpu = server.CpuTime;
        var health = new Uri(server.Address, "/healthz");
        var answered = 0;
        var other = 0;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var client = http[w % http.Length];
            while (clock.Elapsed < limit)
            {
                try
                {
                    using var response = await client.GetAsync(health, HttpCompletionOption.ResponseContentRead);
                    Interlocked.Increment(ref response.StatusCode == HttpStatusCode.OK ? ref answered : ref other);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref other);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var elapsed = clock.Elapsed;
        return new SinglePart(answered, other, elapsed, server.CpuTime - cpu, null);
    }

    private static string Report(SingleSettings settings, List<(SinglePart Health, SinglePart Orders)> rounds, string[] args, string machine)
    {
        var text = new StringBuilder();
        text.AppendLine(machine);
        text.AppendLine(CultureInfo.InvariantCulture, $"Command: dotnet run -c Release --project bench/Surplus.LoadGenerator{(args.Length > 0 ? " -- " + string.Join(' ', args) : "")}");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"`surplus serve` in its own process (durable SQLite, fair-use limits lifted), this process the client: {settings.Concurrency} requests in flight over {settings.Clients} HttpClients (HTTP/1.1, loopback), {settings.Members} sellers and {settings.Members} buyers sending one order per request (`POST /v1/offers`, `POST /v1/needs`, Idempotency-Key on each, most needs trading on arrival); each round {settings.Part.TotalSeconds:0} s of `GET /healthz` then {settings.Part.TotalSeconds:0} s of orders, after a warm-up of {settings.Warmup.TotalSeconds:0} s of both.");
        text.AppendLine();
        text.AppendLine("| round | `/healthz` answered/s | server CPU per `/healthz` (µs) | orders acknowledged/s | server CPU per order (µs) | order p50 (ms) | order p99 (ms) | orders ÷ `/healthz` |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        var i = 0;
        foreach (var (health, orders) in rounds)
        {
            var p = orders.Orders!.Percentiles(0.5, 0.99);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {++i} | {health.PerSecond:N0} | {health.ServerCpuMicroseconds:0} | {orders.PerSecond:N0} | {orders.ServerCpuMicroseconds:0} | {p[0]:0.0} | {p[1]:0.0} | {orders.PerSecond / health.PerSecond:0.00} |");
        }

        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }

        var rate = Median(rounds.Select(r => r.Orders.PerSecond));
        var share = Median(rounds.Select(r => r.Orders.PerSecond / r.Health.PerSecond));
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Median over the rounds: **{rate:N0} orders/s** (goal {GoalRate:N0}: {(rate >= GoalRate ? "met" : "not met")}), **{share:0.00} of `/healthz`** (goal {GoalShare:0.0}: {(share >= GoalShare ? "met" : "not met")}).");
        var refused = rounds.Sum(r => r.Orders.Other);
        if (refused > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Orders not acknowledged: {refused:N0}, for example: {string.Join(" | ", rounds.SelectMany(r => r.Orders.Orders!.Samples).Take(3))}");
        }

        return text.ToString();
    }
}
