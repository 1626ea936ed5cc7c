using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Surplus.Protocol;

namespace Surplus.Server.Tests.Infrastructure;

/// <summary>Small conveniences over the HTTP API for tests.</summary>
public static class Api
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Joins a member and returns its id and a client that sends its key.</summary>
    public static async Task<(long Id, HttpClient Client, string Key)> Join(this ExchangeFactory exchange, string name, IReadOnlyDictionary<string, string>? attributes = null)
    {
        using var anonymous = exchange.CreateClient();
        var response = await anonymous.PostAsJsonAsync("/v1/members", new JoinRequest(name, $"{name}.example:7000", attributes), Json);
        response.EnsureSuccessStatusCode();
        var joined = (await response.Content.ReadFromJsonAsync<JoinResponse>(Json))!;
        return (joined.Member.Id, exchange.CreateClient(joined.ApiKey), joined.ApiKey);
    }

    public static async Task Deposit(this ExchangeFactory exchange, long member, long amountMinor)
    {
        using var admin = exchange.CreateClient(ExchangeFactory.AdminKey);
        var response = await admin.PostAsJsonAsync($"/v1/admin/members/{member}/deposit", new DepositRequest(amountMinor), Json);
        response.EnsureSuccessStatusCode();
    }

    public static async Task<T> Read<T>(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != expected)
        {
            throw new Xunit.Sdk.XunitException($"expected {(int)expected} but got {(int)response.StatusCode}: {body}");
        }

        return JsonSerializer.Deserialize<T>(body, Json)!;
    }

    /// <summary>Asserts a problem+json answer with this status and type code, and returns its detail.</summary>
    public static async Task<string> Problem(this HttpResponseMessage response, HttpStatusCode expected, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != expected)
        {
            throw new Xunit.Sdk.XunitException($"expected {(int)expected} {code} but got {(int)response.StatusCode}: {body}");
        }

        Xunit.Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(body);
        Xunit.Assert.Equal($"urn:surplus:problem:{code}", doc.RootElement.GetProperty("type").GetString());
        var detail = doc.RootElement.GetProperty("detail").GetString()!;
        Xunit.Assert.False(string.IsNullOrWhiteSpace(detail));
        Xunit.Assert.DoesNotContain("   at ", detail, StringComparison.Ordinal);
        return detail;
    }

    public static Task<HttpResponseMessage> Post<T>(this HttpClient client, string path, T body, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: Json) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> PostRaw(this HttpClient client, string path, string json) =>
        client.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
}
