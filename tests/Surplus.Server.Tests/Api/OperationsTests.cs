using System.Globalization;
using System.Net;
using System.Text.Json;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Api.ApiKit;

namespace Surplus.Server.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class OperationsTests(Exchanges exchanges)
{
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Healthz_Running_IsOk(Store store)
    {
        using var client = exchanges.For(store).CreateClient();

        var response = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task OpenApi_Document_ListsTheV1PathsWithSchemasForOffersAndNeeds(Store store)
    {
        using var client = exchanges.For(store).CreateClient();

        var response = await client.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        Assert.StartsWith("3.", root.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var paths = root.GetProperty("paths");
        foreach (var path in new[]
        {
            "/v1/members", "/v1/members/me", "/v1/markets", "/v1/markets/{id}", "/v1/markets/{id}/book", "/v1/markets/{id}/trades",
            "/v1/offers", "/v1/offers/{id}", "/v1/needs", "/v1/needs/{id}", "/v1/account", "/v1/account/entries", "/v1/events",
            "/v1/admin/members", "/v1/admin/members/{id}/suspend", "/v1/admin/members/{id}/deposit", "/v1/admin/markets",
            "/v1/admin/markets/{id}/halt", "/v1/admin/ledger",
            "/v1/markets/{id}/summary", "/v1/markets/{id}/candles", "/v1/markets/{id}/capacity",
        })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"the OpenAPI document lists {path}");
        }

        var schemas = root.GetProperty("components").GetProperty("schemas");
        foreach (var (path, request, answer) in new[] { ("/v1/offers", "PlaceOfferRequest", "OfferResultDto"), ("/v1/needs", "PlaceNeedRequest", "NeedResultDto") })
        {
            var post = paths.GetProperty(path).GetProperty("post");
            Assert.EndsWith("/" + request, SchemaRef(post.GetProperty("requestBody").GetProperty("content").GetProperty("application/json")), StringComparison.Ordinal);
            Assert.EndsWith("/" + answer, SchemaRef(post.GetProperty("responses").GetProperty("201").GetProperty("content").GetProperty("application/json")), StringComparison.Ordinal);
            Assert.True(post.GetProperty("responses").TryGetProperty("400", out _), $"POST {path} documents its 400 problem");
            Assert.True(schemas.TryGetProperty(request, out _));
            Assert.True(schemas.TryGetProperty(answer, out _));
        }

        var offerFields = schemas.GetProperty("PlaceOfferRequest").GetProperty("properties");
        foreach (var field in new[] { "market", "rate", "ask", "start", "end", "recurrence" })
        {
            Assert.True(offerFields.TryGetProperty(field, out _), $"PlaceOfferRequest has {field}");
        }

        var needFields = schemas.GetProperty("PlaceNeedRequest").GetProperty("properties");
        foreach (var field in new[] { "market", "rate", "bid", "start", "end", "job" })
        {
            Assert.True(needFields.TryGetProperty(field, out _), $"PlaceNeedRequest has {field}");
        }

        Assert.True(paths.GetProperty("/v1/needs/{id}").TryGetProperty("get", out var getNeed)
            && getNeed.GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("application/json", out _));
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Metrics_AfterOrders_ArePrometheusTextCountingEngineWork(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("metered");
        await seller.PlaceOffer(Offer(market, 10, 10m, Tomorrow, 1));
        using var client = exchange.CreateClient();

        var response = await client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE surplus_engine_work_total counter", text, StringComparison.Ordinal);
        var line = text.Split('\n').Single(l => l.StartsWith("surplus_engine_work_total ", StringComparison.Ordinal));
        Assert.True(double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture) >= 1);
    }

    private static string SchemaRef(JsonElement content)
    {
        var schema = content.GetProperty("schema");
        return schema.TryGetProperty("$ref", out var reference) ? reference.GetString()! : schema.ToString();
    }
}
