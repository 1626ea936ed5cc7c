using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Surplus.Server.Engine;

namespace Surplus.Server.Api;

/// <summary>Writing errors as RFC 9457 problem+json, and reading request bodies with errors that say what to fix.</summary>
internal static class Problems
{
    public static ProblemHttpResult Result(ApiError error) =>
        TypedResults.Problem(error.Detail, statusCode: error.Status, title: error.Title, type: ApiError.TypeOf(error.Code));

    public static Task WriteAsync(HttpContext context, ApiError error)
    {
        context.Response.StatusCode = error.Status;
        return context.Response.WriteAsJsonAsync(
            new { type = ApiError.TypeOf(error.Code), title = error.Title, status = error.Status, detail = error.Detail },
            (JsonSerializerOptions?)null, "application/problem+json");
    }

    /// <summary>Reads a JSON body into <typeparamref name="T"/>, with the SHA-256 of the method, path and body for idempotency.</summary>
    public static async Task<Checked<(T Value, string Hash)>> ReadAsync<T>(HttpRequest request)
        where T : class
    {
        byte[] body;
        try
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
            body = buffer.ToArray();
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new ApiError(413, "body-too-large", "The request body is too large", e.Message);
        }

        if (body.Length == 0)
        {
            return ApiError.Invalid("body-missing", $"send a JSON body describing the {Describe<T>()}");
        }

        T? value;
        try
        {
            value = JsonSerializer.Deserialize<T>(body, Json.Options);
        }
        catch (JsonException e)
        {
            var where = e.Path is { Length: > 1 } p ? $" at {p}" : "";
            var what = e.Message.Split(". Path:")[0];
            return ApiError.Invalid("json-invalid", $"the body is not a valid {Describe<T>()}{where}: {what}");
        }

        if (value is null)
        {
            return ApiError.Invalid("body-missing", $"send a JSON object describing the {Describe<T>()}");
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData([.. System.Text.Encoding.UTF8.GetBytes(request.Method + " " + request.Path + "\n"), .. body]));
        return (value, hash);
    }

    private static string Describe<T>() => typeof(T).Name.Replace("Request", "", StringComparison.Ordinal).ToLowerInvariant() switch
    {
        "placeoffer" => "offer",
        "placeneed" => "need",
        "amendorder" => "amendment",
        var other => other,
    };
}
