using System.Text.Json;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Api.OpenApi;

/// <summary>The OpenAPI document tells the truth about keys, ids, answers and closed sets of strings.</summary>
[Collection(ApiCollection.Name)]
public sealed class ApiDocumentTests(Exchanges exchanges)
{
    /// <summary>The operations anyone may call without a key.</summary>
    private static readonly HashSet<string> Open =
    [
        "POST /v1/members", "GET /v1/markets", "GET /v1/markets/{id}", "GET /v1/markets/{id}/book", "GET /v1/markets/{id}/trades",
        "GET /v1/markets/{id}/summary", "GET /v1/markets/{id}/candles", "GET /v1/markets/{id}/capacity", "GET /healthz", "GET /healthz/live",
    ];

    [Fact]
    public async Task Document_EveryOperation_HasAUniqueIdADescriptionAndSecurityOnlyWhereAKeyIsNeeded()
    {
        var document = await ApiSpec.LoadAsync(exchanges.For(Store.Sqlite));

        var ids = new HashSet<string>();
        foreach (var operation in document.Operations)
        {
            Assert.True(ids.Add(operation.Id), $"{operation} has a unique operationId");
            Assert.False(string.IsNullOrWhiteSpace(operation.Json.GetProperty("description").GetString()), $"{operation} has a description");
            var security = operation.Json.TryGetProperty("security", out var s) ? s.GetArrayLength() : 0;
            if (Open.Contains(operation.ToString()))
            {
                Assert.True(security == 0, $"{operation} needs no key");
                Assert.False(operation.Responses.ContainsKey("401"), $"{operation} cannot answer 401");
            }
            else
            {
                Assert.True(security == 1, $"{operation} names the bearer key scheme");
                Assert.Equal("apiKey", operation.Json.GetProperty("security")[0].EnumerateObject().Single().Name);
                Assert.True(operation.Responses.ContainsKey("401") && operation.Responses.ContainsKey("403"), $"{operation} documents 401 and 403");
            }
        }

        Assert.True(document.Operations.Count >= 55, $"the document lists every operation ({document.Operations.Count})");
        var scheme = document.Root.GetProperty("components").GetProperty("securitySchemes").GetProperty("apiKey");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
    }

    [Fact]
    public async Task Document_EveryErrorAnswer_IsProblemJsonAndTheCommonOnesAreListed()
    {
        var document = await ApiSpec.LoadAsync(exchanges.For(Store.Sqlite));

        foreach (var operation in document.Operations)
        {
            foreach (var (status, response) in operation.Responses)
            {
                if (status[0] is '4' or '5')
                {
                    var content = response.GetProperty("content");
                    Assert.True(content.TryGetProperty("application/problem+json", out var problem), $"{operation} answers {status} as problem+json");
                    Assert.EndsWith("/ProblemDetails", problem.GetProperty("schema").GetProperty("$ref").GetString(), StringComparison.Ordinal);
                }
            }

            Assert.True(operation.Responses.ContainsKey("429"), $"{operation} documents the rate limit");
            Assert.True(operation.Responses.ContainsKey("503"), $"{operation} documents a store that refuses");
            if (operation.Json.TryGetProperty("requestBody", out _))
            {
                Assert.All(new[] { "400", "413", "415" }, s => Assert.True(operation.Responses.ContainsKey(s), $"{operation} with a body documents {s}"));
            }

            if (operation.Path.Contains('{', StringComparison.Ordinal))
            {
                Assert.True(operation.Responses.ContainsKey("404"), $"{operation} with an id documents 404");
            }
        }

        var problemSchema = document.Root.GetProperty("components").GetProperty("schemas").GetProperty("ProblemDetails");
        Assert.Contains("type", problemSchema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Document_SuccessAnswers_SayWhatComesBack()
    {
        var document = await ApiSpec.LoadAsync(exchanges.For(Store.Sqlite));

        Assert.EndsWith("/OfferResultDto", Schema(document.Find("PATCH", "/v1/offers/{id}").Responses["200"], "application/json").GetProperty("$ref").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("/NeedResultDto", Schema(document.Find("PATCH", "/v1/needs/{id}").Responses["200"], "application/json").GetProperty("$ref").GetString(), StringComparison.Ordinal);
        var blob = document.Resolve(Schema(document.Find("GET", "/v1/blobs/{sha256}").Responses["200"], "application/octet-stream"));
        Assert.Equal("binary", blob.GetProperty("format").GetString());
        Assert.Equal("string", Schema(document.Find("GET", "/v1/events").Responses["200"], "text/event-stream").GetProperty("type").GetString());
        Assert.Contains(document.Find("POST", "/v1/offers").Json.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "Idempotency-Key");
        foreach (var operation in document.Operations)
        {
            Assert.True(operation.Responses.Keys.Any(s => s[0] == '2'), $"{operation} documents its success");
        }
    }

    [Theory]
    [InlineData("PlaceNeedRequest", "fill", "all-or-none")]
    [InlineData("PlaceOfferRequest", "mode", "spot")]
    [InlineData("JobDto", "runtime", "process")]
    [InlineData("MarketDto", "clearing", "call-auction")]
    [InlineData("ContractDto", "status", "no-show")]
    [InlineData("NegotiationDto", "status", "withdrawn")]
    public async Task Document_ClosedSetsOfStrings_AreEnums(string schema, string property, string member)
    {
        var document = await ApiSpec.LoadAsync(exchanges.For(Store.Sqlite));

        var values = document.Root.GetProperty("components").GetProperty("schemas").GetProperty(schema)
            .GetProperty("properties").GetProperty(property).GetProperty("enum").EnumerateArray().Select(e => e.GetString());

        Assert.Contains(member, values);
    }

    private static JsonElement Schema(JsonElement response, string mediaType) =>
        response.GetProperty("content").GetProperty(mediaType).GetProperty("schema");
}
