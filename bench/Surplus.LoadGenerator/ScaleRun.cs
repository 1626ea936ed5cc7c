using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Surplus.Protocol;

namespace Surplus.LoadGenerator;

/// <summary>
/// What the scale scenario measures: a book of <paramref name="Offers"/> resting offers, and one of
/// <paramref name="Needs"/> resting needs (0: none); <paramref name="Samples"/> single orders at each
/// point, each point at most <paramref name="SampleLimit"/>; a fill at most <paramref name="FillLimit"/>.
/// </summary>
internal sealed record ScaleSettings(int Offers, int Needs, int Samples, TimeSpan SampleLimit, TimeSpan FillLimit, string DataRoot)
{
    /// <summary>The largest book the scenario fills.</summary>
    public const int MaxBook = 2_000_000;

    /// <summary>The longest a start or a restart may take before the run gives up.</summary>
    public static readonly TimeSpan StartLimit = TimeSpan.FromMinutes(10);
}

/// <summary>Batch placement into one stretch of a book's growth: orders placed, refused, the time it took and the server's CPU meanwhile.</summary>
internal sealed record Fill(int From, int Placed, int Refused, TimeSpan Elapsed, TimeSpan ServerCpu, string? Refusal)
{
    public int To => From + Placed;

    public double Rate => Placed / Elapsed.TotalSeconds;
}

/// <summary>One book's figures: the server's memory, batch placement and single orders against the book small and full, and a restart.</summary>
internal sealed record BookFigures(
    string Side, int Size, long EmptyKb, long FullKb, long DataBytes, Fill Small, Fill Large, TimeSpan FillTime,
    List<double> SinglesSmall, List<double> SinglesLarge, Restart? Restart, List<Fill> Middle);

/// <summary>A restart of the server on a full book: SIGTERM until exited, start until the first <c>/healthz</c> 200, the first order after it, and the memory then.</summary>
internal sealed record Restart(TimeSpan Stop, TimeSpan Start, double FirstOrderMs, long ResidentKb);

/// <summary>
/// Fills a book to a given size with resting orders through <c>POST /v1/orders/batch</c> (1,000 a
/// request, four requests in flight, each book member sending one batch, so the open-order and rate
/// limits hold as shipped) and measures what the size costs: the server's resident memory, the rate of
/// batch placement into a small and a full book, a single order's latency against both, and a
/// restart on the full book. The exchange is <c>surplus serve</c> in its own process (durable
/// SQLite, 127.0.0.1), as members meet it.
/// </summary>
internal static class ScaleRun
{
    private const string Market = "compute";
    private const int BatchSize = 1000;
    private const int InFlight = 4;
    private const int Probes = 4;
    private const int WarmupBatches = 20;

    // Batches timed into the small book and into the full one: 20,000 orders, a second or two.
    private const int MeasuredBatches = 20;

    // The fill between the two timed stretches, timed in this many parts: where the cost per order grows,
    // each part averaging over tens of seconds rather than the one collection a stretch of a second or two may meet.
    private const int MiddleParts = 8;
    private const int WarmupSingles = 500;
    private const int BookDays = 31;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    // The fair-use limits as shipped, but for joins: every book member joins from 127.0.0.1.
    private static readonly string[] ServerSettings = ["Durable=true", "JoinsPerAddressPerHour=10000000"];

    public static async Task<string> RunAsync(ScaleSettings settings, string[] args)
    {
        var loadBefore = LoadAverage();
        var clock = Stopwatch.StartNew();

        // Windows start two hours ahead at the earliest, so none starts (and no contract falls due) during a run.
        var first = new DateTimeOffset((DateTimeOffset.UtcNow.UtcTicks / TimeSpan.TicksPerHour + 3) * TimeSpan.TicksPerHour, TimeSpan.Zero);
        var probeWindow = first.AddDays(1);

        var offers = await OffersAsync(settings, first, probeWindow);
        var needs = settings.Needs > 0 ? await NeedsAsync(settings, first, probeWindow) : null;
        return Report(settings, offers, needs, loadBefore, LoadAverage(), clock.Elapsed, args);
    }

    /// <summary>
    /// A book of resting offers. One seller's large cheap offer covers every window, so each probe
    /// need (rate 1 for an hour, bid above that ask and below every ask of the book) trades with it
    /// alone and nothing else changes: its latency is one match against the book and one commit.
    /// </summary>
    private static async Task<BookFigures> OffersAsync(ScaleSettings settings, DateTimeOffset first, DateTimeOffset probeWindow)
    {
        await Console.Error.WriteLineAsync($"[scale] offers: starting the exchange in {settings.DataRoot}");
        await using var server = await ServerProcess.StartAsync(settings.DataRoot, ServerSettings);
        using var http = Http();
        var dedicated = await JoinAsync(http, server.Address, "scale-seller", 0);
        await SendAsync(http, server.Address, "/v1/offers", dedicated, new PlaceOfferRequest(Market, 1_000_000, 1.00m, first, first.AddDays(BookDays + 1)));
        var probes = await JoinManyAsync(http, server.Address, "scale-probe-buyer", Probes, 1_000_000_000);
        var warmers = await JoinManyAsync(http, server.Address, "scale-warm-seller", WarmupBatches, 0);
        var members = await JoinManyAsync(http, server.Address, "scale-book-seller", Members(settings.Offers), 0);

        var probe = JsonSerializer.SerializeToUtf8Bytes(new PlaceNeedRequest(Market, 1, probeWindow, probeWindow.AddHours(1), 2.00m), Json);
        var book = new Random(11);
        byte[] Offers(int count, string mode) => BatchOrders(count, _ =>
        {
            var (start, end) = BookWindow(book, first);
            return new BatchOrderItem(Offer: new PlaceOfferRequest(Market, 10, 5.00m + (book.Next(500) * 0.01m), start, end, Mode: mode));
        });
        var warmBatches = warmers.Select(key => (key, Offers(BatchSize, "standing"))).ToList();

        return await MeasureBookAsync(settings, server, http, "offers", settings.Offers, members, Offers, warmBatches, probes, "/v1/needs", probe, restart: true);
    }

    /// <summary>
    /// A book of resting needs: the mirror image. One buyer's large need with the highest bid
    /// covers the probe window; each probe offer (rate 1 for that hour, ask above every bid of the
    /// book) trades with it alone, after the engine has found which resting needs it could meet.
    /// </summary>
    private static async Task<BookFigures> NeedsAsync(ScaleSettings settings, DateTimeOffset first, DateTimeOffset probeWindow)
    {
        await Console.Error.WriteLineAsync($"[scale] needs: starting the exchange in {settings.DataRoot}");
        await using var server = await ServerProcess.StartAsync(settings.DataRoot, ServerSettings);
        using var http = Http();
        var dedicated = await JoinAsync(http, server.Address, "scale-buyer", 1_000_000_000_000);
        await SendAsync(http, server.Address, "/v1/needs", dedicated, new PlaceNeedRequest(Market, 1_000_000, probeWindow, probeWindow.AddHours(1), 20.00m));
        var probes = await JoinManyAsync(http, server.Address, "scale-probe-seller", Probes, 0);
        var warmers = await JoinManyAsync(http, server.Address, "scale-warm-buyer", WarmupBatches, 100_000_000_000);
        var members = await JoinManyAsync(http, server.Address, "scale-book-buyer", Members(settings.Needs), 100_000_000_000);

        var probe = JsonSerializer.SerializeToUtf8Bytes(new PlaceOfferRequest(Market, 1, 10.00m, probeWindow, probeWindow.AddHours(1)), Json);
        var book = new Random(13);
        byte[] Needs(int count, string mode) => BatchOrders(count, _ =>
        {
            var (start, end) = BookWindow(book, first);
            return new BatchOrderItem(Need: new PlaceNeedRequest(Market, 10, start, end, 1.00m + (book.Next(400) * 0.01m), Mode: mode));
        });
        var warmBatches = warmers.Select(key => (key, Needs(BatchSize, "standing"))).ToList();

        return await MeasureBookAsync(settings, server, http, "needs", settings.Needs, members, Needs, warmBatches, probes, "/v1/offers", probe, restart: true);
    }

    private static async Task<BookFigures> MeasureBookAsync(
        ScaleSettings settings, ServerProcess server, HttpClient http, string side, int size, string[] members, Func<int, string, byte[]> batch,
        List<(string Key, byte[] Body)> warmBatches, string[] probes, string probePath, byte[] probe, bool restart)
    {
        // Warm-up, leaving nothing resting: single orders that trade with the large order, then batches like
        // the book's, each order then cancelled. Standing orders, not spot ones, so that every path of
        // placing a resting order is compiled to its final tier before the small book is timed: spot
        // orders never rest, and the small book would be timed partly on first-tier code. The empty
        // server's memory is read before those batches: the heap they grew stays with the server GC for
        // a while after they are cancelled, and would be counted out of the book's memory.
        await Console.Error.WriteLineAsync($"[scale] {side}: warming up");
        await SinglesAsync(http, server.Address, probes, probePath, probe, WarmupSingles, settings.SampleLimit);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var emptyKb = server.ResidentKilobytes;

        var placed = new List<(string Key, long Id)>();
        var warm = await BatchesAsync(server, http, [.. warmBatches.Select(w => (Func<(string, byte[])>)(() => w))], 0, settings.FillLimit, placed);
        if (warm.Refused > 0)
        {
            throw new InvalidOperationException($"the warm-up's orders were refused: {warm.Refusal}");
        }

        await CancelAsync(http, server.Address, side, placed, settings.FillLimit);
        await Task.Delay(TimeSpan.FromSeconds(2));

        // The book's batches: member i sends batch i, so no member holds more than 1,000 open orders.
        var batches = members.Select((key, i) => (Func<(string, byte[])>)(() => (key, batch(Math.Min(BatchSize, size - (i * BatchSize)), "standing")))).ToArray();
        var measured = Math.Clamp((batches.Length - 1) / 2, 0, MeasuredBatches);
        var clock = Stopwatch.StartNew();
        var start = await BatchesAsync(server, http, batches[..1], 0, settings.FillLimit);
        clock.Stop();
        await Console.Error.WriteLineAsync($"[scale] {side}: {start.To:N0} resting; single orders against them");
        var singlesSmall = await SinglesAsync(http, server.Address, probes, probePath, probe, settings.Samples, settings.SampleLimit);

        clock.Start();
        var small = await BatchesAsync(server, http, batches[1..(1 + measured)], start.To, settings.FillLimit);
        await Console.Error.WriteLineAsync($"[scale] {side}: {small.To:N0} resting, {small.Rate:N0}/s; filling to {size:N0}");
        var parts = new List<Fill>();
        var rest = batches[(1 + measured)..^measured];
        var reached = small.To;
        for (var part = 0; part < MiddleParts; part++)
        {
            var (first, last) = (rest.Length * part / MiddleParts, rest.Length * (part + 1) / MiddleParts);
            if (last > first)
            {
                var fill = await BatchesAsync(server, http, rest[first..last], reached, settings.FillLimit - clock.Elapsed);
                parts.Add(fill);
                reached = fill.To;
                await Console.Error.WriteLineAsync(
                    $"[scale] {side}: {fill.To:N0} resting, {fill.Rate:N0}/s and {(fill.Placed > 0 ? fill.ServerCpu.TotalMicroseconds / fill.Placed : 0):N1} µs of server CPU per order from {fill.From:N0}");
            }
        }

        var large = await BatchesAsync(server, http, batches[^measured..], reached, settings.FillLimit - clock.Elapsed);
        var fillTime = clock.Elapsed;
        await Console.Error.WriteLineAsync($"[scale] {side}: {large.To:N0} resting, {large.Rate:N0}/s into the full book; single orders against it");
        var singlesLarge = await SinglesAsync(http, server.Address, probes, probePath, probe, settings.Samples, settings.SampleLimit);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var fullKb = server.ResidentKilobytes;
        var dataBytes = server.DataBytes;

        Restart? restarted = null;
        if (restart)
        {
            await Console.Error.WriteLineAsync($"[scale] {side}: restarting with {large.To:N0} resting");
            var stop = await server.StopAsync();
            foreach (var line in server.LogLines("written to"))
            {
                await Console.Error.WriteLineAsync($"[server] {line.Trim()}");
            }

            var started = await server.RestartAsync(ScaleSettings.StartLimit);
            foreach (var line in server.LogLines("read back").Concat(server.LogLines("its rows are read")))
            {
                await Console.Error.WriteLineAsync($"[server] {line.Trim()}");
            }

            var firstOrder = await SinglesAsync(http, server.Address, probes, probePath, probe, 1, ScaleSettings.StartLimit);
            await SinglesAsync(http, server.Address, probes, probePath, probe, settings.Samples, settings.SampleLimit);
            await Task.Delay(TimeSpan.FromSeconds(2));
            restarted = new Restart(stop, started, firstOrder[0], server.ResidentKilobytes);
            await Console.Error.WriteLineAsync($"[scale] {side}: stopped in {stop.TotalSeconds:0.0} s, answered /healthz {started.TotalSeconds:0.0} s after starting");
        }

        return new BookFigures(side, large.To, emptyKb, fullKb, dataBytes, small, large, fillTime, singlesSmall, singlesLarge, restarted, parts);
    }

    /// <summary>
    /// Book windows: a start at any minute of the next 31 days, 30 to 240 minutes long, so nearly
    /// every order of a book of a million has a window of its own, as the distinct windows of a
    /// real book grow with it.
    /// </summary>
    private static (DateTimeOffset Start, DateTimeOffset End) BookWindow(Random random, DateTimeOffset first)
    {
        var start = first.AddMinutes(random.Next((BookDays * 24 * 60) - 240));
        return (start, start.AddMinutes(30 + random.Next(211)));
    }

    private static int Members(int orders) => (orders + BatchSize - 1) / BatchSize;

    private static byte[] BatchOrders(int count, Func<int, BatchOrderItem> item) =>
        JsonSerializer.SerializeToUtf8Bytes(new BatchOrdersRequest([.. Enumerable.Range(0, count).Select(item)]), Json);

    /// <summary>
    /// Sends the batches, <see cref="InFlight"/> at a time, each built just before it is sent; stops
    /// early at <paramref name="limit"/>. Counts the orders placed (201) and refused.
    /// </summary>
    private static async Task<Fill> BatchesAsync(
        ServerProcess server, HttpClient http, Func<(string Key, byte[] Body)>[] batches, int from, TimeSpan limit, List<(string Key, long Id)>? placedIds = null)
    {
        var next = -1;
        int placed = 0, refused = 0;
        string? refusal = null;
        var build = new Lock();
        var cpu = server.CpuTime;
        var clock = Stopwatch.StartNew();
        async Task Loop()
        {
            while (clock.Elapsed < limit)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= batches.Length)
                {
                    return;
                }

                (string Key, byte[] Body) request;
                lock (build)
                {
                    // The builders share a seeded Random.
                    request = batches[i]();
                }

                using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Address, "/v1/orders/batch")) { Content = new ByteArrayContent(request.Body) };
                message.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                message.Headers.TryAddWithoutValidation("Authorization", request.Key);
                using var response = await http.SendAsync(message);
                var body = await response.Content.ReadAsByteArrayAsync();
                if ((int)response.StatusCode != 200)
                {
                    Interlocked.Add(ref refused, BatchSize);
                    refusal ??= $"{(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}";
                    continue;
                }

                using var answer = JsonDocument.Parse(body);
                foreach (var result in answer.RootElement.GetProperty("results").EnumerateArray())
                {
                    if (result.GetProperty("status").GetInt32() == 201)
                    {
                        Interlocked.Increment(ref placed);
                        if (placedIds is not null)
                        {
                            // {"offer": {"offer": {"id": …}, "trades": […]}}, and the same for a need.
                            var name = result.TryGetProperty("offer", out _) ? "offer" : "need";
                            var order = result.GetProperty(name).GetProperty(name);
                            lock (placedIds)
                            {
                                placedIds.Add((request.Key, order.GetProperty("id").GetInt64()));
                            }
                        }
                    }
                    else
                    {
                        Interlocked.Increment(ref refused);
                        refusal ??= result.ToString();
                    }
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, InFlight).Select(_ => Task.Run(Loop)));
        return new Fill(from, placed, refused, clock.Elapsed, server.CpuTime - cpu, refusal);
    }

    /// <summary>Cancels the orders given, <see cref="InFlight"/> at a time (each member's well inside its rate limit); stops at <paramref name="limit"/>.</summary>
    private static async Task CancelAsync(HttpClient http, Uri exchange, string side, List<(string Key, long Id)> orders, TimeSpan limit)
    {
        var next = -1;
        var clock = Stopwatch.StartNew();
        async Task Loop()
        {
            for (var i = Interlocked.Increment(ref next); i < orders.Count && clock.Elapsed < limit; i = Interlocked.Increment(ref next))
            {
                var (key, id) = orders[i];
                using var message = new HttpRequestMessage(HttpMethod.Delete, new Uri(exchange, $"/v1/{side}/{id}"));
                message.Headers.TryAddWithoutValidation("Authorization", key);
                using var response = await http.SendAsync(message);
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"cancelling the warm-up's {side} {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, InFlight).Select(_ => Task.Run(Loop)));
    }

    /// <summary>Single orders one after another, the probe members in turn (each stays well inside its rate limit); each latency in ms.</summary>
    private static async Task<List<double>> SinglesAsync(HttpClient http, Uri exchange, string[] keys, string path, byte[] body, int most, TimeSpan limit)
    {
        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        while (latencies.Count < most && (latencies.Count == 0 || clock.Elapsed < limit))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(exchange, path)) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            request.Headers.TryAddWithoutValidation("Authorization", keys[latencies.Count % keys.Length]);
            var sent = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(request);
            await response.Content.LoadIntoBufferAsync();
            var took = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
            if ((int)response.StatusCode != 201)
            {
                throw new InvalidOperationException($"POST {path} was answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }

            latencies.Add(took);
        }

        return latencies;
    }

    private static HttpClient Http() => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = InFlight + 1,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(15),
        UseCookies = false,
    })
    {
        Timeout = TimeSpan.FromMinutes(5),
    };

    internal static async Task<string[]> JoinManyAsync(HttpClient http, Uri exchange, string prefix, int count, long deposit)
    {
        var keys = new string[count];
        var next = -1;
        async Task Loop()
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                keys[i] = await JoinAsync(http, exchange, $"{prefix}-{i}", deposit);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, InFlight).Select(_ => Loop()));
        return keys;
    }

    internal static async Task<string> JoinAsync(HttpClient http, Uri exchange, string name, long deposit)
    {
        using var joined = await http.PostAsJsonAsync(new Uri(exchange, "/v1/members"), new JoinRequest(name, $"{name}.scale.example:7000"), Json);
        if (!joined.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"joining {name} was answered {(int)joined.StatusCode}: {await joined.Content.ReadAsStringAsync()}");
        }

        var member = (await joined.Content.ReadFromJsonAsync<JoinResponse>(Json))!;
        if (deposit > 0)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(exchange, $"/v1/admin/members/{member.Member.Id}/deposit"))
            {
                Content = JsonContent.Create(new DepositRequest(deposit, "scale"), options: Json),
            };
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + ExchangeUnderTest.AdminKey);
            using var response = await http.SendAsync(request);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"the deposit for {name} was answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
        }

        return "Bearer " + member.ApiKey;
    }

    internal static async Task SendAsync<T>(HttpClient http, Uri exchange, string path, string key, T body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(exchange, path)) { Content = JsonContent.Create(body, options: Json) };
        request.Headers.TryAddWithoutValidation("Authorization", key);
        using var response = await http.SendAsync(request);
        if ((int)response.StatusCode != 201)
        {
            throw new InvalidOperationException($"POST {path} was answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static double Percentile(List<double> latencies, double q)
    {
        if (latencies.Count == 0)
        {
            return double.NaN;
        }

        var sorted = latencies.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    private static string Report(ScaleSettings settings, BookFigures offers, BookFigures? needs, string loadBefore, string loadAfter, TimeSpan took, string[] args)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine(Machine(loadBefore, loadAfter, took));
        text.AppendLine(CultureInfo.InvariantCulture, $"Command: dotnet run -c Release --project bench/Surplus.LoadGenerator -- {string.Join(' ', args)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"`surplus serve` in its own process (durable SQLite, 127.0.0.1, fair-use limits as shipped but for joins per address); the book filled through POST /v1/orders/batch, {BatchSize:N0} orders a request, {InFlight} requests in flight, each book member sending one batch (so none has more than {BatchSize:N0} open orders or waits for its rate limit); book windows at any minute of the next {BookDays} days, 30 to 240 minutes long. Single orders: one after another on one connection, up to {settings.Samples:N0} or {settings.SampleLimit.TotalSeconds:0} s at each point, after a warm-up of {WarmupSingles} single orders and {WarmupBatches} batches like the book's, each order then cancelled.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"| what | book of {offers.Small.From:N0} | book of {offers.Size:N0} | full ÷ small |");
        text.AppendLine("|---|---:|---:|---:|");
        Rows(text, offers, "offer", "a need placed alone (trades with one cheap offer)");
        if (needs is not null)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| **resting needs** | book of {needs.Small.From:N0} | book of {needs.Size:N0} | |");
            Rows(text, needs, "need", "an offer placed alone (trades with one high bid; MeetNeedsWithin)");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"| with {offers.Size:N0} resting offers | figure |");
        text.AppendLine("|---|---:|");
        if (offers.Restart is { } r)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| stop: SIGTERM until the process exited | {r.Stop.TotalSeconds:0.0} s |");
            text.AppendLine(CultureInfo.InvariantCulture, $"| **restart: start until the first `/healthz` 200** | **{r.Start.TotalSeconds:0.0} s** |");
            text.AppendLine(CultureInfo.InvariantCulture, $"| the first need after it | {r.FirstOrderMs:0.0} ms |");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"| resident memory (VmRSS), empty server (after the warm-up's single orders) | {offers.EmptyKb / 1024.0:N0} MB |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| resident memory after placing them | {offers.FullKb / 1024.0:N0} MB, **{PerOrder(offers.FullKb, offers):N2} KB per offer** beyond the empty server |");
        if (offers.Restart is { } m)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| resident memory after a restart (and {settings.Samples:N0} needs) | {m.ResidentKb / 1024.0:N0} MB, **{PerOrder(m.ResidentKb, offers):N2} KB per offer** |");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"| data folder (database and its log) | {offers.DataBytes / 1048576.0:N0} MB |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| filling the book, without the single orders at 1,000 | {offers.FillTime.TotalSeconds:N0} s |");
        if (needs is not null)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| resident memory with {needs.Size:N0} resting needs (empty: {needs.EmptyKb / 1024.0:N0} MB) | {needs.FullKb / 1024.0:N0} MB, **{PerOrder(needs.FullKb, needs):N2} KB per need** |");
            if (needs.Restart is { } n)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| needs: stop, SIGTERM until the process exited | {n.Stop.TotalSeconds:0.0} s |");
                text.AppendLine(CultureInfo.InvariantCulture, $"| **needs: restart, start until the first `/healthz` 200** | **{n.Start.TotalSeconds:0.0} s** |");
                text.AppendLine(CultureInfo.InvariantCulture, $"| needs: the first offer after it | {n.FirstOrderMs:0.0} ms |");
                text.AppendLine(CultureInfo.InvariantCulture, $"| needs: resident memory after a restart (and {settings.Samples:N0} offers) | {n.ResidentKb / 1024.0:N0} MB, **{PerOrder(n.ResidentKb, needs):N2} KB per need** |");
            }
        }

        foreach (var book in new[] { offers, needs })
        {
            foreach (var fill in new[] { book?.Small, book?.Large })
            {
                if (fill is { Refused: > 0 })
                {
                    text.AppendLine();
                    text.AppendLine(CultureInfo.InvariantCulture, $"{book!.Side}: {fill.Refused:N0} orders refused, for example {fill.Refusal}");
                }
            }
        }

        return text.ToString();
    }

    /// <summary>The report's first line: the machine, the load average before and after the run, and how long it took.</summary>
    internal static string Machine(string loadBefore, string loadAfter, TimeSpan took)
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        return string.Create(CultureInfo.InvariantCulture,
            $"Machine: {cpu ?? RuntimeInformation.ProcessArchitecture.ToString()}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}; load average {loadBefore} before the run, {loadAfter} after it; the run took {took.TotalMinutes:0.0} min.");
    }

    private static double PerOrder(long kb, BookFigures book) => (kb - book.EmptyKb) / (double)Math.Max(1, book.Size);

    private static void Rows(System.Text.StringBuilder text, BookFigures book, string order, string single)
    {
        double Rate(Fill f) => f.Placed > 0 ? f.Rate : double.NaN;
        double Cpu(Fill f) => f.Placed > 0 ? f.ServerCpu.TotalMicroseconds / f.Placed : double.NaN;
        var (small, large) = (book.Small, book.Large);
        text.AppendLine(CultureInfo.InvariantCulture,
            $"| {order}s placed in batches, per second (book {small.From:N0} → {small.To:N0}, and {large.From:N0} → {large.To:N0}) | {Show(Rate(small), "N0")} | {Show(Rate(large), "N0")} | **{Show(Rate(large) / Rate(small), "0.00")}** |");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"| server CPU while placing them, per {order} (µs) | {Show(Cpu(small), "N1")} | {Show(Cpu(large), "N1")} | {Show(Cpu(large) / Cpu(small), "0.00")} |");
        if (book.Middle.Count > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| … and between them, in {book.Middle.Count} part{(book.Middle.Count == 1 ? "" : "s")}: the book's size, then µs of server CPU per {order} | {string.Join("; ", book.Middle.Select(f => $"{f.From / 1000:N0}k → {f.To / 1000:N0}k: {Show(Cpu(f), "N1")}"))} | | |");
        }

        foreach (var (name, q) in new[] { ("p50", 0.5), ("p99", 0.99) })
        {
            var (s, l) = (Percentile(book.SinglesSmall, q), Percentile(book.SinglesLarge, q));
            text.AppendLine(CultureInfo.InvariantCulture, $"| {single}, {name} (ms; {book.SinglesSmall.Count:N0} and {book.SinglesLarge.Count:N0} of them) | {s:0.00} | {l:0.00} | **{l / s:0.00}** |");
        }
    }

    /// <summary>A figure, or a dash where there was nothing to measure (a book too small for a stretch of batches at each end).</summary>
    private static string Show(double value, string format) =>
        double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "–";
}
