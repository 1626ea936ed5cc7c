using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Surplus.Exchange.Engine;
using Surplus.Protocol;

namespace Surplus.Server.Api;

/// <summary>Writing errors as RFC 9457 problem+json, and reading request bodies with errors that say what to fix.</summary>
internal static partial class Problems
{
    /// <summary>The <c>Retry-After</c> of a 503: a refused store is often back within seconds (a lock released, a failover done).</summary>
    public const string RetryAfterSeconds = "1";

    /// <summary>The HTTP status of a refusal: its status in the catalog.</summary>
    public static int StatusOf(Refused error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.Refusal.Status;
    }

    /// <summary>The HTTP status of an outcome: 200 done, 201 created, 204 nothing to return, a refusal's status in the catalog.</summary>
    public static int StatusOf(Outcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return outcome.Kind switch
        {
            OutcomeKind.Done => StatusCodes.Status200OK,
            OutcomeKind.Created => StatusCodes.Status201Created,
            OutcomeKind.Nothing => StatusCodes.Status204NoContent,
            _ => StatusOf(outcome.Error!),
        };
    }

    /// <summary>
    /// The problem for <paramref name="error"/>: its type, title and status from the catalog, the detail
    /// made of its message's wording and values, and each value as an extension member.
    /// </summary>
    public static ProblemHttpResult Result(Refused error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return TypedResults.Problem(error.Detail, statusCode: StatusOf(error), title: error.Title, type: Refused.TypeOf(error.Code),
            extensions: error.Values.Count == 0 ? null : ProblemJson.Extensions(error));
    }

    /// <summary>The problem for <paramref name="error"/>, with <c>Retry-After</c> when it is a 503.</summary>
    public static ProblemHttpResult Result(HttpContext http, Refused error)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(error);
        if (StatusOf(error) == StatusCodes.Status503ServiceUnavailable)
        {
            http.Response.Headers.RetryAfter = RetryAfterSeconds;
        }

        return Result(error);
    }

    public static Task WriteAsync(HttpContext context, Refused error) => WriteAsync(context, error, StatusOf(error));

    /// <summary>Writes <paramref name="error"/>'s problem under <paramref name="status"/> (the host's own, for a status set without a body).</summary>
    public static Task WriteAsync(HttpContext context, Refused error, int status)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(error);
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = RetryAfterSeconds;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        var body = ProblemJson.WriteUtf8(error, status);
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body).AsTask();
    }

    /// <summary>
    /// Answers with an outcome: its problem, its stored JSON or its body, under the status
    /// <see cref="StatusOf(Outcome)"/> gives; marked as replayed when it is the first answer given
    /// again to a retry (a kept refusal too).
    /// </summary>
    public static IResult Answer(HttpContext http, Outcome result)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(result);
        if (result.Body is StoredJson { Replayed: true })
        {
            http.Response.Headers["Idempotent-Replayed"] = "true";
        }

        if (result.Error is not null)
        {
            return Result(http, result.Error);
        }

        if (result.Body is StoredJson stored)
        {
            return new Utf8Json(stored.Utf8, StatusOf(result));
        }

        return Results.Json(result.Body, Json.Options, statusCode: StatusOf(result));
    }

    /// <summary>Reads a JSON body into <typeparamref name="T"/>, with the SHA-256 of the method, path and body for idempotency.</summary>
    public static async Task<Checked<(T Value, string Hash)>> ReadAsync<T>(HttpRequest request)
        where T : class
    {
        // Kestrel enforces the limit too, but not every host does (the in-process test server does not), so the reader does.
        var limit = request.HttpContext.RequestServices.GetRequiredService<IOptions<ServerOptions>>().Value.MaxRequestBodyBytes;
        if (request.ContentLength > limit)
        {
            return HostProblems.TooLarge(request.HttpContext);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            var length = 0;
            try
            {
                int read;
                while ((read = await request.Body.ReadAsync(buffer.AsMemory(length), request.HttpContext.RequestAborted)) > 0)
                {
                    length += read;
                    if (length > limit)
                    {
                        return HostProblems.TooLarge(request.HttpContext);
                    }

                    if (length == buffer.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }
                }
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return HostProblems.TooLarge(request.HttpContext);
            }

            return Bind<T>(request, buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static Checked<(T Value, string Hash)> Bind<T>(HttpRequest request, ReadOnlySpan<byte> body)
        where T : class
    {
        if (body.IsEmpty)
        {
            return RefusalMessages.BodyMissing.With(("body", Describe<T>()));
        }

        // The serializer is as strict as the shape check (required and nullable fields, no unknown
        // ones), so a body it binds is a good one; the slower walk that names what is wrong runs
        // only for the bodies it refuses.
        T? value;
        try
        {
            value = JsonSerializer.Deserialize<T>(body, Json.Options);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // The reader throws InvalidOperationException for a string it cannot turn into text (a lone surrogate).
            return Explain<T>(body);
        }

        if (value is null)
        {
            return RefusalMessages.BodyNull.With(("body", Describe<T>()));
        }

        return (value, RequestHash(request, body));
    }

    /// <summary>The SHA-256 of the method, path and body, as the idempotency record keeps it.</summary>
    private static string RequestHash(HttpRequest request, ReadOnlySpan<byte> body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{request.Method} {request.Path}\n"));
        hash.AppendData(body);
        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return Convert.ToHexStringLower(digest);
    }

    /// <summary>Why the serializer refused a body, in the words of the API.</summary>
    private static Refused Explain<T>(ReadOnlySpan<byte> body)
    {
        JsonElement document;
        try
        {
            using var parsed = JsonDocument.Parse(body.ToArray());
            document = parsed.RootElement.Clone();
        }
        catch (JsonException e)
        {
            var what = e.Message.Split(" LineNumber:")[0].Split(" Path:")[0].TrimEnd('.');
            return RefusalMessages.JsonMalformed.With(("problem", what), ("line", (e.LineNumber ?? 0) + 1), ("byte", (e.BytePositionInLine ?? 0) + 1), ("body", Describe<T>()));
        }

        if (document.ValueKind == JsonValueKind.Null)
        {
            return RefusalMessages.BodyNull.With(("body", Describe<T>()));
        }

        if (JsonShape.Check(document, typeof(T), Json.Options) is { } wrong)
        {
            return RefusalMessages.JsonWrongShape.With(("problem", wrong), ("body", Describe<T>()));
        }

        try
        {
            _ = document.Deserialize<T>(Json.Options);
        }
        catch (InvalidOperationException)
        {
            return RefusalMessages.JsonNotUnicode.With(("body", Describe<T>()));
        }
        catch (JsonException e)
        {
            // The shape check passed, so this is a value the serializer could not read (a date out of range, say).
            return e.Path is { Length: > 1 } path && JsonShape.TypeAt(path, typeof(T), Json.Options) is { } type
                ? RefusalMessages.JsonValueInvalid.With(("path", path), ("expected", JsonShape.Describe(type, Json.Options)))
                : RefusalMessages.JsonInvalid.With(("body", Describe<T>()));
        }

        return RefusalMessages.JsonInvalid.With(("body", Describe<T>()));
    }

    /// <summary>
    /// Says what to fix when a query or route value could not be read: "limit must be a whole
    /// number; 'ten' is not" rather than the framework's words about C# types.
    /// </summary>
    public static Refused Explain(BadHttpRequestException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var match = BindFailure().Match(exception.Message);
        if (!match.Success)
        {
            return RefusalMessages.RequestValueInvalid.With(("problem", exception.Message));
        }

        var type = match.Groups["type"].Value.Replace("Nullable<", "", StringComparison.Ordinal).TrimEnd('>', '?') switch
        {
            "int" or "long" or "short" or "Int32" or "Int64" => typeof(long),
            "decimal" or "double" or "Decimal" or "Double" => typeof(decimal),
            "DateTimeOffset" or "DateTime" => typeof(DateTimeOffset),
            "bool" or "Boolean" => typeof(bool),
            _ => null,
        };
        return type is null
            ? RefusalMessages.RequestValueInvalid.With(("problem", exception.Message))
            : RefusalMessages.RequestValueMistyped.With(
                ("parameter", match.Groups["name"].Value), ("expected", JsonShape.Describe(type, Json.Options)), ("value", match.Groups["value"].Value));
    }

    [System.Text.RegularExpressions.GeneratedRegex("^Failed to bind parameter \"(?<type>[^ \"]+) (?<name>[^\"]+)\" from \"(?<value>.*)\"\\.$")]
    private static partial System.Text.RegularExpressions.Regex BindFailure();

    private static string Describe<T>() => typeof(T).Name.Replace("Request", "", StringComparison.Ordinal).ToLowerInvariant() switch
    {
        "placeoffer" => "offer",
        "placeneed" => "need",
        "amendorder" => "amendment",
        "join" => "member joining",
        "updatemember" => "profile change",
        "createmarket" => "market",
        var other => other,
    };

    /// <summary>A JSON body already in UTF-8, sent as it is with its status.</summary>
    private sealed class Utf8Json(byte[] body, int status) : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
    {
        public int? StatusCode => status;

        public string ContentType => "application/json; charset=utf-8";

        public Task ExecuteAsync(HttpContext httpContext)
        {
            ArgumentNullException.ThrowIfNull(httpContext);
            httpContext.Response.StatusCode = status;
            httpContext.Response.ContentType = ContentType;
            httpContext.Response.ContentLength = body.Length;
            return httpContext.Response.Body.WriteAsync(body).AsTask();
        }
    }
}
