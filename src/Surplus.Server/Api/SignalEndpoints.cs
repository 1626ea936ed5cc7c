using System.Text.Json;
using Surplus.Exchange.Queries;
using Surplus.Market;
using Surplus.Protocol;
using Surplus.Server.Signals;

namespace Surplus.Server.Api;

/// <summary><c>GET /v1/events</c>: a member's signals as server-sent events (resuming from <c>Last-Event-ID</c>) or as a JSON poll (<c>?after=N</c>).</summary>
internal static class SignalEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapGet("/events", Get)
            .RequireAuthorization(ApiKeyHandler.MemberPolicy).WithTags("signals").Produces<PageDto<SignalDto>>().ProducesProblem(400)
            .AddOpenApiOperationTransformer(DescribeStream)
            .WithSummary("Your signals: SSE (Accept: text/event-stream, resume with Last-Event-ID) or JSON after=N");
    }

    private static async Task<IResult> Get(
        HttpContext http, long? after, int? limit, ServerOptions options, SignalQueries signals, FairUse fairUse, EventStreams streams)
    {
        var member = http.User.MemberId();
        var max = options.MaxPageSize;
        if (limit is < 1 || limit > max)
        {
            return Problems.Result(RefusalMessages.PageSizeInvalid.With(("max", max)));
        }

        var lastEventId = http.Request.Headers["Last-Event-ID"].ToString();
        long from = after ?? 0;
        if (lastEventId.Length > 0 && !long.TryParse(lastEventId, out from))
        {
            return Problems.Result(RefusalMessages.LastEventIdInvalid.With());
        }

        if (from < 0)
        {
            return Problems.Result(RefusalMessages.AfterInvalid.With());
        }

        if (!http.Request.Headers.Accept.ToString().Contains("text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            var items = await ReadAsync(signals, new MemberId(member), from, limit ?? Math.Min(100, max));
            return Results.Ok(new PageDto<SignalDto>(items, items.Count > 0 ? items[^1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture) : null));
        }

        var stream = fairUse.OpenStream(member);
        if (!stream.IsOk)
        {
            return Problems.Result(stream.Error!);
        }

        // A stream stays open for as long as its reader likes; it counts against the event streams, not the requests in flight.
        RequestGate.ReleaseTurn(http);
        if (http.Features.Get<EventStreams.Handover>() is { } handover)
        {
            // Written once the pipeline has returned, without what it held.
            handover.Take(member, from, stream.Value!);
            return Results.Empty;
        }

        using (stream.Value)
        {
            await streams.StreamAsync(http, member, from);
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

    private static async Task<List<SignalDto>> ReadAsync(SignalQueries signals, MemberId member, long after, int limit)
    {
        var rows = await signals.ReadAfterAsync(member, after, limit);
        return [.. rows.Select(r =>
        {
            using var doc = JsonDocument.Parse(r.Data);
            return new SignalDto(r.Seq, r.Type, new DateTimeOffset(r.At, TimeSpan.Zero), doc.RootElement.Clone());
        })];
    }
}
