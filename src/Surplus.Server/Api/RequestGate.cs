using Surplus.Market;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Surplus.Protocol;

namespace Surplus.Server.Api;

/// <summary>
/// The gate every request passes once its key is known: a turn among its caller's requests in
/// flight, then its token from the caller's bucket. A caller over its rate is paced, not refused:
/// its request waits for its tokens, so a client that sends as fast as it can gets exactly its rate
/// and costs the exchange no more than that. Only a caller with more requests waiting than the gate
/// holds is refused at once, before its body is read. The callers are members (by id), the admin
/// key, and the addresses of callers without a valid key, each with a queue and bucket of its own.
/// Thread-safe; one per server, disposed with it (ASP.NET Core's own <c>UseRateLimiter</c> is not
/// used: its limiter for endpoint policies has a replenishing timer that is never stopped, and kept
/// a stopped server, with its exchange and books, alive for as long as the process ran).
/// </summary>
internal sealed class RequestGate : IDisposable
{
    private const string TurnItem = "surplus.request-turn";

    private readonly ServerOptions options;
    private readonly PartitionedRateLimiter<string> turns;
    private readonly PartitionedRateLimiter<string> tokens;

    public RequestGate(IOptions<ServerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options.Value;
        var inFlight = Math.Max(1, this.options.MaxRequestsInFlightPerMember);
        var waiting = Math.Max(0, this.options.MaxWaitingRequestsPerMember);
        var perSecond = Math.Max(1, this.options.RateLimitPerSecond);
        turns = PartitionedRateLimiter.Create<string, string>(caller => RateLimitPartition.GetConcurrencyLimiter(caller, _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = inFlight,
            QueueLimit = waiting,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        }));

        // Room in the queue for every request a caller may have in flight, each as large as a batch
        // may be: a request in flight waits for its tokens rather than being refused.
        var queued = (int)Math.Min(int.MaxValue, (long)inFlight * Math.Max(1, this.options.MaxOrdersPerBatch));
        tokens = PartitionedRateLimiter.Create<string, string>(caller => RateLimitPartition.GetTokenBucketLimiter(caller, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = (int)Math.Min(int.MaxValue, 2L * perSecond),
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = queued,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        }));
    }

    /// <summary>The most tokens one request may take: what the caller's bucket holds (two seconds' worth).</summary>
    private long MostTokens => Math.Min(int.MaxValue, 2L * Math.Max(1, options.RateLimitPerSecond));

    /// <summary>
    /// Whose requests share a turn queue and a bucket: a member's (by its id) or the operator's, once
    /// the key is authenticated; otherwise the caller's address, so that unknown or made-up keys cannot
    /// each get a queue of their own.
    /// </summary>
    public static string Caller(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return http.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value is { } member ? "member:" + member
            : http.User.IsInRole("admin") ? "admin"
            : "address:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
    }

    /// <summary>The middleware: a turn, then a token, then the rest of the pipeline; a problem when the caller has too many requests waiting already.</summary>
    public async Task PassAsync(HttpContext http, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(next);
        var caller = Caller(http);
        var turn = await turns.AcquireAsync(caller, 1, http.RequestAborted);
        if (!turn.IsAcquired)
        {
            turn.Dispose();
            http.Response.Headers.RetryAfter = "1";
            await Problems.WriteAsync(http, RefusalMessages.TooManyRequestsWaiting.With(("inFlight", options.MaxRequestsInFlightPerMember), ("waiting", options.MaxWaitingRequestsPerMember)));
            return;
        }

        var held = new TurnHold(turn);
        http.Items[TurnItem] = held;
        try
        {
            var problem = await TakeAsync(http, caller, 1, RefusalMessages.RateLimited, ("rate", options.RateLimitPerSecond));
            if (problem is not null)
            {
                await Problems.WriteAsync(http, problem);
                return;
            }

            await next(http);
        }
        finally
        {
            held.Release();
        }
    }

    /// <summary>
    /// Takes <paramref name="count"/> more tokens for the request, waiting for them in the caller's
    /// queue; a 429 problem (with Retry-After) said in <paramref name="message"/> with <paramref name="values"/>
    /// when they cannot be had: more than the bucket holds, or more than its queue has room for.
    /// </summary>
    public async Task<Refused?> TakeAsync(HttpContext http, string caller, int count, RefusalMessage message, params MessageValue[] values)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (count <= MostTokens)
        {
            using var lease = await tokens.AcquireAsync(caller, count, http.RequestAborted);
            if (lease.IsAcquired)
            {
                return null;
            }
        }

        http.Response.Headers.RetryAfter = Math.Max(1L, count / Math.Max(1, options.RateLimitPerSecond)).ToString(CultureInfo.InvariantCulture);
        return new Refused(message, values);
    }

    /// <summary>
    /// Gives the request's turn back before it ends, for requests that stay open long after their
    /// work is done (an event stream): they count against their own limit, not the turns.
    /// </summary>
    public static void ReleaseTurn(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.Items.TryGetValue(TurnItem, out var held) && held is TurnHold hold)
        {
            hold.Release();
        }
    }

    public void Dispose()
    {
        turns.Dispose();
        tokens.Dispose();
    }

    /// <summary>A turn given back once, by the stream that no longer needs it or by the gate at the request's end.</summary>
    private sealed class TurnHold(RateLimitLease lease)
    {
        private int released;

        public void Release()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                lease.Dispose();
            }
        }
    }
}
