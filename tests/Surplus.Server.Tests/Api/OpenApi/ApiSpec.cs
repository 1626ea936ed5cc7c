using System.Text.Json;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Api.OpenApi;

/// <summary>One operation of the OpenAPI document.</summary>
public sealed record ApiOperation(string Method, string Path, JsonElement Json)
{
    public string Id => Json.GetProperty("operationId").GetString()!;

    public IReadOnlyDictionary<string, JsonElement> Responses =>
        Json.GetProperty("responses").EnumerateObject().ToDictionary(p => p.Name, p => p.Value);

    public override string ToString() => $"{Method} {Path}";
}

/// <summary>The OpenAPI document as the in-process server serves it.</summary>
public sealed class ApiSpec
{
    private ApiSpec(string text)
    {
        Text = text;
        Root = JsonDocument.Parse(text).RootElement;
        Operations = [.. Root.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => new ApiOperation(op.Name.ToUpperInvariant(), path.Name, op.Value)))];
    }

    public string Text { get; }

    public JsonElement Root { get; }

    public IReadOnlyList<ApiOperation> Operations { get; }

    public static async Task<ApiSpec> LoadAsync(ExchangeFactory exchange)
    {
        using var client = exchange.CreateClient();
        var response = await client.GetAsync("/openapi/v1.json");
        response.EnsureSuccessStatusCode();
        return new ApiSpec(await response.Content.ReadAsStringAsync());
    }

    public ApiOperation Find(string method, string path) => Operations.Single(o => o.Method == method && o.Path == path);

    /// <summary>The schema itself, following a <c>$ref</c> into the components.</summary>
    public JsonElement Resolve(JsonElement schema) =>
        schema.TryGetProperty("$ref", out var reference)
            ? Root.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1])
            : schema;

    /// <summary>The folder of the repository (where Surplus.sln is).</summary>
    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Surplus.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Surplus.sln not found above " + AppContext.BaseDirectory);
    }
}
