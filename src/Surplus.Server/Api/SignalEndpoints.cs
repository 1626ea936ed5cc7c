using System.Text.Json;
using Surplus.Exchange.Queries;
using Surplus.Exchange.Signals;
using Surplus.Protocol;
using Surplus.Server.Signals;

namespace Surplus.Server.Api;

/// <summary><c>GET /v1/events</c>: a member's signals as server-sent events (resuming from <c>Last-Event-ID</c>) or as a JSON poll (<c>?after=N</c>).</summary>
internal static class SignalEndpoints
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapGet("/events", Get)
            .RequireAuthorization(ApiKeyHandler.MemberPolicy).WithTags("signals").Produces<PageDto<SignalDto>>().ProducesProblem(400)
            .AddOpenApiOperationTransformer(DescribeStream)
            .WithSummary("Your signals: SSE (Accept: text/event-stream, resume with Last-Event-ID) or JSON after=N");
    }

    private static async Task<IResult> Get(
        HttpContext http, long? after, int? limit, ServerOptions options, SignalQueries signals, SignalHub hub, FairUse fairUse, TimeProvider time, IHostApplicationLifetime lifetime)
    {
        var member = http.User.MemberId();
        var max = options.MaxPageSize;
        if (limit is < 1 || limit > max)
        {
            return Problems.Result(new ApiError(Refusals.PageSizeInvalid, $"limit must be between 1 and {max}"));
        }

        var lastEventId = http.Request.Headers["Last-Event-ID"].ToString();
        long from = after ?? 0;
        if (lastEventId.Length > 0 && !long.TryParse(lastEventId, out from))
        {
            return Problems.Result(new ApiError(Refusals.LastEventIdInvalid, "Last-Event-ID must be the id of a signal you received"));
        }

        if (from < 0)
        {
            return Problems.Result(new ApiError(Refusals.AfterInvalid, "after must be zero or the id of a signal you received"));
        }

        if (!http.Request.Headers.Accept.ToString().Contains("text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            var items = await ReadAsync(signals, member, from, limit ?? Math.Min(100, max));
            return Results.Ok(new PageDto<SignalDto>(items, items.Count > 0 ? items[^1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture) : null));
        }

        var stream = fairUse.OpenStream(member);
        if (!stream.IsOk)
        {
            return Problems.Result(stream.Error!);
        }

        // A stream stays open for as long as its reader likes; it counts against the event streams, not the requests in flight.
        RequestGate.ReleaseTurn(http);
        using (stream.Value)
        {
            await StreamAsync(http, hub, signals, options, time, lifetime.ApplicationStopping, member, from);
        }

        return Results.Empty;
    }

    /// <summary>The same route answers a stream of events to a client that accepts one, and reads where to resume from a header.</summary>
    private static Task DescribeStream(Microsoft.OpenApi.OpenApiOperation operation, Microsoft.AspNetCore.OpenApi.OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (operation.Responses?.TryGetValue("200", out var ok) == true && ok is Microsoft.OpenApi.OpenApiResponse response)
        {
            response.Description = "A page of signals as JSON, or (with Accept: text/event-stream) an endless stream of events: 'id: <signal id>', 'event: <type>', 'data: <signal as JSON>'";
            response.Content ??= new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType>();
            response.Content["text/event-stream"] = new() { Schema = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String } };
        }

        operation.Parameters ??= [];
        operation.Parameters.Add(new Microsoft.OpenApi.OpenApiParameter
        {
            Name = "Last-Event-ID",
            In = Microsoft.OpenApi.ParameterLocation.Header,
            Description = "Resume a stream after this signal id (as the browser's EventSource sends it)",
            Schema = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String },
        });
        return Task.CompletedTask;
    }

    private static async Task StreamAsync(
        HttpContext http, SignalHub hub, SignalQueries signals, ServerOptions options, TimeProvider time, CancellationToken stopping, long member, long after)
    {
        var response = http.Response;
        response.Headers.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";

        // The stream ends when the client goes or the server stops: a stop must not wait for
        // open streams, and the client resumes from its Last-Event-ID.
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
        var cancel = ended.Token;

        // A reader that takes none of what is written for this long is dropped: what waits for it
        // is bounded by the server's response buffer, and its member gets its stream back.
        var stallLimit = TimeSpan.FromSeconds(Math.Max(1, options.EventStreamStallSeconds));
        using var stalled = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        try
        {
            await response.StartAsync(cancel);
            while (!cancel.IsCancellationRequested)
            {
                // Wait first, then read: a signal committed between the read and the wait still wakes us.
                var woken = hub.WaitAsync(member);
                var items = await ReadAsync(signals, member, after, 500);
                stalled.CancelAfter(stallLimit);
                foreach (var s in items)
                {
                    await response.WriteAsync($"id: {s.Id}\nevent: {s.Type}\ndata: {s.Data.GetRawText()}\n\n", stalled.Token);
                    after = s.Id;
                }

                await response.Body.FlushAsync(stalled.Token);
                stalled.CancelAfter(Timeout.InfiniteTimeSpan);
                if (items.Count == 500)
                {
                    continue;
                }

                using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                var finished = await Task.WhenAny(woken, Task.Delay(KeepAlive, time, idle.Token));

                // Woken by a signal: the keep-alive timer goes, rather than lingering for its 15 s.
                await idle.CancelAsync();
                if (finished != woken)
                {
                    stalled.CancelAfter(stallLimit);
                    await response.WriteAsync(": keep-alive\n\n", stalled.Token);
                    await response.Body.FlushAsync(stalled.Token);
                    stalled.CancelAfter(Timeout.InfiniteTimeSpan);
                }
            }
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            // Stalled: the connection goes, with whatever it still had to send.
            http.Abort();
        }
        catch (OperationCanceledException)
        {
            // The client went away, or the server stops.
        }
    }

    private static async Task<List<SignalDto>> ReadAsync(SignalQueries signals, long member, long after, int limit)
    {
        var rows = await signals.ReadAfterAsync(member, after, limit);
        return [.. rows.Select(r =>
        {
            using var doc = JsonDocument.Parse(r.Data);
            return new SignalDto(r.Seq, r.Type, new DateTimeOffset(r.At, TimeSpan.Zero), doc.RootElement.Clone());
        })];
    }
}
