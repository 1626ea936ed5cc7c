using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Surplus.LoadGenerator;

/// <summary>What became of one order.</summary>
internal enum Outcome : byte
{
    NotSent,
    Acked,
    AckedTraded,
    Refused,
    Failed,
}

/// <summary>The outcome and latency (in <see cref="Stopwatch"/> ticks) of every order of one run.</summary>
internal sealed class RunResult(int count)
{
    public long[] Latency { get; } = new long[count];

    public Outcome[] Outcomes { get; } = new Outcome[count];

    public TimeSpan Elapsed { get; set; }

    /// <summary>The first few answers that were not acknowledgements, to show what went wrong.</summary>
    public List<string> Samples { get; } = [];

    public int Count(params Outcome[] outcomes) => Outcomes.Count(outcomes.Contains);

    /// <summary>Every order of a request took as long as the request.</summary>
    public void Took(Order order, long ticks) => Latency.AsSpan(order.First, order.Items).Fill(ticks);

    public int Acked => Count(Outcome.Acked, Outcome.AckedTraded);

    /// <summary>The latency of acknowledged orders at quantile <paramref name="q"/> (0..1), in milliseconds.</summary>
    public double[] Percentiles(params double[] quantiles)
    {
        var acked = Latency.Where((_, i) => Outcomes[i] is Outcome.Acked or Outcome.AckedTraded).ToArray();
        Array.Sort(acked);
        return [.. quantiles.Select(q => acked.Length == 0 ? double.NaN
            : acked[Math.Clamp((int)Math.Ceiling(q * acked.Length) - 1, 0, acked.Length - 1)] * 1000.0 / Stopwatch.Frequency)];
    }
}

/// <summary>Sends orders over loopback HTTP, closed loop (a fixed number in flight) or open loop (a fixed offered rate).</summary>
internal static class LoadRun
{
    private static ReadOnlySpan<byte> TradedMarker => "\"trades\":[{"u8;

    /// <summary>HTTP/1.1 clients on loopback, each with its own connection pool.</summary>
    public static HttpClient[] Clients(int count, int connectionsEach) =>
    [
        .. Enumerable.Range(0, count).Select(_ => new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connectionsEach,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            Timeout = TimeSpan.FromSeconds(60),
        }),
    ];

    /// <summary>
    /// <paramref name="concurrency"/> workers each send an order, wait for its answer and send the
    /// next, until every order is sent or <paramref name="limit"/> has passed.
    /// </summary>
    public static async Task<RunResult> ClosedLoopAsync(Uri exchange, HttpClient[] clients, Order[] orders, int concurrency, TimeSpan limit)
    {
        var result = new RunResult(orders.Sum(o => o.Items));
        var next = -1;
        var start = Stopwatch.GetTimestamp();
        var deadline = start + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var client = clients[w % clients.Length];
            while (true)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= orders.Length || Stopwatch.GetTimestamp() >= deadline)
                {
                    return;
                }

                var sent = Stopwatch.GetTimestamp();
                await SendAsync(exchange, client, orders[i], result, CancellationToken.None);
                result.Took(orders[i], Stopwatch.GetTimestamp() - sent);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        result.Elapsed = Stopwatch.GetElapsedTime(start);
        return result;
    }

    /// <summary>
    /// Sends order i at start + i / <paramref name="rate"/> whatever the answers do (open loop), and
    /// measures each latency from that intended time, so a stalled server shows in the figures
    /// instead of slowing the sender down. At most <paramref name="maxInFlight"/> are outstanding;
    /// whatever has no answer <paramref name="drain"/> after the last send counts as failed.
    /// </summary>
    public static async Task<RunResult> OpenLoopAsync(Uri exchange, HttpClient[] clients, Order[] orders, double rate, int maxInFlight, TimeSpan drain)
    {
        var result = new RunResult(orders.Sum(o => o.Items));
        using var inFlight = new SemaphoreSlim(maxInFlight);
        using var cancel = new CancellationTokenSource();
        var tasks = new List<Task>(orders.Length);
        var period = Stopwatch.Frequency / rate;
        var start = Stopwatch.GetTimestamp();
        var stopSending = start + (long)((orders.Length / rate + drain.TotalSeconds) * Stopwatch.Frequency);
        var i = 0;
        while (i < orders.Length && Stopwatch.GetTimestamp() < stopSending)
        {
            // Send everything that is due, then sleep about a millisecond (no spinning: the
            // server shares the two cores).
            var now = Stopwatch.GetTimestamp();
            while (i < orders.Length && start + (long)(i * period) <= now)
            {
                if (!await inFlight.WaitAsync(TimeSpan.FromTicks(Math.Max(0, stopSending - Stopwatch.GetTimestamp()) * TimeSpan.TicksPerSecond / Stopwatch.Frequency)))
                {
                    break;
                }

                var index = i;
                var intended = start + (long)(index * period);
                tasks.Add(Task.Run(async () =>
                {
                    try
                    {
                        await SendAsync(exchange, clients[index % clients.Length], orders[index], result, cancel.Token);
                        result.Took(orders[index], Stopwatch.GetTimestamp() - intended);
                    }
                    finally
                    {
                        inFlight.Release();
                    }
                }));
                i++;
            }

            await Task.Delay(1);
        }

        var all = Task.WhenAll(tasks);
        var left = TimeSpan.FromTicks(Math.Max(0, stopSending - Stopwatch.GetTimestamp()) * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
        if (await Task.WhenAny(all, Task.Delay(left + TimeSpan.FromSeconds(1))) != all)
        {
            await cancel.CancelAsync();
            await all;
        }

        result.Elapsed = Stopwatch.GetElapsedTime(start);
        return result;
    }

    /// <summary>Sends one request and sets the outcome of each of its orders.</summary>
    private static async Task SendAsync(Uri exchange, HttpClient client, Order order, RunResult result, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(exchange, order.Path))
        {
            Content = new ByteArrayContent(order.Body),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        request.Headers.TryAddWithoutValidation("Authorization", order.Authorization);
        request.Headers.TryAddWithoutValidation("Idempotency-Key", order.IdempotencyKey);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var (buffer, length) = await ReadAsync(response.Content, cancellationToken);
            try
            {
                var body = buffer.AsMemory(0, length);
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    result.Outcomes[order.First] = body.Span.IndexOf(TradedMarker) >= 0 ? Outcome.AckedTraded : Outcome.Acked;
                    return;
                }

                if (response.StatusCode == HttpStatusCode.OK && order.Items > 1)
                {
                    Batch(body, result, order);
                    return;
                }

                Sample(result, $"{(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body.Span)}");
                result.Outcomes.AsSpan(order.First, order.Items).Fill((int)response.StatusCode is >= 400 and < 500 ? Outcome.Refused : Outcome.Failed);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            Sample(result, e.GetType().Name + ": " + e.Message);
            result.Outcomes.AsSpan(order.First, order.Items).Fill(Outcome.Failed);
        }
    }

    /// <summary>
    /// The answer's body in a pooled buffer (to be returned): a batch's answer often exceeds 85,000
    /// bytes, and an array of its own per answer would go to the large object heap of the process
    /// the exchange runs in too.
    /// </summary>
    private static async Task<(byte[] Buffer, int Length)> ReadAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var length = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
            if (length == buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                buffer.AsSpan(0, length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }
        }

        return (buffer, length);
    }

    /// <summary>
    /// The outcome of each order of a batch, from its result in the answer: its status, and whether
    /// its <c>trades</c> are empty. A reader over the bytes rather than a parsed document, since the
    /// load generator shares the exchange's two cores (a document per answer was 2 % of the process).
    /// </summary>
    private static void Batch(ReadOnlyMemory<byte> body, RunResult result, Order order)
    {
        // Depths: the answer 0, its results 1, each result 2, the placed order's answer 3, its own fields 4.
        var reader = new Utf8JsonReader(body.Span);
        var i = order.First;
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.StartObject || reader.CurrentDepth != 2)
            {
                continue;
            }

            var start = (int)reader.TokenStartIndex;
            var (status, traded) = (0, false);
            while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 2))
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 3 && reader.ValueTextEquals("status"u8))
                {
                    reader.Read();
                    status = reader.GetInt32();
                }
                else if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 4 && reader.ValueTextEquals("trades"u8))
                {
                    reader.Read();
                    reader.Read();
                    traded = reader.TokenType != JsonTokenType.EndArray;
                }
            }

            if (status == 201)
            {
                result.Outcomes[i] = traded ? Outcome.AckedTraded : Outcome.Acked;
            }
            else
            {
                Sample(result, System.Text.Encoding.UTF8.GetString(body.Span[start..(int)reader.BytesConsumed]));
                result.Outcomes[i] = Outcome.Refused;
            }

            i++;
        }
    }

    private static void Sample(RunResult result, string what)
    {
        lock (result.Samples)
        {
            if (result.Samples.Count < 3)
            {
                result.Samples.Add(what.Length > 300 ? what[..300] : what);
            }
        }
    }
}
