using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Surplus.Exchange.Queries;
using Surplus.Exchange.Signals;
using Surplus.Market;

namespace Surplus.Server.Signals;

/// <summary>
/// Writes members' signals to their open event streams (<c>GET /v1/events</c> as server-sent events).
/// </summary>
/// <remarks>
/// A stream subscribes to its member's committed signals (<see cref="SignalHub.Subscribe"/>) and
/// writes them as they are handed over, without reading the store: thousands of open streams cost
/// a subscription each, not a read of the store per signal. It reads the store only to catch up —
/// when it opens (from <c>Last-Event-ID</c>), and when it fell more than
/// <see cref="SignalSubscription.Capacity"/> signals behind or saw a gap in the numbers — and
/// then at most <c>Surplus:EventStreamReadsAtOnce</c> streams read at once, so a crowd of streams
/// opening together queues for the store instead of opening a connection (and its page cache) each.
/// No stream has a timer of its own: one loop wakes a fifteenth of the streams every second, and
/// each writes a keep-alive if it wrote nothing since its last wake. A write that waits
/// <c>Surplus:EventStreamStallSeconds</c> (the socket's and the response's buffers full) drops the
/// stream; only then is a timer set. A stream is written after the request's pipeline has returned
/// (<see cref="HandOver"/>), so an open stream holds its connection, its subscription and its own
/// call, not the key check's, the rate limit's or the request's services. Thread-safe; one per server.
/// </remarks>
internal sealed class EventStreams(
    SignalHub hub, SignalQueries signals, ServerOptions options, TimeProvider time, IHostApplicationLifetime lifetime, IServiceProvider services) : BackgroundService
{
    /// <summary>How often an idle stream is woken; it writes a keep-alive at every other wake at the latest.</summary>
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    /// <summary>The path of the streams.</summary>
    public const string Path = "/v1/events";

    private const int Slices = 15;
    private const int PageSize = 500;

    private readonly SemaphoreSlim reads = new(Math.Max(1, options.EventStreamReadsAtOnce));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // One registration wakes every stream when the server stops, rather than one per stream.
        using var onStop = lifetime.ApplicationStopping.UnsafeRegister(static h => ((SignalHub)h!).WakeAll(), hub);
        var slice = 0;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(KeepAlive / Slices, time, stoppingToken);
                hub.WakeSlice(slice, Slices);
                slice = (slice + 1) % Slices;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The server stops.
        }
    }

    public override void Dispose()
    {
        reads.Dispose();
        base.Dispose();
    }

    /// <summary>
    /// The middleware in front of the pipeline for <c>GET /v1/events</c> as a stream: the request goes
    /// through the pipeline (key, rate, limits, the endpoint's checks) with a service scope of its own,
    /// and when the endpoint hands the stream over (<see cref="Handover"/>) the stream is written from
    /// here, after the pipeline has returned: what the checks held (the scope and its services, the
    /// caller's claims, the middleware's suspended calls) goes before the stream starts, rather than
    /// staying for as long as the stream is open. Other requests pass straight through.
    /// </summary>
    public Task HandOver(HttpContext http, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(next);
        var request = http.Request;
        return HttpMethods.IsGet(request.Method)
            && request.Path.Equals(Path, StringComparison.OrdinalIgnoreCase)
            && request.Headers.Accept.ToString().Contains("text/event-stream", StringComparison.OrdinalIgnoreCase)
            ? HandOverAsync(http, next)
            : next(http);
    }

    private async Task HandOverAsync(HttpContext http, RequestDelegate next)
    {
        if (await CheckAsync(http, next) is not { Lease: { } lease } handover)
        {
            // Answered in the pipeline: a refusal, or a stream written there.
            return;
        }

        Forget(http);
        using (lease)
        {
            await StreamAsync(http, handover.Member, handover.After);
        }
    }

    /// <summary>
    /// The request through the pipeline, with a service scope that ends with it; what the endpoint
    /// handed over. A method of its own, so that nothing it held stays with the stream.
    /// </summary>
    private async Task<Handover> CheckAsync(HttpContext http, RequestDelegate next)
    {
        var handover = new Handover();
        http.Features.Set(handover);
        var scope = services.CreateAsyncScope();
        try
        {
            http.RequestServices = scope.ServiceProvider;
            await next(http);
        }
        catch
        {
            handover.Lease?.Dispose();
            throw;
        }
        finally
        {
            // Nothing resolves a scoped service once the pipeline has returned.
            http.RequestServices = services;
            http.Features.Set<Handover>(null);
            await scope.DisposeAsync();
        }

        return handover;
    }

    /// <summary>What the pipeline left on the request that the stream does not use.</summary>
    private static void Forget(HttpContext http)
    {
        var features = http.Features;
        features.Set<Microsoft.AspNetCore.Authentication.IAuthenticateResultFeature>(null);
        features.Set<Microsoft.AspNetCore.Http.Features.Authentication.IHttpAuthenticationFeature>(null);
        features.Set<IItemsFeature>(null);
        features.Set<IQueryFeature>(null);
        features.Set<IRouteValuesFeature>(null);
        http.SetEndpoint(null);
    }

    /// <summary>
    /// Where the endpoint hands a checked stream over to <see cref="HandOver"/>: the member, where to
    /// resume, and the member's stream lease, given back when the stream ends.
    /// </summary>
    internal sealed class Handover
    {
        public long Member { get; private set; }

        public long After { get; private set; }

        public IDisposable? Lease { get; private set; }

        public void Take(long member, long after, IDisposable lease)
        {
            Member = member;
            After = after;
            Lease = lease;
        }
    }

    /// <summary>Streams the member's signals after number <paramref name="after"/> until the client goes, the server stops or the stream stalls.</summary>
    public async Task StreamAsync(HttpContext http, long member, long after)
    {
        ArgumentNullException.ThrowIfNull(http);
        var response = http.Response;
        response.Headers.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";

        // The stream ends when the client goes or the server stops: a stop must not wait for
        // open streams, and the client resumes from its Last-Event-ID.
        var aborted = http.RequestAborted;
        var stopping = lifetime.ApplicationStopping;
        var stallLimit = TimeSpan.FromSeconds(Math.Max(1, options.EventStreamStallSeconds));
        var writer = response.BodyWriter;

        // Subscribed before the store is read: what is committed meanwhile comes both ways, and the numbers tell.
        using var subscription = hub.Subscribe(member);
        using var onAbort = aborted.UnsafeRegister(static s => ((SignalSubscription)s!).Wake(), subscription);
        try
        {
            await response.StartAsync(aborted);
            var behind = true;
            var wroteSinceWake = true;
            var first = true;
            while (!aborted.IsCancellationRequested && !stopping.IsCancellationRequested)
            {
                if (behind)
                {
                    var read = await ReadAsync(member, after, aborted);
                    foreach (var s in read)
                    {
                        Write(writer, s.Seq, s.Type, s.Data);
                        after = s.Seq;
                    }

                    behind = read.Count == PageSize;
                    if (read.Count > 0 || first)
                    {
                        // The first flush sends the headers too, wherever they were held.
                        first = false;
                        wroteSinceWake = true;
                        if (!await FlushAsync(http, writer, stallLimit))
                        {
                            return;
                        }
                    }

                    continue;
                }

                await subscription.WaitAsync();
                var taken = subscription.Take(out behind);
                var written = 0;
                foreach (var s in taken)
                {
                    if (s.Seq <= after)
                    {
                        // Read from the store already.
                        continue;
                    }

                    if (s.Seq != after + 1)
                    {
                        // A number missing: the store has it.
                        behind = true;
                        break;
                    }

                    Write(writer, s.Seq, s.Type, s.Payload);
                    after = s.Seq;
                    written++;
                }

                if (written == 0 && !behind)
                {
                    // Woken with nothing to write: a keep-alive, unless the stream wrote since the last wake.
                    if (wroteSinceWake || aborted.IsCancellationRequested || stopping.IsCancellationRequested)
                    {
                        wroteSinceWake = false;
                        continue;
                    }

                    writer.Write(": keep-alive\n\n"u8);
                }
                else
                {
                    wroteSinceWake = true;
                }

                if (written > 0 || !behind)
                {
                    if (!await FlushAsync(http, writer, stallLimit))
                    {
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away, or the server stops.
        }
        catch (IOException)
        {
            // The connection broke.
        }
    }

    /// <summary>
    /// Sends what was written. A reader that takes none of it for the stall limit is dropped: what
    /// waits for it is bounded by the server's response buffer, and its member gets its stream back.
    /// False when the stream is over (dropped, or the client gone).
    /// </summary>
    private async Task<bool> FlushAsync(HttpContext http, PipeWriter writer, TimeSpan stallLimit)
    {
        var flush = writer.FlushAsync();
        FlushResult result;
        if (flush.IsCompleted)
        {
            result = await flush;
        }
        else
        {
            try
            {
                result = await flush.AsTask().WaitAsync(stallLimit, time);
            }
            catch (TimeoutException)
            {
                // Stalled: the connection goes, with whatever it still had to send.
                http.Abort();
                return false;
            }
        }

        return !result.IsCompleted && !result.IsCanceled;
    }

    private async Task<IReadOnlyList<StoredSignal>> ReadAsync(long member, long after, CancellationToken cancellationToken)
    {
        await reads.WaitAsync(cancellationToken);
        try
        {
            return await signals.ReadAfterAsync(new MemberId(member), after, PageSize);
        }
        finally
        {
            reads.Release();
        }
    }

    /// <summary>One event, <c>id: N\nevent: type\ndata: payload\n\n</c>, straight into the response's buffer.</summary>
    private static void Write(PipeWriter writer, long id, string type, string data)
    {
        var span = writer.GetSpan(40 + Encoding.UTF8.GetByteCount(type) + Encoding.UTF8.GetByteCount(data));
        "id: "u8.CopyTo(span);
        var n = 4;
        id.TryFormat(span[n..], out var digits, default, CultureInfo.InvariantCulture);
        n += digits;
        "\nevent: "u8.CopyTo(span[n..]);
        n += 8;
        n += Encoding.UTF8.GetBytes(type, span[n..]);
        "\ndata: "u8.CopyTo(span[n..]);
        n += 7;
        n += Encoding.UTF8.GetBytes(data, span[n..]);
        "\n\n"u8.CopyTo(span[n..]);
        writer.Advance(n + 2);
    }
}
