using System.Net;
using System.Text.Json;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Durability;

/// <summary>
/// Everything the API shows of an exchange, as the answers' JSON text by a readable key: each
/// member's profile, orders (listed and one by one, with capacity), balances, statement and
/// signals; the book for some windows, every market's trades, the operator's member list and
/// ledger check. Two captures are equal when no caller could tell the exchanges apart.
/// </summary>
internal static class ExchangeState
{
    public static async Task<SortedDictionary<string, string>> Capture(
        ExchangeFactory exchange, IReadOnlyDictionary<string, string> memberKeys, IEnumerable<(string Market, DateTimeOffset Start, DateTimeOffset End)> windows)
    {
        var state = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, key) in memberKeys)
        {
            using var client = exchange.CreateClient(key);
            state[$"{name} me"] = await Text(client, "/v1/members/me");
            state[$"{name} account"] = await Text(client, "/v1/account");
            state[$"{name} entries"] = await AllPages(client, "/v1/account/entries?limit=500", "cursor");
            state[$"{name} events"] = await AllSignals(client);
            foreach (var table in new[] { "offers", "needs" })
            {
                var list = await AllPages(client, $"/v1/{table}?limit=500", "cursor");
                state[$"{name} {table}"] = list;
                using var doc = JsonDocument.Parse(list);
                foreach (var order in doc.RootElement.EnumerateArray())
                {
                    var id = order.GetProperty("id").GetInt64();
                    state[$"{name} {table}/{id}"] = await Text(client, $"/v1/{table}/{id}");
                }
            }
        }

        using var anonymous = exchange.CreateClient();
        foreach (var (market, start, end) in windows)
        {
            state[$"book {market} {start:O} {end:O}"] = await Text(anonymous, $"/v1/markets/{market}/book?start={Uri.EscapeDataString(start.ToString("O"))}&end={Uri.EscapeDataString(end.ToString("O"))}");
        }

        var markets = await (await anonymous.GetAsync("/v1/markets")).Read<List<MarketDto>>(HttpStatusCode.OK);
        foreach (var market in markets)
        {
            state[$"market {market.Id}"] = JsonSerializer.Serialize(market, Infrastructure.Api.Json);
            state[$"trades {market.Id}"] = await AllPages(anonymous, $"/v1/markets/{market.Id}/trades?limit=500", "cursor");
        }

        using var admin = exchange.CreateClient(ExchangeFactory.AdminKey);
        state["admin members"] = await AllPages(admin, "/v1/admin/members?limit=500", "cursor");
        state["admin ledger"] = await Text(admin, "/v1/admin/ledger");
        return state;
    }

    /// <summary>Asserts that two captures hold the same keys with the same answers, naming the first that differs.</summary>
    public static void AssertSame(SortedDictionary<string, string> expected, SortedDictionary<string, string> actual, string what)
    {
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (key, value) in expected)
        {
            if (value != actual[key])
            {
                throw new Xunit.Sdk.XunitException($"{what}: '{key}' differs\nexpected: {value}\nactual:   {actual[key]}");
            }
        }
    }

    private static async Task<string> Text(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
        return body;
    }

    /// <summary>Every item of a paged list, walked with its cursor, as one JSON array.</summary>
    private static async Task<string> AllPages(HttpClient client, string path, string cursorName)
    {
        var items = new List<JsonElement>();
        string? next = null;
        do
        {
            var page = JsonSerializer.Deserialize<PageDto<JsonElement>>(await Text(client, next is null ? path : $"{path}&{cursorName}={next}"), Infrastructure.Api.Json)!;
            items.AddRange(page.Items);
            next = page.Next;
        }
        while (next is not null);
        return JsonSerializer.Serialize(items, Infrastructure.Api.Json);
    }

    /// <summary>Every signal of a member, polled with after=N.</summary>
    private static async Task<string> AllSignals(HttpClient client)
    {
        var items = new List<JsonElement>();
        long after = 0;
        while (true)
        {
            var page = JsonSerializer.Deserialize<PageDto<JsonElement>>(await Text(client, $"/v1/events?after={after}&limit=500"), Infrastructure.Api.Json)!;
            if (page.Items.Count == 0)
            {
                return JsonSerializer.Serialize(items, Infrastructure.Api.Json);
            }

            items.AddRange(page.Items);
            after = page.Items[^1].GetProperty("id").GetInt64();
        }
    }
}
