using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Surplus.Protocol;

namespace Surplus.Server.Api;

/// <summary>
/// The errors the host produces before or around a handler — an unknown path or method, a body of a
/// type the route does not take, a range past a blob's end — answered in problem+json like every
/// refusal of the API, and a connection that is closed after an answer says so.
/// </summary>
internal static class HostProblems
{
    /// <summary>
    /// The problem for an error status that left the response without a body: the status-code
    /// page of every route, so no error is ever an empty body.
    /// </summary>
    public static Task WriteStatusPageAsync(StatusCodeContext context)
    {
        var http = context.HttpContext;
        var path = http.Request.Path;
        var error = http.Response.StatusCode switch
        {
            StatusCodes.Status400BadRequest => RefusalMessages.RequestUnreadable.With(),
            StatusCodes.Status404NotFound => RefusalMessages.PathUnknown.With(("path", path.ToString())),
            StatusCodes.Status405MethodNotAllowed => RefusalMessages.MethodNotAllowed.With(("method", http.Request.Method), ("path", path.ToString())),
            StatusCodes.Status413PayloadTooLarge => TooLarge(http),
            StatusCodes.Status415UnsupportedMediaType => UnsupportedMediaType(http),
            StatusCodes.Status416RangeNotSatisfiable => RefusalMessages.RangePastTheEnd.With(),
            var status => Under(status, status >= 500
                ? RefusalMessages.Internal.With()
                : RefusalMessages.RequestRefused.With(("path", path.ToString()), ("statusCode", status))),
        };
        return Problems.WriteAsync(http, error);
    }

    /// <summary>A refusal's code, wording and values under a status the host set without a body, titled with its reason phrase.</summary>
    private static Refused Under(int status, Refused error) => new(new Refusal(error.Code, status, ReasonPhrases(status)), error.Template, [.. error.Values]);

    /// <summary>415: the route takes JSON (or, for blobs, anything); this says which.</summary>
    public static Refused UnsupportedMediaType(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var given = http.Request.ContentType is { Length: > 0 } type ? $"'{type}'" : "no Content-Type";
        return RefusalMessages.UnsupportedMediaType.With(("method", http.Request.Method), ("path", http.Request.Path.ToString()), ("given", given));
    }

    /// <summary>
    /// 413 for a body over the request's limit, and the connection is closed after it: the rest of
    /// the body is not read, so the next request could not be found on the same connection.
    /// </summary>
    public static Refused TooLarge(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        CloseAfterAnswer(http);
        var limit = http.RequestServices.GetRequiredService<IOptions<ServerOptions>>().Value.MaxRequestBodyBytes;
        return RefusalMessages.BodyTooLarge.With(("max", limit));
    }

    /// <summary>
    /// Says <c>Connection: close</c> on this answer, for a request whose body is left unread; without
    /// it the server would read the rest as the next request, or, past the body limit, close the
    /// connection under a keep-alive client that expects to send another request on it.
    /// </summary>
    public static void CloseAfterAnswer(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (!http.Response.HasStarted)
        {
            http.Response.Headers.Connection = "close";
        }
    }

    /// <summary>
    /// A refusal before the handler reads a body larger than the route's limit (a bad key, an unknown
    /// path, a rate limit) would leave that body unread: its answer closes the connection too. Only
    /// requests that declare such a body pay for the check.
    /// </summary>
    public static Task CloseOnRefusedLargeBody(HttpContext http, RequestDelegate next)
    {
        if (http.Request.ContentLength is { } length
            && http.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } limit
            && length > limit)
        {
            http.Response.OnStarting(static state =>
            {
                var context = (HttpContext)state;
                if (context.Response.StatusCode >= 400
                    && context.Request.ContentLength > context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize)
                {
                    context.Response.Headers.Connection = "close";
                }

                return Task.CompletedTask;
            }, http);
        }

        return next(http);
    }

    private static string ReasonPhrases(int status) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error";
}
