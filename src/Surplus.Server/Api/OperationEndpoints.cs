using Microsoft.AspNetCore.Http.HttpResults;
using Surplus.Exchange.Storage;

namespace Surplus.Server.Api;

/// <summary>The health checks: <c>/healthz</c> (readiness) and <c>/healthz/live</c> (liveness).</summary>
internal static class OperationEndpoints
{
    public static void Map(WebApplication app)
    {
        app.MapGet("/healthz", Ready).WithTags("operations")
            .WithSummary("Readiness: 200 when the exchange takes changes; 503 store-unavailable, naming what failed, when its store refuses writes");
        app.MapGet("/healthz/live", Live).WithTags("operations")
            .WithSummary("Liveness: 200 while the process serves requests, whatever its store does");
    }

    private static async Task<Results<Ok<HealthDto>, ProblemHttpResult>> Ready(HttpContext http, StoreHealth health)
    {
        if (await health.CheckAsync() is { } failed)
        {
            return Problems.Result(http, RefusalMessages.NotReady.With(("failed", failed)));
        }

        return TypedResults.Ok(new HealthDto("ok"));
    }

    private static Ok<HealthDto> Live() => TypedResults.Ok(new HealthDto("ok"));

    /// <summary>The answer of the health checks while they pass.</summary>
    internal sealed record HealthDto(string Status);
}
