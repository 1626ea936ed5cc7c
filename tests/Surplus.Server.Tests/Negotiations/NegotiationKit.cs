using System.Net;
using System.Text.Json;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Negotiations;

/// <summary>
/// One exchange of its own (negotiation tests move the clock) with a seller, a buyer and a
/// bystander, and the calls the negotiation tests make.
/// </summary>
internal sealed class NegotiationKit : IAsyncDisposable
{
    /// <summary>The fake clock's start: Monday 08:00 UTC.</summary>
    public static readonly DateTimeOffset Monday = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

    /// <summary>Tuesday 00:00 UTC: the windows traded are on Tuesday.</summary>
    public static readonly DateTimeOffset Tuesday = Monday.Date.AddDays(1);

    public const long Deposit = 1_000_000;

    private NegotiationKit(ExchangeFactory exchange) => Exchange = exchange;

    public ExchangeFactory Exchange { get; }

    public long SellerId { get; private set; }

    public string Seller { get; private set; } = "";

    public long BuyerId { get; private set; }

    public string Buyer { get; private set; } = "";

    public string Bystander { get; private set; } = "";

    public static async Task<NegotiationKit> Start(Store store, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var kit = new NegotiationKit(new ExchangeFactory(store, extra: settings));
        (kit.SellerId, _, kit.Seller) = await kit.Exchange.Join("seller");
        (kit.BuyerId, _, kit.Buyer) = await kit.Exchange.Join("buyer");
        (_, _, kit.Bystander) = await kit.Exchange.Join("bystander");
        await kit.Exchange.Deposit(kit.BuyerId, Deposit);
        return kit;
    }

    public async Task<JsonElement> Offer(PlaceOfferRequest offer, string? key = null)
    {
        using var client = Exchange.CreateClient(key ?? Seller);
        return await (await client.Post("/v1/offers", offer)).Read<JsonElement>(HttpStatusCode.Created);
    }

    public async Task<NeedResultDto> Need(PlaceNeedRequest need, string? key = null)
    {
        using var client = Exchange.CreateClient(key ?? Buyer);
        return await (await client.Post("/v1/needs", need)).Read<NeedResultDto>(HttpStatusCode.Created);
    }

    public async Task<HttpResponseMessage> Send(string key, string path, object body, string? idempotencyKey = null)
    {
        using var client = Exchange.CreateClient(key);
        return await client.Post(path, body, idempotencyKey);
    }

    public async Task<NegotiationResultDto> Counter(string key, long id, decimal price, int version) =>
        await (await Send(key, $"/v1/negotiations/{id}/counter", new CounterRequest(price, version))).Read<NegotiationResultDto>(HttpStatusCode.OK);

    public async Task<NegotiationResultDto> Accept(string key, long id, int version) =>
        await (await Send(key, $"/v1/negotiations/{id}/accept", new AcceptRequest(version))).Read<NegotiationResultDto>(HttpStatusCode.OK);

    public async Task<NegotiationResultDto> Decline(string key, long id)
    {
        using var client = Exchange.CreateClient(key);
        return await (await client.PostAsync($"/v1/negotiations/{id}/decline", null)).Read<NegotiationResultDto>(HttpStatusCode.OK);
    }

    public async Task<NegotiationDto> Negotiation(string key, long id)
    {
        using var client = Exchange.CreateClient(key);
        return await (await client.GetAsync($"/v1/negotiations/{id}")).Read<NegotiationDto>(HttpStatusCode.OK);
    }

    public async Task<List<NegotiationDto>> Negotiations(string key, string query = "")
    {
        using var client = Exchange.CreateClient(key);
        return [.. (await (await client.GetAsync($"/v1/negotiations{query}")).Read<PageDto<NegotiationDto>>(HttpStatusCode.OK)).Items];
    }

    public async Task<AccountDto> Account(string? key = null)
    {
        using var client = Exchange.CreateClient(key ?? Buyer);
        return await (await client.GetAsync("/v1/account")).Read<AccountDto>(HttpStatusCode.OK);
    }

    public async Task<NeedDto> ReadNeed(long id)
    {
        using var client = Exchange.CreateClient(Buyer);
        return await (await client.GetAsync($"/v1/needs/{id}")).Read<NeedDto>(HttpStatusCode.OK);
    }

    public async Task<BookDto> Book(string market, DateTimeOffset start, DateTimeOffset end)
    {
        using var client = Exchange.CreateClient();
        return await (await client.GetAsync($"/v1/markets/{market}/book?start={Uri.EscapeDataString(start.ToString("O"))}&end={Uri.EscapeDataString(end.ToString("O"))}"))
            .Read<BookDto>(HttpStatusCode.OK);
    }

    public async Task<List<TradeDto>> Trades(string market)
    {
        using var client = Exchange.CreateClient();
        return [.. (await (await client.GetAsync($"/v1/markets/{market}/trades")).Read<PageDto<TradeDto>>(HttpStatusCode.OK)).Items];
    }

    public async Task<List<SignalDto>> Signals(string key)
    {
        using var client = Exchange.CreateClient(key);
        return [.. (await (await client.GetAsync("/v1/events?after=0&limit=500")).Read<PageDto<SignalDto>>(HttpStatusCode.OK)).Items];
    }

    public async Task<LedgerCheckDto> Ledger()
    {
        using var admin = Exchange.CreateClient(ExchangeFactory.AdminKey);
        return await (await admin.GetAsync("/v1/admin/ledger")).Read<LedgerCheckDto>(HttpStatusCode.OK);
    }

    public ValueTask DisposeAsync() => Exchange.DisposeAsync();
}
