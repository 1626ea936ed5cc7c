using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Surplus.Protocol;

namespace Surplus.LoadGenerator;

/// <summary>What the flood scenario measures: a victim's latency alone and beside a member at its limits.</summary>
internal sealed record FloodSettings(TimeSpan Phase, int MaxVictimNeeds, string DataRoot, string Parts);

/// <summary>One phase's victim latencies (ms) and the server process's CPU time meanwhile.</summary>
internal sealed record Phase(List<double> Latencies, TimeSpan ServerCpu);

/// <summary>
/// One member floods the compute market with what the exchange accepts (batches of 1,000 offers
/// from four connections, 31-day capacity reads, recurring offers of every frequency) while
/// another member places single needs one after another. The victim's latency is measured alone
/// first, then under the flood, on the same exchange with the fair-use limits as shipped.
/// </summary>
internal static class FloodRun
{
    private const string Market = "compute";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static async Task<string> RunAsync(FloodSettings settings, string[] args)
    {
        // The exchange runs as its own process, as members meet it, with the fair-use limits as shipped.
        await using var exchange = await ServerProcess.StartAsync(settings.DataRoot, ["Durable=true", "JoinsPerAddressPerHour=100000"]);
        var clients = LoadRun.Clients(6, 2);
        try
        {
            var http = clients[0];
            var minute = TimeSpan.TicksPerMinute;
            var start = new DateTimeOffset((DateTimeOffset.UtcNow.UtcTicks / minute + 10) * minute, TimeSpan.Zero);
            var seller = await JoinAsync(http, exchange.Address, "flood-seller", 0);
            var victim = await JoinAsync(http, exchange.Address, "flood-victim", 1_000_000_000_000);
            var flooder = await JoinAsync(http, exchange.Address, "flood-member", 0);

            // The victim's needs trade against one large offer, so none rests and its latency is one match and one commit.
            await SendAsync(http, exchange.Address, HttpMethod.Post, "/v1/offers", seller,
                new PlaceOfferRequest(Market, 100_000_000, 1m, start, start.AddHours(1)), expect: 201);
            var need = JsonSerializer.SerializeToUtf8Bytes(new PlaceNeedRequest(Market, 1, start, start.AddHours(1), 1m), Json);

            await Console.Error.WriteLineAsync("[flood] warming up the victim's path and the flood's");
            await VictimAsync(clients[1], exchange.Address, victim, need, TimeSpan.FromSeconds(3), settings.MaxVictimNeeds);
            using (var warm = new CancellationTokenSource(TimeSpan.FromSeconds(3)))
            {
                await FloodAsync(clients, exchange.Address, flooder, start, settings.Parts, warm.Token);
            }

            // The rate limit's bucket and the engine's queue settle before the idle measurement.
            await Task.Delay(TimeSpan.FromSeconds(3));
            await Console.Error.WriteLineAsync($"[flood] the victim alone for {settings.Phase.TotalSeconds:0} s");
            var cpu = exchange.CpuTime;
            var idle = await VictimAsync(clients[1], exchange.Address, victim, need, settings.Phase, settings.MaxVictimNeeds);
            var idleCpu = exchange.CpuTime - cpu;

            await Console.Error.WriteLineAsync($"[flood] the victim beside the flood for {settings.Phase.TotalSeconds:0} s");
            using var stop = new CancellationTokenSource();
            var flood = FloodAsync(clients, exchange.Address, flooder, start, settings.Parts, stop.Token);
            await Task.Delay(TimeSpan.FromSeconds(2));
            cpu = exchange.CpuTime;
            var flooded = await VictimAsync(clients[1], exchange.Address, victim, need, settings.Phase, settings.MaxVictimNeeds);
            var floodedCpu = exchange.CpuTime - cpu;
            await stop.CancelAsync();
            var counts = await flood;
            return Report(settings, new Phase(idle, idleCpu), new Phase(flooded, floodedCpu), counts, args);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    /// <summary>Single needs one after another until <paramref name="phase"/> has passed or <paramref name="most"/> were sent; each latency in ms.</summary>
    private static async Task<List<double>> VictimAsync(HttpClient http, Uri exchange, string key, byte[] need, TimeSpan phase, int most)
    {
        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < phase && latencies.Count < most)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(exchange, "/v1/needs")) { Content = new ByteArrayContent(need) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            request.Headers.TryAddWithoutValidation("Authorization", key);
            var sent = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(request);
            await response.Content.LoadIntoBufferAsync();
            var took = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
            if ((int)response.StatusCode != 201)
            {
                throw new InvalidOperationException($"the victim's need was answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }

            latencies.Add(took);
        }

        return latencies;
    }

    /// <summary>The flood, until cancelled: the answers it got, by kind of request and status.</summary>
    private static async Task<Dictionary<string, int>> FloodAsync(HttpClient[] clients, Uri exchange, string key, DateTimeOffset start, string parts, CancellationToken stop)
    {
        var counts = new Dictionary<string, int>();
        var sync = new Lock();
        void Count(string what, int status)
        {
            lock (sync)
            {
                counts[$"{what} {status}"] = counts.GetValueOrDefault($"{what} {status}") + 1;
            }
        }

        async Task Loop(string what, HttpClient http, Func<int, HttpRequestMessage> next)
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    using var request = next(i);
                    request.Headers.TryAddWithoutValidation("Authorization", key);
                    using var response = await http.SendAsync(request, stop);
                    await response.Content.LoadIntoBufferAsync(stop);
                    Count(what, (int)response.StatusCode);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
            }
        }

        // Offers over the next 31 days at an ask no need meets, serialized once so that the flood costs
        // this process (which the victim shares) as little as it can: what is measured is the exchange's share.
        var bodies = Enumerable.Range(0, 16).Select(b => JsonSerializer.SerializeToUtf8Bytes(new BatchOrdersRequest([.. Enumerable.Range(0, 1000).Select(j =>
        {
            var at = start.AddMinutes((((b * 1000L) + j) * 7) % (31 * 24 * 60));
            return new BatchOrderItem(Offer: new PlaceOfferRequest(Market, 10, 1000m, at, at.AddMinutes(30)));
        })]), Json)).ToArray();
        HttpRequestMessage Batch(int connection, int i)
        {
            var content = new ByteArrayContent(bodies[((connection * 4) + i) % bodies.Length]);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            return new HttpRequestMessage(HttpMethod.Post, new Uri(exchange, "/v1/orders/batch")) { Content = content };
        }

        HttpRequestMessage Capacity(int i) => new(HttpMethod.Get, new Uri(exchange,
            $"/v1/markets/{Market}/capacity?start={Uri.EscapeDataString(start.ToString("O", CultureInfo.InvariantCulture))}&end={Uri.EscapeDataString(start.AddDays(31).ToString("O", CultureInfo.InvariantCulture))}"));
        string[] rules = ["FREQ=MINUTELY", "FREQ=HOURLY", "FREQ=DAILY", "FREQ=WEEKLY;BYDAY=SA", "FREQ=MONTHLY;BYMONTHDAY=1", "FREQ=YEARLY", "FREQ=SECONDLY", "FREQ=DAILY;COUNT=1000000"];
        HttpRequestMessage Recurring(int i) => new(HttpMethod.Post, new Uri(exchange, "/v1/offers"))
        {
            Content = JsonContent.Create(new PlaceOfferRequest(Market, 10, 1000m,
                Recurrence: new RecurrenceDto(rules[i % rules.Length], new TimeOnly(0, 0), 60, "UTC")), options: Json),
        };

        var loops = new List<Task>();
        if (parts.Contains('b', StringComparison.Ordinal))
        {
            loops.AddRange(Enumerable.Range(0, 4).Select(c => Loop("batch of 1,000 offers", clients[2 + c], i => Batch(c, i))));
        }

        if (parts.Contains('c', StringComparison.Ordinal))
        {
            loops.Add(Loop("31-day capacity read", clients[0], Capacity));
        }

        if (parts.Contains('r', StringComparison.Ordinal))
        {
            loops.AddRange(rules.Select((rule, k) => Loop($"recurring offer {rule}", clients[0], i => Recurring(k))));
        }

        await Task.WhenAll(loops);
        return counts;
    }

    private static async Task<string> JoinAsync(HttpClient http, Uri exchange, string name, long deposit)
    {
        using var joined = await http.PostAsJsonAsync(new Uri(exchange, "/v1/members"), new JoinRequest(name, $"{name}.load.example:7000"), Json);
        joined.EnsureSuccessStatusCode();
        var member = (await joined.Content.ReadFromJsonAsync<JoinResponse>(Json))!;
        if (deposit > 0)
        {
            await SendAsync(http, exchange, HttpMethod.Post, $"/v1/admin/members/{member.Member.Id}/deposit", "Bearer " + ExchangeUnderTest.AdminKey,
                new DepositRequest(deposit, "flood"), expect: 200);
        }

        return "Bearer " + member.ApiKey;
    }

    private static async Task SendAsync<T>(HttpClient http, Uri exchange, HttpMethod method, string path, string key, T body, int expect)
    {
        using var request = new HttpRequestMessage(method, new Uri(exchange, path)) { Content = JsonContent.Create(body, options: Json) };
        request.Headers.TryAddWithoutValidation("Authorization", key);
        using var response = await http.SendAsync(request);
        if ((int)response.StatusCode != expect)
        {
            throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static double Percentile(List<double> sorted, double q) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static string Report(FloodSettings settings, Phase idlePhase, Phase floodedPhase, Dictionary<string, int> flood, string[] args)
    {
        var (idle, flooded) = (idlePhase.Latencies, floodedPhase.Latencies);
        idle.Sort();
        flooded.Sort();
        var text = new System.Text.StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Command: dotnet run -c Release --project bench/Surplus.LoadGenerator -- {string.Join(' ', args)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Victim: single needs one after another on {Market} (each trades with one large offer), {settings.Phase.TotalSeconds:0} s or {settings.MaxVictimNeeds:N0} needs per phase; `surplus serve` in its own process, durable SQLite, fair-use limits as shipped.");
        text.AppendLine();
        text.AppendLine("| phase | victim's needs | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | server CPU (cores) |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, phase) in new[] { ("idle", idlePhase), ("under flood", floodedPhase) })
        {
            var l = phase.Latencies;
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {name} | {l.Count:N0} | {Percentile(l, 0.5):0.0} | {Percentile(l, 0.9):0.0} | {Percentile(l, 0.99):0.0} | {Percentile(l, 1):0.0} | {phase.ServerCpu / settings.Phase:0.00} |");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"p99 under flood ÷ p99 idle: **{Percentile(flooded, 0.99) / Percentile(idle, 0.99):0.00}**; p50: {Percentile(flooded, 0.5) / Percentile(idle, 0.5):0.00}.");
        text.AppendLine();
        text.AppendLine("The flood's answers, during its warm-up and its phase: " + string.Join(", ", flood.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}: {kv.Value:N0}")) + ".");
        return text.ToString();
    }
}
