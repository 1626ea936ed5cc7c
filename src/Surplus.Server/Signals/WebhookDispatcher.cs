using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Signals;
using Surplus.Exchange.Storage;
using Surplus.Protocol;

namespace Surplus.Server.Signals;

/// <summary>
/// Posts each member's signals to its webhook, one at a time and in order: the body is the
/// signal as <c>GET /v1/events</c> shows it, with <c>X-Surplus-Signal-Id</c> and, when the member
/// set a secret, <c>X-Surplus-Signature: sha256=&lt;hex HMAC-SHA256 of the body&gt;</c>.
/// </summary>
/// <remarks>
/// The member's cursor (<c>members.webhook_cursor</c>) moves past a signal only when the webhook
/// answered it with a 2xx, and it is stored, so a restart goes on where the last run stopped. A
/// post answered but not yet recorded when the server stops is sent again: receivers deduplicate
/// by <c>X-Surplus-Signal-Id</c>. A failing webhook is tried <c>Surplus:WebhookAttempts</c> times
/// with exponential back-off, then left until the member's next signal. Every member has its own
/// worker, so a slow webhook delays only its own member, and none of this runs in the engine's
/// write gate: the engines never wait for a webhook.
/// </remarks>
internal sealed class WebhookDispatcher(SignalHub hub, Database database, ServerOptions options, TimeProvider time, IHttpClientFactory clients, ILogger<WebhookDispatcher> log) : BackgroundService
{
    /// <summary>The name of the HTTP client the posts go through.</summary>
    public const string ClientName = "webhooks";

    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestBackoff = TimeSpan.FromMinutes(5);
    private const int Batch = 100;

    private enum Outcome
    {
        /// <summary>No webhook, or nothing left to send.</summary>
        Idle,

        /// <summary>Everything read was delivered; there may be more.</summary>
        Delivered,

        /// <summary>The webhook did not take a signal.</summary>
        Failed,
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var workers = new Dictionary<long, Task>();
        while (!stoppingToken.IsCancellationRequested)
        {
            // Any committed signal may be the first of a member that has just set a webhook.
            var woken = hub.WaitAnyAsync();
            try
            {
                foreach (var member in await MembersWithWebhooksAsync(stoppingToken))
                {
                    if (!workers.ContainsKey(member))
                    {
                        workers[member] = Task.Run(() => ServeAsync(member, stoppingToken), CancellationToken.None);
                    }
                }

                await woken.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is DbException or InvalidOperationException or IOException or TimeoutException)
            {
                log.LogError(e, "webhooks: could not read the members with webhooks; trying again with the next signal");
                await Wait(woken, null, stoppingToken);
            }
        }

        await Task.WhenAll(workers.Values);
    }

    /// <summary>Delivers one member's signals for as long as the server runs.</summary>
    private async Task ServeAsync(long member, CancellationToken stop)
    {
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            var woken = hub.WaitAsync(member);
            Outcome outcome;
            try
            {
                outcome = await DeliverAsync(member, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is DbException or InvalidOperationException or IOException or TimeoutException)
            {
                log.LogError(e, "webhooks: member {Member}: could not read or record its signals", member);
                outcome = Outcome.Failed;
            }

            switch (outcome)
            {
                case Outcome.Delivered:
                    failures = 0;
                    continue;
                case Outcome.Idle:
                    failures = 0;
                    await Wait(woken, null, stop);
                    continue;
            }

            if (++failures >= options.WebhookAttempts)
            {
                log.LogWarning("webhooks: member {Member}: {Attempts} attempts failed; trying again with its next signal", member, failures);
                failures = 0;
                await Wait(hub.WaitAsync(member), null, stop);
            }
            else
            {
                var backoff = TimeSpan.FromTicks(Math.Min(FirstBackoff.Ticks << Math.Min(failures - 1, 20), LongestBackoff.Ticks));
                await Wait(null, backoff, stop);
            }
        }
    }

    /// <summary>Posts the member's signals after its cursor, in order, until one fails or none are left.</summary>
    private async Task<Outcome> DeliverAsync(long member, CancellationToken stop)
    {
        Target? target;
        List<StoredSignal> signals;
        await using (var c = await database.OpenAsync(stop))
        {
            target = await c.QuerySingleOrDefaultAsync<Target>(
                "SELECT webhook_url AS Url, webhook_secret AS Secret, webhook_cursor AS Cursor FROM members WHERE id = @member", new { member });
            if (target?.Url is null)
            {
                return Outcome.Idle;
            }

            signals = await SignalBlocks.ReadAfterAsync(c, member, target.Cursor, Batch);
        }

        if (signals.Count == 0)
        {
            return Outcome.Idle;
        }

        var client = clients.CreateClient(ClientName);
        foreach (var (seq, type, at, data) in signals)
        {
            using var document = JsonDocument.Parse(data);
            var body = JsonSerializer.SerializeToUtf8Bytes(new SignalDto(seq, type, new DateTimeOffset(at, TimeSpan.Zero), document.RootElement), Json.Options);
            using var request = new HttpRequestMessage(HttpMethod.Post, target.Url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
            request.Headers.Add("X-Surplus-Signal-Id", seq.ToString(CultureInfo.InvariantCulture));
            if (target.Secret is { Length: > 0 } secret)
            {
                request.Headers.Add("X-Surplus-Signature", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body)));
            }

            try
            {
                using var response = await client.SendAsync(request, stop);
                if (!response.IsSuccessStatusCode)
                {
                    log.LogInformation("webhooks: member {Member}: signal {Seq} answered {Status}", member, seq, (int)response.StatusCode);
                    return Outcome.Failed;
                }
            }
            catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !stop.IsCancellationRequested))
            {
                log.LogInformation("webhooks: member {Member}: signal {Seq} not delivered: {Error}", member, seq, e.Message);
                return Outcome.Failed;
            }

            // Taken: recorded even while stopping, so the next start does not post it again.
            await using var c = await database.OpenAsync(CancellationToken.None);
            await c.ExecuteAsync("UPDATE members SET webhook_cursor = @seq WHERE id = @member AND webhook_cursor < @seq", new { seq, member });
        }

        return Outcome.Delivered;
    }

    private async Task<IReadOnlyList<long>> MembersWithWebhooksAsync(CancellationToken stop)
    {
        await using var c = await database.OpenAsync(stop);
        return [.. await c.QueryAsync<long>("SELECT id FROM members WHERE webhook_url IS NOT NULL")];
    }

    /// <summary>Waits for a wake-up, a delay on the exchange's clock, or the stop, whichever comes first.</summary>
    private async Task Wait(Task? woken, TimeSpan? delay, CancellationToken stop)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var waits = new List<Task>(2);
        if (woken is not null)
        {
            waits.Add(woken);
        }

        if (delay is { } d)
        {
            waits.Add(Task.Delay(d, time, done.Token));
        }

        if (waits.Count == 0)
        {
            return;
        }

        try
        {
            await Task.WhenAny(waits).WaitAsync(stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping; the caller's loop ends.
        }
        finally
        {
            await done.CancelAsync();
        }
    }

    private sealed class Target
    {
        public string? Url { get; set; }

        public string? Secret { get; set; }

        public long Cursor { get; set; }
    }
}
