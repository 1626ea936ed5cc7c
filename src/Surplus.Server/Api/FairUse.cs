using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Surplus.Protocol;

namespace Surplus.Server.Api;

/// <summary>
/// The limits that keep one member (or one address) from taking more than its share, beyond the
/// per-key request rate: members joined per address and hour, and event streams held open per
/// member. Thread-safe; one per server, disposed with it.
/// </summary>
internal sealed class FairUse : IDisposable
{
    private readonly ServerOptions options;
    private readonly PartitionedRateLimiter<string> joins;
    private readonly ConcurrentDictionary<long, int> streams = new();

    public FairUse(IOptions<ServerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options.Value;
        var perHour = Math.Max(1, this.options.JoinsPerAddressPerHour);

        // A bucket that holds an hour's joins and gets one back every hour / limit: a burst, then a steady trickle.
        joins = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetTokenBucketLimiter(address, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perHour,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromHours(1) / perHour,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>Takes one join from the address's bucket; a problem naming the limit when it is empty.</summary>
    public Refused? Join(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var lease = joins.AttemptAcquire(http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        if (lease.IsAcquired)
        {
            return null;
        }

        http.Response.Headers.RetryAfter = ((int)Math.Ceiling((TimeSpan.FromHours(1) / Math.Max(1, options.JoinsPerAddressPerHour)).TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return RefusalMessages.TooManyJoins.With(("max", options.JoinsPerAddressPerHour));
    }

    /// <summary>Opens one of the member's event streams, or says why not; dispose the answer's stream when it ends.</summary>
    public Checked<IDisposable> OpenStream(long member)
    {
        var limit = options.MaxEventStreamsPerMember;
        var open = streams.AddOrUpdate(member, 1, (_, n) => n + 1);
        if (open > limit)
        {
            Close(member);
            return RefusalMessages.TooManyEventStreams.With(("max", limit));
        }

        return new StreamLease(this, member);
    }

    public void Dispose() => joins.Dispose();

    private void Close(long member)
    {
        // Removed at zero, so a member that streamed once keeps no entry.
        if (streams.AddOrUpdate(member, 0, (_, n) => n - 1) <= 0)
        {
            streams.TryRemove(new KeyValuePair<long, int>(member, 0));
        }
    }

    private sealed class StreamLease(FairUse owner, long member) : IDisposable
    {
        private int closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref closed, 1) == 0)
            {
                owner.Close(member);
            }
        }
    }
}
