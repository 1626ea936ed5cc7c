using System.Net;
using System.Net.Http.Json;
using System.Text;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Api;

/// <summary>
/// The API tests that run on the default settings share one exchange per store: starting a server
/// costs far more than a test. They stay independent: each test joins its own members and, where
/// the book or the tape matters, makes its own market, so no test sees another's orders, and none
/// moves the shared clock.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<Exchanges>
{
    public const string Name = "api";
}

/// <summary>One exchange per store, started on first use (a run on one store never starts the other).</summary>
public class Exchanges : IAsyncLifetime
{
    private readonly Dictionary<Store, ExchangeFactory> started = [];
    private readonly Lock sync = new();

    /// <summary>Settings added to the factory's (see <see cref="ExchangeFactory"/>).</summary>
    protected virtual IReadOnlyDictionary<string, string?>? Settings => null;

    public ExchangeFactory For(Store store)
    {
        lock (sync)
        {
            if (!started.TryGetValue(store, out var exchange))
            {
                exchange = new ExchangeFactory(store, extra: Settings);
                started[store] = exchange;
            }

            return exchange;
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var exchange in started.Values)
        {
            await exchange.DisposeAsync();
        }
    }
}

/// <summary>A member as the tests use it.</summary>
public sealed record Trader(long Id, HttpClient Client, string Key);

/// <summary>Requests and checks the API tests share.</summary>
public static class ApiKit
{
    /// <summary>Tuesday noon, the day after the tests' clock starts (Monday 08:00 UTC).</summary>
    public static readonly DateTimeOffset Tomorrow = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The Saturday of the payroll example, 00:00 UTC.</summary>
    public static readonly DateTimeOffset Saturday = new(2026, 11, 28, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The tests' clock at start: Monday 2026-11-23 08:00 UTC.</summary>
    public static readonly DateTimeOffset Now = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

    public static async Task<Trader> Trader(this ExchangeFactory exchange, string name, long depositMinor = 0)
    {
        var (id, client, key) = await exchange.Join(name);
        if (depositMinor > 0)
        {
            await exchange.Deposit(id, depositMinor);
        }

        return new Trader(id, client, key);
    }

    public static HttpClient Admin(this ExchangeFactory exchange) => exchange.CreateClient(ExchangeFactory.AdminKey);

    /// <summary>Creates a market of its own for one test (MFLOPS, 1-minute slot, tick 0.01) and returns its id.</summary>
    public static async Task<string> NewMarket(this ExchangeFactory exchange, int feeBasisPoints = 0, bool opensNegotiations = true)
    {
        var id = "m-" + Guid.NewGuid().ToString("N")[..10];
        using var admin = exchange.Admin();
        await (await admin.Post("/v1/admin/markets", new CreateMarketRequest(id, "MFLOPS", FeeBasisPoints: feeBasisPoints, OpensNegotiations: opensNegotiations)))
            .Read<MarketDto>(HttpStatusCode.Created);
        return id;
    }

    public static PlaceOfferRequest Offer(string market, long rate, decimal ask, DateTimeOffset start, double hours, string mode = "standing") =>
        new(market, rate, ask, start, start.AddHours(hours), Mode: mode);

    public static PlaceNeedRequest Need(string market, long rate, decimal bid, DateTimeOffset start, double hours, string mode = "standing") =>
        new(market, rate, start, start.AddHours(hours), bid, Mode: mode);

    public static async Task<OfferResultDto> PlaceOffer(this Trader trader, PlaceOfferRequest offer) =>
        await (await trader.Client.Post("/v1/offers", offer)).Read<OfferResultDto>(HttpStatusCode.Created);

    public static async Task<NeedResultDto> PlaceNeed(this Trader trader, PlaceNeedRequest need) =>
        await (await trader.Client.Post("/v1/needs", need)).Read<NeedResultDto>(HttpStatusCode.Created);

    public static async Task<T> Get<T>(this HttpClient client, string path) => await (await client.GetAsync(path)).Read<T>(HttpStatusCode.OK);

    public static Task<AccountDto> Account(this Trader trader) => trader.Client.Get<AccountDto>("/v1/account");

    public static Task<HttpResponseMessage> Patch<T>(this HttpClient client, string path, T body) =>
        client.PatchAsJsonAsync(path, body, Infrastructure.Api.Json);

    public static Task<HttpResponseMessage> Send(this HttpClient client, HttpMethod method, string path, string json) =>
        client.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") });

    /// <summary>Everything a member can see of itself, as text: to show that a refused request changed nothing.</summary>
    public static async Task<string> Snapshot(this Trader trader)
    {
        var text = new StringBuilder();
        foreach (var path in new[] { "/v1/members/me", "/v1/account", "/v1/account/entries?limit=500", "/v1/offers?limit=500", "/v1/needs?limit=500" })
        {
            var response = await trader.Client.GetAsync(path);
            text.Append(path).Append(' ').Append((int)response.StatusCode).Append(' ').AppendLine(await response.Content.ReadAsStringAsync());
        }

        return text.ToString();
    }
}
