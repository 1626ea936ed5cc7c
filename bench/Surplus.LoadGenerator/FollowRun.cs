using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Surplus.Protocol;

namespace Surplus.LoadGenerator;

/// <summary>
/// What the followers scenario measures: <paramref name="Followers"/> members each following its
/// signals on one open event stream, while trades with them flow at <paramref name="Rate"/> a second
/// for <paramref name="Duration"/>.
/// </summary>
internal sealed record FollowSettings(int Followers, int Rate, TimeSpan Duration, string DataRoot)
{
    /// <summary>The most followers: each holds a socket in this process and one in the server's, whose descriptors are limited (20,000 a process here).</summary>
    public const int MaxFollowers = 15_000;

    /// <summary>The highest rate of orders offered.</summary>
    public const int MaxRate = 20_000;

    /// <summary>The longest the orders flow.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromMinutes(5);
}

/// <summary>One order of a flow: when its request was due, when it was answered, its status and the need it placed.</summary>
internal struct FollowedOrder
{
    public long Due;
    public long Acked;
    public long Need;
    public int Status;
}

/// <summary>
/// Many members follow their signals (<c>GET /v1/events</c> as server-sent events, one HTTP/1.1
/// connection each, as agents do) while orders flow: what each open stream costs the server in
/// resident memory, and how long a signal takes to reach its follower. Every follower is a seller
/// with one standing offer over an hour of its own (follower i's starts i minutes after the
/// first), so a need for that hour can trade with that offer alone; buyers send batches of such
/// spot needs, each for the next follower in turn, and each trade is told to its seller
/// (<c>trade</c>). The exchange is <c>surplus serve</c> in its own process (durable SQLite, 127.0.0.1).
/// </summary>
internal static class FollowRun
{
    private const string Market = "compute";
    private const int OpeningInFlight = 64;
    private const int OrderConnections = 64;
    private const int Batch = 100;
    private const int Buyers = 16;
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(10);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    // The fair-use limits as shipped, but for joins: every follower joins from 127.0.0.1.
    private static readonly string[] ServerSettings = ["Durable=true", "JoinsPerAddressPerHour=10000000"];

    public static async Task<string> RunAsync(FollowSettings settings, string[] args)
    {
        var loadBefore = ScaleRun.LoadAverage();
        var clock = Stopwatch.StartNew();

        // The window starts hours ahead, so no contract falls due during the run.
        var start = new DateTimeOffset((DateTimeOffset.UtcNow.UtcTicks / TimeSpan.TicksPerHour + 3) * TimeSpan.TicksPerHour, TimeSpan.Zero);
        await Console.Error.WriteLineAsync($"[followers] starting the exchange in {settings.DataRoot}");
        await using var server = await ServerProcess.StartAsync(settings.DataRoot, ServerSettings);
        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = OrderConnections,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(15),
            UseCookies = false,
            UseProxy = false,
        })
        {
            Timeout = TimeSpan.FromSeconds(60),
        };
        using var streams = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = settings.Followers + 1,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };

        var buyers = await ScaleRun.JoinManyAsync(http, server.Address, "follow-buyer", Buyers, 1_000_000_000_000);
        await Console.Error.WriteLineAsync($"[followers] joining {settings.Followers:N0} followers, each placing its offer");
        var joining = Stopwatch.StartNew();
        var followers = await ScaleRun.JoinManyAsync(http, server.Address, "follower", settings.Followers, 0);
        var windows = Enumerable.Range(0, settings.Followers).Select(i => start.AddMinutes(i)).ToArray();
        await ParallelAsync(settings.Followers, i => ScaleRun.SendAsync(http, server.Address, "/v1/offers", followers[i],
            new PlaceOfferRequest(Market, 1_000_000, 1.00m, windows[i], windows[i].AddHours(1))));
        var joinTime = joining.Elapsed;
        var next = 0;
        byte[][] Batches(TimeSpan duration) => [.. Enumerable.Range(0, (int)Math.Max(1, settings.Rate * duration.TotalSeconds / Batch)).Select(_ =>
            JsonSerializer.SerializeToUtf8Bytes(new BatchOrdersRequest([.. Enumerable.Range(0, Batch).Select(_ =>
            {
                var window = windows[next++ % windows.Length];
                return new BatchOrderItem(Need: new PlaceNeedRequest(Market, 1, window, window.AddHours(1), 2.00m, Mode: "spot"));
            })]), Json))];

        await Console.Error.WriteLineAsync($"[followers] {joinTime.TotalSeconds:0} s to join them; warming up with {Warmup.TotalSeconds:0} s of orders");
        await OrdersAsync(http, server.Address, buyers, Batches(Warmup), settings.Rate);
        await Console.Error.WriteLineAsync($"[followers] no stream open: {settings.Rate:N0} orders/s for {settings.Duration.TotalSeconds:0} s");
        var cpu = server.CpuTime;
        var ownCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var alone = await OrdersAsync(http, server.Address, buyers, Batches(settings.Duration), settings.Rate);
        var aloneCpu = (server.CpuTime - cpu, Process.GetCurrentProcess().TotalProcessorTime - ownCpu);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var emptyRawKb = server.ResidentKilobytes;
        var empty = await server.SettledMemoryAsync();

        await Console.Error.WriteLineAsync($"[followers] opening {settings.Followers:N0} event streams");
        using var stop = new CancellationTokenSource();
        var arrivals = new ConcurrentDictionary<long, long>();
        var counters = new StreamCounters();
        var opening = Stopwatch.StartNew();
        var readers = await OpenAsync(streams, server.Address, followers, arrivals, counters, stop.Token);
        var openTime = opening.Elapsed;
        await Task.Delay(Settle);
        var openRawKb = server.ResidentKilobytes;
        var opened = await server.SettledMemoryAsync();
        cpu = server.CpuTime;
        ownCpu = Process.GetCurrentProcess().TotalProcessorTime;

        await Console.Error.WriteLineAsync($"[followers] {readers.Count:N0} open in {openTime.TotalSeconds:0.0} s; {settings.Rate:N0} orders/s for {settings.Duration.TotalSeconds:0} s");
        var flow = await OrdersAsync(http, server.Address, buyers, Batches(settings.Duration), settings.Rate);
        var flowCpu = (server.CpuTime - cpu, Process.GetCurrentProcess().TotalProcessorTime - ownCpu);

        // The signals of the last orders arrive after their answers.
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < Drain && flow.Orders.Any(o => o.Status == 201 && !arrivals.ContainsKey(o.Need)))
        {
            await Task.Delay(100);
        }

        var end = await server.SettledMemoryAsync();
        await stop.CancelAsync();
        await Task.WhenAll(readers);
        return Report(settings, args, loadBefore, ScaleRun.LoadAverage(), clock.Elapsed, joinTime, openTime, readers.Count, (emptyRawKb, openRawKb), empty, opened, end, alone, aloneCpu, flow, flowCpu, arrivals, counters);
    }

    /// <summary>What the readers of the streams saw.</summary>
    private sealed class StreamCounters
    {
        public long Events;
        public long Ended;
    }

    /// <summary>The orders of one flow: each order's times and answer, and how long the flow took.</summary>
    private sealed record Flow(FollowedOrder[] Orders, TimeSpan Elapsed, List<string> Samples);

    /// <summary>
    /// Opens an event stream for every follower, <see cref="OpeningInFlight"/> at a time, each open
    /// once its answer's headers have come; each stream's reader records when every <c>order.*</c>
    /// signal arrives, by the order it names.
    /// </summary>
    private static async Task<List<Task>> OpenAsync(
        HttpClient streams, Uri exchange, string[] followers, ConcurrentDictionary<long, long> arrivals, StreamCounters counters, CancellationToken stop)
    {
        var readers = new Task[followers.Length];
        var next = -1;
        async Task Loop()
        {
            for (var i = Interlocked.Increment(ref next); i < followers.Length; i = Interlocked.Increment(ref next))
            {
                var request = new HttpRequestMessage(HttpMethod.Get, new Uri(exchange, "/v1/events"));
                request.Headers.TryAddWithoutValidation("Authorization", followers[i]);
                request.Headers.TryAddWithoutValidation("Accept", "text/event-stream");
                var response = await streams.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"GET /v1/events was answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(stop)}");
                }

                var body = await response.Content.ReadAsStreamAsync(stop);
                readers[i] = Task.Run(() => ReadAsync(request, response, body, arrivals, counters, stop), CancellationToken.None);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, OpeningInFlight).Select(_ => Task.Run(Loop)));
        return [.. readers];
    }

    /// <summary>Reads one stream until it ends or the run stops: events are separated by a blank line; an <c>order.*</c> event's data names its order.</summary>
    private static async Task ReadAsync(
        HttpRequestMessage request, HttpResponseMessage response, Stream body, ConcurrentDictionary<long, long> arrivals, StreamCounters counters, CancellationToken stop)
    {
        var buffer = new byte[4096];
        var filled = 0;
        try
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                var read = await body.ReadAsync(buffer.AsMemory(filled), stop);
                if (read == 0)
                {
                    Interlocked.Increment(ref counters.Ended);
                    return;
                }

                var at = Stopwatch.GetTimestamp();
                filled += read;
                var consumed = 0;
                int end;
                while ((end = buffer.AsSpan(consumed, filled - consumed).IndexOf("\n\n"u8)) >= 0)
                {
                    Event(buffer.AsSpan(consumed, end), at, arrivals, counters);
                    consumed += end + 2;
                }

                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                filled -= consumed;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The run is over.
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            Interlocked.Increment(ref counters.Ended);
        }
        finally
        {
            await body.DisposeAsync();
            response.Dispose();
            request.Dispose();
        }
    }

    private static void Event(ReadOnlySpan<byte> text, long at, ConcurrentDictionary<long, long> arrivals, StreamCounters counters)
    {
        if (text.StartsWith(": "u8))
        {
            // A keep-alive.
            return;
        }

        Interlocked.Increment(ref counters.Events);
        var type = text.IndexOf("\nevent: trade\n"u8);
        var data = text.IndexOf("\ndata: "u8);
        if (type < 0 || data < 0)
        {
            return;
        }

        var json = text[(data + "\ndata: "u8.Length)..];
        var line = json.IndexOf((byte)'\n');
        var reader = new Utf8JsonReader(line >= 0 ? json[..line] : json);

        // The trade as its contract keeps it: {"id":T,"market":"compute","needId":N,...}.
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("needId"u8))
            {
                reader.Read();
                arrivals.TryAdd(reader.GetInt64(), at);
                return;
            }
        }
    }

    /// <summary>Runs <paramref name="send"/> for 0 to <paramref name="count"/> - 1, eight at a time.</summary>
    private static async Task ParallelAsync(int count, Func<int, Task> send)
    {
        var next = -1;
        async Task Loop()
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                await send(i);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Loop()));
    }

    /// <summary>
    /// Sends the batches at <paramref name="rate"/> orders a second, the buyers in turn, whatever
    /// the answers do (open loop; latency from each request's due time), at most
    /// <see cref="OrderConnections"/> outstanding; whatever has no answer by the end of the drain counts as failed.
    /// </summary>
    private static async Task<Flow> OrdersAsync(HttpClient http, Uri exchange, string[] buyers, byte[][] batches, int rate)
    {
        var orders = new FollowedOrder[batches.Length * Batch];
        var samples = new List<string>();
        using var inFlight = new SemaphoreSlim(OrderConnections);
        using var cancel = new CancellationTokenSource();
        var tasks = new List<Task>(batches.Length);
        var period = Stopwatch.Frequency * Batch / (double)rate;
        var start = Stopwatch.GetTimestamp();
        var stopSending = start + (long)((batches.Length * Batch / (double)rate + Drain.TotalSeconds) * Stopwatch.Frequency);
        var b = 0;
        while (b < batches.Length && Stopwatch.GetTimestamp() < stopSending)
        {
            var now = Stopwatch.GetTimestamp();
            while (b < batches.Length && start + (long)(b * period) <= now)
            {
                if (!await inFlight.WaitAsync(TimeSpan.FromTicks(Math.Max(0, stopSending - Stopwatch.GetTimestamp()) * TimeSpan.TicksPerSecond / Stopwatch.Frequency)))
                {
                    break;
                }

                var index = b;
                var due = start + (long)(index * period);
                tasks.Add(Task.Run(async () =>
                {
                    try
                    {
                        await PlaceAsync(http, exchange, buyers[index % buyers.Length], batches[index], orders.AsMemory(index * Batch, Batch), due, samples, cancel.Token);
                    }
                    finally
                    {
                        inFlight.Release();
                    }
                }));
                b++;
            }

            // About a millisecond, no spinning: the server shares the two cores.
            await Task.Delay(1);
        }

        var all = Task.WhenAll(tasks);
        if (await Task.WhenAny(all, Task.Delay(Drain)) != all)
        {
            await cancel.CancelAsync();
            await all;
        }

        return new Flow(orders[..(b * Batch)], Stopwatch.GetElapsedTime(start), samples);
    }

    private static async Task PlaceAsync(HttpClient http, Uri exchange, string key, byte[] body, Memory<FollowedOrder> orders, long due, List<string> samples, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(exchange, "/v1/orders/batch")) { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        request.Headers.TryAddWithoutValidation("Authorization", key);
        try
        {
            using var response = await http.SendAsync(request, cancel);
            var answer = await response.Content.ReadAsByteArrayAsync(cancel);
            var acked = Stopwatch.GetTimestamp();
            if (response.StatusCode != HttpStatusCode.OK)
            {
                foreach (ref var order in orders.Span)
                {
                    order = new FollowedOrder { Due = due, Acked = acked, Status = (int)response.StatusCode };
                }

                Sample(samples, $"{(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(answer)}");
                return;
            }

            using var results = JsonDocument.Parse(answer);
            var i = 0;
            foreach (var result in results.RootElement.GetProperty("results").EnumerateArray())
            {
                var status = result.GetProperty("status").GetInt32();
                orders.Span[i++] = new FollowedOrder
                {
                    Due = due, Acked = acked, Status = status,
                    Need = status == 201 ? result.GetProperty("need").GetProperty("need").GetProperty("id").GetInt64() : 0,
                };
                if (status != 201)
                {
                    Sample(samples, result.ToString());
                }
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            foreach (ref var order in orders.Span)
            {
                order = new FollowedOrder { Due = due, Status = -1 };
            }

            Sample(samples, e.GetType().Name + ": " + e.Message);
        }
    }

    private static void Sample(List<string> samples, string what)
    {
        lock (samples)
        {
            if (samples.Count < 3)
            {
                samples.Add(what.Length > 300 ? what[..300] : what);
            }
        }
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static string Report(
        FollowSettings settings, string[] args, string loadBefore, string loadAfter, TimeSpan took, TimeSpan joinTime, TimeSpan openTime, int open,
        (long Empty, long Open) rawKb, SettledMemory empty, SettledMemory opened, SettledMemory end, Flow alone, (TimeSpan Server, TimeSpan Client) aloneCpu, Flow flow, (TimeSpan Server, TimeSpan Client) flowCpu,
        ConcurrentDictionary<long, long> arrivals, StreamCounters counters)
    {
        static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        static FollowedOrder[] Acked(Flow f) => [.. f.Orders.Where(o => o.Status == 201)];
        static double[] Latency(Flow f) => [.. Acked(f).Select(o => Ms(o.Acked - o.Due)).Order()];
        var acked = Acked(flow);
        var delivered = acked.Where(o => arrivals.ContainsKey(o.Need)).ToArray();
        var fromAck = delivered.Select(o => Math.Max(0, Ms(arrivals[o.Need] - o.Acked))).Order().ToArray();
        var fromDue = delivered.Select(o => Ms(arrivals[o.Need] - o.Due)).Order().ToArray();
        var beforeAnswer = delivered.Count(o => arrivals[o.Need] < o.Acked);
        string Percentiles(double[] sorted) => string.Create(CultureInfo.InvariantCulture, $"{Percentile(sorted, 0.5):0.0} / {Percentile(sorted, 0.99):0.0} / {Percentile(sorted, 1):0.0}");
        string Rate(Flow f) => string.Create(CultureInfo.InvariantCulture, $"{Acked(f).Length:N0} of {f.Orders.Length:N0}, {Acked(f).Length / f.Elapsed.TotalSeconds:N0}/s");
        string Cpu(Flow f, (TimeSpan Server, TimeSpan Client) c) => string.Create(CultureInfo.InvariantCulture,
            $"{c.Server / f.Elapsed:0.00} and {c.Client / f.Elapsed:0.00} cores ({c.Server.TotalMicroseconds / Math.Max(1, Acked(f).Length):N0} µs of the server's per order)");

        var text = new System.Text.StringBuilder();
        text.AppendLine(ScaleRun.Machine(loadBefore, loadAfter, took));
        text.AppendLine(CultureInfo.InvariantCulture, $"Command: dotnet run -c Release --project bench/Surplus.LoadGenerator -- {string.Join(' ', args)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"`surplus serve` in its own process (durable SQLite, 127.0.0.1, fair-use limits as shipped but for joins per address); {settings.Followers:N0} sellers joined, each with one standing offer over an hour of its own ({joinTime.TotalSeconds:0} s), each following `GET /v1/events` on an HTTP/1.1 connection of its own from this process. Orders: spot needs (rate 1) from {Buyers} buyers in batches of {Batch} (`POST /v1/orders/batch`), each need for the next follower's hour, so it trades with that follower's offer alone; {settings.Rate:N0} orders/s offered for {settings.Duration.TotalSeconds:0} s (open loop, at most {OrderConnections} requests outstanding, latency from each request's due time), first with no stream open, then with every follower's. Delivery: from the answer to the need's batch to the `trade` signal arriving at its follower (the seller).");
        text.AppendLine();
        text.AppendLine("| what | no stream open | every follower's stream open |");
        text.AppendLine("|---|---:|---:|");
        text.AppendLine(CultureInfo.InvariantCulture, $"| event streams open (opened in) | 0 | {open:N0} ({openTime.TotalSeconds:0.0} s) |");
        string PerFollower(long before, long after) => string.Create(CultureInfo.InvariantCulture, $"{(after - before) / (double)Math.Max(1, open):N1} KB per follower");
        string Mb(long kb) => string.Create(CultureInfo.InvariantCulture, $"{kb / 1024.0:N0} MB");
        static long Held(SettledMemory m) => m.ResidentKb - ((m.CommittedBytes - m.HeapBytes) / 1024);
        text.AppendLine(CultureInfo.InvariantCulture, $"| **resident memory but the collector's spare room** (VmRSS less its committed memory that holds nothing), once the garbage is collected, {Settle.TotalSeconds:0} s after the last stream opened | {Mb(Held(empty))} | {Mb(Held(opened))}, **{PerFollower(Held(empty), Held(opened))}** |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| resident memory (VmRSS) then | {Mb(empty.ResidentKb)} | {Mb(opened.ResidentKb)}, {PerFollower(empty.ResidentKb, opened.ResidentKb)} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| … the collector's heap then (alive after a full collection) | {Mb(empty.HeapBytes / 1024)} | {Mb(opened.HeapBytes / 1024)}, {PerFollower(empty.HeapBytes / 1024, opened.HeapBytes / 1024)} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| … the collector's committed memory then (its heap and the room it keeps) | {Mb(empty.CommittedBytes / 1024)} | {Mb(opened.CommittedBytes / 1024)}, {PerFollower(empty.CommittedBytes / 1024, opened.CommittedBytes / 1024)} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| resident memory as it was, garbage and all, {Settle.TotalSeconds:0} s after the last stream opened | {Mb(rawKb.Empty)} | {Mb(rawKb.Open)}, {PerFollower(rawKb.Empty, rawKb.Open)} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| resident memory once the garbage is collected, after the orders (the trades' contracts too) | | {Mb(end.ResidentKb)}, {PerFollower(empty.ResidentKb, end.ResidentKb)}; heap {Mb(end.HeapBytes / 1024)} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| orders acknowledged (of sent) | {Rate(alone)} | {Rate(flow)} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| an order's latency, p50 / p99 / max (ms) | {Percentiles(Latency(alone))} | {Percentiles(Latency(flow))} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| CPU of the server and of this process | {Cpu(alone, aloneCpu)} | {Cpu(flow, flowCpu)} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| signals delivered (of orders acknowledged) | | {delivered.Length:N0} (of {acked.Length:N0}); {beforeAnswer:N0} before their order's answer |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| **delivery, from the order's answer, p50 / p99** / max (ms) | | **{Percentile(fromAck, 0.5):0.0} / {Percentile(fromAck, 0.99):0.0}** / {Percentile(fromAck, 1):0.0} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| delivery, from the order's due time, p50 / p99 / max (ms) | | {Percentiles(fromDue)} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| events read by the followers; streams the server ended | | {counters.Events:N0}; {counters.Ended:N0} |");
        foreach (var (name, f) in new[] { ("no stream open", alone), ("streams open", flow) })
        {
            if (f.Samples.Count > 0)
            {
                text.AppendLine();
                text.AppendLine(CultureInfo.InvariantCulture, $"{name}: answers other than 201, for example: {string.Join(" | ", f.Samples)}");
            }
        }

        return text.ToString();
    }
}
