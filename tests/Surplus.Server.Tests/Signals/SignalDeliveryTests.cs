using System.Net;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Signals;
using Surplus.Exchange.Storage;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Signals;

/// <summary>
/// Signals reach their members once and in order: over server-sent events that drop and resume
/// with Last-Event-ID, across a server restart, live, and through the JSON poll.
/// </summary>
public sealed class SignalDeliveryTests
{
    private static readonly DateTimeOffset Monday = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Tuesday = Monday.Date.AddDays(1);

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Events_StreamDropsAndResumesAcrossRestart_EverySignalOnceInOrder(Store store)
    {
        await using var exchange = new ExchangeFactory(store);
        var (_, _, sellerKey) = await exchange.Join("seller");
        var (buyerId, _, buyerKey) = await exchange.Join("buyer");
        await exchange.Deposit(buyerId, 1_000_000);
        var received = new List<ServerSentEvent>();

        // Connected: the deposit, then a trade.
        var stream = await EventStream.Open(exchange.CreateClient(buyerKey));
        received.AddRange(await stream.Read(1));
        await Place(exchange, sellerKey, "/v1/offers", new PlaceOfferRequest("compute", 100, 10m, Tuesday.AddHours(12), Tuesday.AddHours(18)));
        await Place(exchange, buyerKey, "/v1/needs", new PlaceNeedRequest("compute", 40, Tuesday.AddHours(12), Tuesday.AddHours(14), 12m));
        received.AddRange(await stream.Read(await Missing(exchange, buyerKey, stream.LastId)));
        await stream.DisposeAsync();

        // Dropped: a need that negotiates and rests, then is cancelled.
        var resting = await Place(exchange, buyerKey, "/v1/needs", new PlaceNeedRequest("compute", 30, Tuesday.AddHours(15), Tuesday.AddHours(16), 8m));
        using (var buyer = exchange.CreateClient(buyerKey))
        {
            (await buyer.DeleteAsync($"/v1/needs/{resting.GetProperty("need").GetProperty("id").GetInt64()}")).EnsureSuccessStatusCode();
        }

        stream = await EventStream.Open(exchange.CreateClient(buyerKey), received[^1].Id);
        received.AddRange(await stream.Read(await Missing(exchange, buyerKey, stream.LastId)));

        // Still connected when the server stops: the server ends the stream rather than holding up the stop.
        await exchange.Restart();
        Assert.Empty(await stream.ReadToEnd(TimeSpan.FromSeconds(10)));
        await stream.DisposeAsync();

        // After the restart, while nobody listens: a need that rests and then expires on the engine's tick.
        await Place(exchange, buyerKey, "/v1/needs", new PlaceNeedRequest("compute", 10, Monday.AddMinutes(30), Monday.AddMinutes(60), 5m));
        exchange.Time.Advance(TimeSpan.FromMinutes(31));
        await Poll.Until(async () => (await ReadSignals(exchange, buyerKey, 0)).Any(s => s.Type == "order.expired"), "the tick to expire the need");

        // Resumed on the new server, then live: a trade while connected.
        stream = await EventStream.Open(exchange.CreateClient(buyerKey), received[^1].Id);
        received.AddRange(await stream.Read(await Missing(exchange, buyerKey, stream.LastId)));
        await Place(exchange, buyerKey, "/v1/needs", new PlaceNeedRequest("compute", 20, Tuesday.AddHours(16), Tuesday.AddHours(17), 10m));
        received.AddRange(await stream.Read(await Missing(exchange, buyerKey, stream.LastId)));
        await stream.DisposeAsync();

        // Every signal once, in order, with consecutive ids; and the JSON poll, page by page, says the same.
        Assert.Equal(Enumerable.Range(1, received.Count).Select(i => (long)i), received.Select(e => e.Id));
        var types = received.Select(e => e.Type).ToList();
        foreach (var type in new[] { "account.deposit", "trade", "order.filled", "negotiation.needed", "order.rested", "order.cancelled", "order.expired" })
        {
            Assert.Contains(type, types);
        }

        var polled = await PollAll(exchange, buyerKey, pageSize: 2);
        Assert.Equal(
            received.Select(e => (e.Id, e.Type, Canonical(e.Data))),
            polled.Select(s => (s.Id, s.Type, Canonical(s.Data.GetRawText()))));
        Assert.Equal(received.Count, (await Missing(exchange, buyerKey, 0)));
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Signals_TradeRestCancelExpiryNegotiation_ReachEachMemberConcernedOnce(Store store)
    {
        await using var exchange = new ExchangeFactory(store);
        var (sellerId, _, seller) = await exchange.Join("seller");
        var (_, _, other) = await exchange.Join("other-seller");
        var (buyerId, _, buyer) = await exchange.Join("buyer");
        var (_, _, bystander) = await exchange.Join("bystander");
        await exchange.Deposit(buyerId, 1_000_000);

        var offer = (await Place(exchange, seller, "/v1/offers", new PlaceOfferRequest("compute", 100, 10m, Tuesday.AddHours(12), Tuesday.AddHours(18))))
            .GetProperty("offer").GetProperty("id").GetInt64();
        var traded = await Place(exchange, buyer, "/v1/needs", new PlaceNeedRequest("compute", 40, Tuesday.AddHours(12), Tuesday.AddHours(14), 12m));
        var tradeAnswered = Assert.Single(traded.GetProperty("trades").EnumerateArray());
        var trade = tradeAnswered.GetProperty("id").GetInt64();
        var filled = traded.GetProperty("need").GetProperty("id").GetInt64();
        var negotiating = (await Place(exchange, buyer, "/v1/needs", new PlaceNeedRequest("compute", 30, Tuesday.AddHours(15), Tuesday.AddHours(16), 8m)))
            .GetProperty("need").GetProperty("id").GetInt64();
        using (var client = exchange.CreateClient(buyer))
        {
            (await client.DeleteAsync($"/v1/needs/{negotiating}")).EnsureSuccessStatusCode();
        }

        var spot = (await Place(exchange, other, "/v1/offers", new PlaceOfferRequest("compute", 50, 9m, Tuesday.AddDays(1).AddHours(10), Tuesday.AddDays(1).AddHours(11), Mode: "spot")))
            .GetProperty("offer").GetProperty("id").GetInt64();
        var expiring = (await Place(exchange, buyer, "/v1/needs", new PlaceNeedRequest("compute", 10, Monday.AddMinutes(30), Monday.AddMinutes(60), 5m)))
            .GetProperty("need").GetProperty("id").GetInt64();
        exchange.Time.Advance(TimeSpan.FromMinutes(31));
        await Poll.Until(async () => (await ReadSignals(exchange, buyer, 0)).Any(s => s.Type == "order.expired"), "the tick to expire the need");

        var signals = new Dictionary<string, List<SignalDto>>
        {
            ["seller"] = await PollAll(exchange, seller, 500),
            ["other"] = await PollAll(exchange, other, 500),
            ["buyer"] = await PollAll(exchange, buyer, 500),
            ["bystander"] = await PollAll(exchange, bystander, 500),
        };
        int Count(string member, string type, Func<JsonElement, bool> about) => signals[member].Count(s => s.Type == type && about(s.Data));
        bool Order(JsonElement data, string side, long id) =>
            data.GetProperty("order").GetProperty("side").GetString() == side && data.GetProperty("order").GetProperty("id").GetInt64() == id;

        // The trade: buyer and seller, once each, naming each other.
        foreach (var member in new[] { "buyer", "seller" })
        {
            var signal = Assert.Single(signals[member], s => s.Type == "trade" && s.Data.GetProperty("id").GetInt64() == trade);
            Assert.Equal(buyerId, signal.Data.GetProperty("buyerId").GetInt64());
            Assert.Equal(sellerId, signal.Data.GetProperty("sellerId").GetInt64());
            Assert.Equal(Canonical(tradeAnswered.GetRawText()), Canonical(signal.Data.GetRawText()));
        }

        // The store keeps the trade once, in its contract: the parties' stored signals name the contract and hold no copy.
        await using (var c = await exchange.Services.GetRequiredService<Database>().OpenAsync())
        {
            var stored = new List<(long Member, JsonElement Signal)>();
            foreach (var (member, text) in await c.QueryAsync<(long, string)>("SELECT member_id, signals FROM signal_blocks ORDER BY member_id, last_seq"))
            {
                stored.AddRange(JsonDocument.Parse(text).RootElement.EnumerateArray().Select(e => (member, e)));
            }

            // Each member's signals are stored once each, numbered 1, 2, 3… without a gap.
            foreach (var member in stored.GroupBy(s => s.Member))
            {
                Assert.Equal(Enumerable.Range(1, member.Count()).Select(i => (long)i), member.Select(s => s.Signal.GetProperty("seq").GetInt64()));
            }

            var trades = stored.Where(s => s.Signal.GetProperty("type").GetString() == "trade").ToList();
            Assert.Equal(new[] { buyerId, sellerId }.Order(), trades.Select(r => r.Member));
            var contract = await c.ExecuteScalarAsync<long>("SELECT id FROM contracts WHERE market = 'compute' AND trade_id = @trade", new { trade });
            Assert.All(trades, r => Assert.Equal(contract, r.Signal.GetProperty("contract").GetInt64()));
            Assert.All(trades, r => Assert.False(r.Signal.TryGetProperty("data", out _)));

            // A contract's step is told to both in the same words, kept with the buyer's signal; the seller's names it.
            var matched = stored.Where(s => s.Signal.GetProperty("type").GetString() == "contract.matched").ToDictionary(r => r.Member, r => r.Signal);
            Assert.True(matched[buyerId].TryGetProperty("data", out _));
            Assert.False(matched[buyerId].TryGetProperty("same", out _));
            Assert.False(matched[sellerId].TryGetProperty("data", out _));
            Assert.Equal([buyerId, matched[buyerId].GetProperty("seq").GetInt64()], matched[sellerId].GetProperty("same").EnumerateArray().Select(e => e.GetInt64()));
        }

        var told = signals["buyer"].Concat(signals["seller"]).Where(s => s.Type == "contract.matched").Select(s => Canonical(s.Data.GetRawText())).ToList();
        Assert.Equal(2, told.Count);
        Assert.Equal(told[0], told[1]);
        Assert.Contains($"\"tradeId\":{trade}", told[0], StringComparison.Ordinal);

        Assert.Equal(1, Count("buyer", "order.filled", d => Order(d, "need", filled)));
        Assert.Equal(1, Count("seller", "order.rested", d => Order(d, "offer", offer)));

        // Negotiation needed: the buyer and the lowest seller, once each; the need is locked in the
        // negotiation (not rested) until its owner cancels it, which ends the negotiation for both.
        Assert.Equal(1, Count("buyer", "negotiation.needed", d => d.GetProperty("needId").GetInt64() == negotiating && d.GetProperty("offerId").GetInt64() == offer));
        Assert.Equal(1, Count("seller", "negotiation.needed", d => d.GetProperty("needId").GetInt64() == negotiating));
        foreach (var (member, type) in new[] { ("buyer", "negotiation.opened"), ("seller", "negotiation.opened"), ("buyer", "negotiation.ended"), ("seller", "negotiation.ended") })
        {
            Assert.Equal(1, Count(member, type, d => d.GetProperty("needId").GetInt64() == negotiating));
        }
        Assert.Equal(1, Count("buyer", "order.cancelled", d => Order(d, "need", negotiating) && d.GetProperty("reason").GetString() == "by-owner"));

        // The spot offer's unfilled rest is cancelled, to its seller alone; the expiry goes to the buyer alone.
        Assert.Equal(1, Count("other", "order.cancelled", d => Order(d, "offer", spot) && d.GetProperty("reason").GetString() == "spot-remainder"));
        Assert.Equal(1, Count("buyer", "order.rested", d => Order(d, "need", expiring)));
        Assert.Equal(1, Count("buyer", "order.expired", d => Order(d, "need", expiring)));

        // Nobody hears of what is not theirs.
        Assert.Empty(signals["bystander"]);
        Assert.DoesNotContain(signals["other"], s => s.Type is "trade" or "negotiation.needed");
        foreach (var member in new[] { "seller", "other" })
        {
            Assert.DoesNotContain(signals[member], s => s.Data.TryGetProperty("order", out var o) && o.GetProperty("side").GetString() == "need");
        }

        foreach (var (member, list) in signals)
        {
            Assert.True(list.Select(s => s.Id).SequenceEqual(Enumerable.Range(1, list.Count).Select(i => (long)i)), $"{member}'s signals are numbered 1, 2, 3, …");
        }
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Events_BurstLargerThanAStreamHolds_EverySignalOnceInOrderAsThePollGivesIt(Store store)
    {
        await using var exchange = new ExchangeFactory(store);
        var (_, _, sellerKey) = await exchange.Join("burst-seller");
        var (buyerId, _, buyerKey) = await exchange.Join("burst-buyer");
        await exchange.Deposit(buyerId, 1_000_000);
        var stream = await EventStream.Open(exchange.CreateClient(sellerKey));

        // Handed over live: a trade.
        await Place(exchange, sellerKey, "/v1/offers", new PlaceOfferRequest("compute", 100, 10m, Tuesday.AddHours(12), Tuesday.AddHours(18)));
        await Place(exchange, buyerKey, "/v1/needs", new PlaceNeedRequest("compute", 40, Tuesday.AddHours(12), Tuesday.AddHours(14), 12m));
        var received = await stream.Read(await Missing(exchange, sellerKey, stream.LastId));

        // More signals at once than a stream is handed (each offer rests: one signal each): the stream reads the rest from the store.
        var burst = SignalSubscription.Capacity + 100;
        var batch = new BatchOrdersRequest([.. Enumerable.Range(0, burst).Select(i =>
            new BatchOrderItem(Offer: new PlaceOfferRequest("compute", 10, 20m, Tuesday.AddMinutes(i), Tuesday.AddMinutes(i + 30))))]);
        using (var seller = exchange.CreateClient(sellerKey))
        {
            Assert.All((await (await seller.Post("/v1/orders/batch", batch)).Read<BatchOrdersResponse>(HttpStatusCode.OK)).Results, r => Assert.Equal(201, r.Status));
        }

        received.AddRange(await stream.Read(await Missing(exchange, sellerKey, stream.LastId)));

        // And live again after it.
        await Place(exchange, buyerKey, "/v1/needs", new PlaceNeedRequest("compute", 10, Tuesday.AddHours(15), Tuesday.AddHours(16), 12m));
        received.AddRange(await stream.Read(await Missing(exchange, sellerKey, stream.LastId)));
        await stream.DisposeAsync();

        Assert.Equal(Enumerable.Range(1, received.Count).Select(i => (long)i), received.Select(e => e.Id));
        Assert.Equal(1 + burst, received.Count(e => e.Type == "order.rested"));
        Assert.Equal(2, received.Count(e => e.Type == "trade"));
        var polled = await PollAll(exchange, sellerKey, pageSize: 100);
        Assert.Equal(
            polled.Select(s => (s.Id, s.Type, Canonical(s.Data.GetRawText()))),
            received.Select(e => (e.Id, e.Type, Canonical(e.Data))));
    }

    private static async Task<JsonElement> Place<T>(ExchangeFactory exchange, string key, string path, T order)
    {
        using var client = exchange.CreateClient(key);
        return await (await client.Post(path, order)).Read<JsonElement>(HttpStatusCode.Created);
    }

    private static async Task<List<SignalDto>> ReadSignals(ExchangeFactory exchange, string key, long after, int limit = 500)
    {
        using var client = exchange.CreateClient(key);
        return [.. (await (await client.GetAsync($"/v1/events?after={after}&limit={limit}")).Read<PageDto<SignalDto>>(HttpStatusCode.OK)).Items];
    }

    private static async Task<List<SignalDto>> PollAll(ExchangeFactory exchange, string key, int pageSize)
    {
        var all = new List<SignalDto>();
        while (await ReadSignals(exchange, key, all.Count == 0 ? 0 : all[^1].Id, pageSize) is { Count: > 0 } page)
        {
            all.AddRange(page);
        }

        return all;
    }

    /// <summary>How many signals the member has after <paramref name="after"/>, by the poll.</summary>
    private static async Task<int> Missing(ExchangeFactory exchange, string key, long after) => (await PollAll(exchange, key, 500)).Count(s => s.Id > after);

    private static string Canonical(string json) => JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement);
}
