using System.Net;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Api.ApiKit;

namespace Surplus.Server.Tests.Api;

/// <summary>
/// Every request a user can get wrong: a 4xx problem+json with a stable type and a detail that says
/// what to fix, never a 500, and nothing changed. Every case runs against the same member, with money,
/// an open offer and an open need in a market of their own, and must leave them as they were.
/// </summary>
/// <remarks>Its own exchanges, so that it runs beside the other API tests rather than after them.</remarks>
public sealed class BadInputTests(Exchanges exchanges) : IClassFixture<Exchanges>
{
    private const string Window = """ "start":"2026-11-24T12:00:00Z","end":"2026-11-24T13:00:00Z" """;

    /// <summary>Name, method, path, body, status, problem code, words the detail must contain. {market}, {offer} and {need} are filled in.</summary>
    private static readonly (string Name, string Method, string Path, string? Body, int Status, string Code, string Says)[] Cases =
    [
        ("offer-malformed-json", "POST", "/v1/offers", """{"market":"{market}","rate":10,""", 400, "json-invalid", "not valid JSON"),
        ("offer-not-an-object", "POST", "/v1/offers", "[1,2]", 400, "json-invalid", "must be a JSON object"),
        ("offer-json-null", "POST", "/v1/offers", "null", 400, "body-missing", "JSON object describing the offer"),
        ("offer-empty-body", "POST", "/v1/offers", "", 400, "body-missing", "offer"),
        ("offer-rate-a-word", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":"lots","ask":10,{{{Window}}}}""", 400, "json-invalid", "$.rate must be a whole number"),
        ("offer-rate-a-fraction", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":1.5,"ask":10,{{{Window}}}}""", 400, "json-invalid", "$.rate must be a whole number"),
        ("offer-rate-too-big", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":99999999999999999999,"ask":10,{{{Window}}}}""", 400, "json-invalid", "$.rate must be a whole number"),
        ("offer-ask-a-word", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":10,"ask":"cheap",{{{Window}}}}""", 400, "json-invalid", "$.ask must be a number"),
        ("offer-ask-true", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":10,"ask":true,{{{Window}}}}""", 400, "json-invalid", "$.ask must be a number"),
        ("offer-start-not-a-date", "POST", "/v1/offers", """{"market":"{market}","rate":10,"ask":10,"start":"tomorrow noon","end":"2026-11-24T13:00:00Z"}""", 400, "json-invalid", "$.start must be a date and time in ISO 8601"),
        ("offer-market-a-number", "POST", "/v1/offers", $$$"""{"market":7,"rate":10,"ask":10,{{{Window}}}}""", 400, "json-invalid", "$.market must be a string"),
        ("offer-market-null", "POST", "/v1/offers", $$$"""{"market":null,"rate":10,"ask":10,{{{Window}}}}""", 400, "json-invalid", "$.market may not be null"),
        ("offer-attributes-a-list", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":10,"ask":10,{{{Window}}},"attributes":["os=linux"]}""", 400, "json-invalid", "$.attributes must be an object"),
        ("offer-attribute-a-number", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":10,"ask":10,{{{Window}}},"attributes":{"speed":2400}}""", 400, "json-invalid", "$.attributes.speed must be a string"),
        ("offer-missing-rate-and-ask", "POST", "/v1/offers", $$$"""{"market":"{market}",{{{Window}}}}""", 400, "json-invalid", "missing the required fields rate, ask"),
        ("offer-unknown-field", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":10,"ask":10,"price":10,{{{Window}}}}""", 400, "json-invalid", "$.price is not a known field"),
        ("offer-recurrence-start-not-a-time", "POST", "/v1/offers", """{"market":"{market}","rate":10,"ask":10,"recurrence":{"rule":"FREQ=WEEKLY;BYDAY=SA","start":"midnight","durationMinutes":60,"timeZone":"UTC"}}""", 400, "json-invalid", "$.recurrence.start must be a time of day"),
        ("offer-recurrence-bad-rule", "POST", "/v1/offers", """{"market":"{market}","rate":10,"ask":10,"recurrence":{"rule":"FREQ=SOMETIMES","start":"00:00","durationMinutes":60,"timeZone":"UTC"}}""", 400, "recurrence-invalid", "FREQ"),
        ("offer-recurrence-bad-zone", "POST", "/v1/offers", """{"market":"{market}","rate":10,"ask":10,"recurrence":{"rule":"FREQ=WEEKLY;BYDAY=SA","start":"00:00","durationMinutes":60,"timeZone":"Mars/Olympus"}}""", 400, "recurrence-invalid", "Mars/Olympus"),
        ("offer-window-and-recurrence", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":10,"ask":10,{{{Window}}},"recurrence":{"rule":"FREQ=WEEKLY;BYDAY=SA","start":"00:00","durationMinutes":60,"timeZone":"UTC"}}""", 400, "availability-invalid", "not both"),
        ("offer-window-missing", "POST", "/v1/offers", """{"market":"{market}","rate":10,"ask":10}""", 400, "window-missing", "start and end"),
        ("offer-window-misaligned", "POST", "/v1/offers", """{"market":"{market}","rate":10,"ask":10,"start":"2026-11-24T12:00:30Z","end":"2026-11-24T13:00:00Z"}""", 400, "window-not-aligned", "2026-11-24T12:00:00Z"),
        ("offer-window-reversed", "POST", "/v1/offers", """{"market":"{market}","rate":10,"ask":10,"start":"2026-11-24T13:00:00Z","end":"2026-11-24T12:00:00Z"}""", 400, "window-reversed", "before"),
        ("offer-window-empty", "POST", "/v1/offers", """{"market":"{market}","rate":10,"ask":10,"start":"2026-11-24T12:00:00Z","end":"2026-11-24T12:00:00Z"}""", 400, "window-empty", "2026-11-24T12:00:00Z"),
        ("offer-window-over", "POST", "/v1/offers", """{"market":"{market}","rate":10,"ask":10,"start":"2026-11-22T12:00:00Z","end":"2026-11-22T13:00:00Z"}""", 400, "window-in-past", "ended"),
        ("offer-rate-zero", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":0,"ask":10,{{{Window}}}}""", 400, "rate-not-positive", "at least one"),
        ("offer-rate-negative", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":-5,"ask":10,{{{Window}}}}""", 400, "rate-not-positive", "at least one"),
        ("offer-ask-zero", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":10,"ask":0,{{{Window}}}}""", 400, "price-not-positive", "more than zero"),
        ("offer-ask-negative", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":10,"ask":-1.5,{{{Window}}}}""", 400, "price-not-positive", "more than zero"),
        ("offer-ask-off-tick", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":10,"ask":10.005,{{{Window}}}}""", 422, "price-off-tick", "10.01"),
        ("offer-minimum-above-ask", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":10,"ask":10,"minimumPrice":11,{{{Window}}}}""", 400, "hidden-limit-invalid", "at or below the ask"),
        ("offer-expiry-past", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":10,"ask":10,"expiry":"2026-11-23T07:00:00Z",{{{Window}}}}""", 400, "expiry-in-past", "later expiry"),
        ("offer-mode-unknown", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":10,"ask":10,"mode":"later",{{{Window}}}}""", 400, "mode-invalid", "'standing' or 'spot'"),
        ("offer-attribute-name-bad", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":10,"ask":10,"attributes":{"os name":"linux"},{{{Window}}}}""", 400, "attribute-invalid", "os name"),
        ("offer-market-unknown", "POST", "/v1/offers", $$$"""{"market":"no-such-market","rate":10,"ask":10,{{{Window}}}}""", 400, "market-unknown", "GET /v1/markets"),
        ("need-missing-fields", "POST", "/v1/needs", """{"market":"{market}"}""", 400, "json-invalid", "missing the required fields rate, start, end, bid"),
        ("need-unknown-job-field", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":10,"bid":10,{{{Window}}},"job":{"program":"blob:x","results":"blob:","cmd":"rm"}}""", 400, "json-invalid", "$.job.cmd is not a known field"),
        ("need-constraint-a-number", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":10,"bid":10,{{{Window}}},"constraints":[7]}""", 400, "json-invalid", "$.constraints[0] must be a string"),
        ("need-rate-a-word", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":"ten","bid":10,{{{Window}}}}""", 400, "json-invalid", "$.rate must be a whole number"),
        ("need-window-misaligned", "POST", "/v1/needs", """{"market":"{market}","rate":10,"bid":10,"start":"2026-11-24T12:00:00Z","end":"2026-11-24T12:59:59Z"}""", 400, "window-not-aligned", "2026-11-24T13:00:00Z"),
        ("need-window-reversed", "POST", "/v1/needs", """{"market":"{market}","rate":10,"bid":10,"start":"2026-11-24T13:00:00Z","end":"2026-11-24T12:00:00Z"}""", 400, "window-reversed", "before"),
        ("need-window-empty", "POST", "/v1/needs", """{"market":"{market}","rate":10,"bid":10,"start":"2026-11-24T12:00:00Z","end":"2026-11-24T12:00:00Z"}""", 400, "window-empty", "2026-11-24T12:00:00Z"),
        ("need-window-started", "POST", "/v1/needs", """{"market":"{market}","rate":10,"bid":10,"start":"2026-11-23T07:00:00Z","end":"2026-11-23T09:00:00Z"}""", 400, "window-in-past", "current slot"),
        ("need-rate-zero", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":0,"bid":10,{{{Window}}}}""", 400, "rate-not-positive", "at least one"),
        ("need-bid-zero", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":10,"bid":0,{{{Window}}}}""", 400, "price-not-positive", "bid"),
        ("need-bid-negative", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":10,"bid":-10,{{{Window}}}}""", 400, "price-not-positive", "bid"),
        ("need-bid-off-tick", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":10,"bid":0.001,{{{Window}}}}""", 422, "price-off-tick", "0.01"),
        ("need-fill-unknown", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":10,"bid":10,"fill":"some",{{{Window}}}}""", 400, "fill-invalid", "all-or-none"),
        ("need-min-fill-without-minimum", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":10,"bid":10,"fill":"min-fill",{{{Window}}}}""", 400, "min-fill-invalid", "minimumFill"),
        ("need-min-fill-above-rate", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":10,"bid":10,"fill":"min-fill","minimumFill":11,{{{Window}}}}""", 400, "min-fill-invalid", "between 1 and"),
        ("need-maximum-below-bid", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":10,"bid":10,"maximumPrice":9,{{{Window}}}}""", 400, "hidden-limit-invalid", "at or above the bid"),
        ("need-job-runtime-unknown", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":10,"bid":10,{{{Window}}},"job":{"program":"blob:x","results":"blob:","runtime":"docker"}}""", 400, "job-invalid", "'wasm' or 'process'"),
        ("need-job-without-results", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":10,"bid":10,{{{Window}}},"job":{"program":"blob:x","results":" "}}""", 400, "job-invalid", "results location"),
        ("need-constraint-malformed", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":10,"bid":10,{{{Window}}},"constraints":["=linux"]}""", 400, "attribute-invalid", "=linux"),
        ("need-rate-too-large", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":9000000000000,"bid":1000000,{{{Window}}}}""", 400, "rate-too-large", "MaxRate"),
        ("need-hold-too-large", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":1000000000,"bid":1000000,{{{Window}}}}""", 400, "amount-too-large", "MaxAmountMinor"),
        ("need-bid-largest-decimal", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":1,"bid":79228162514264337593543950335,{{{Window}}}}""", 400, "price-too-large", "MaxPrice"),
        ("need-maximum-largest-decimal", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":1,"bid":1,"maximumPrice":79228162514264337593543950335,{{{Window}}}}""", 400, "price-too-large", "MaxPrice"),
        ("need-market-unknown", "POST", "/v1/needs", $$$"""{"market":"nowhere","rate":10,"bid":10,{{{Window}}}}""", 400, "market-unknown", "'nowhere'"),
        ("amend-offer-nothing", "PATCH", "/v1/offers/{offer}", "{}", 400, "nothing-to-amend", "new price"),
        ("amend-offer-price-zero", "PATCH", "/v1/offers/{offer}", """{"price":0}""", 400, "price-not-positive", "more than zero"),
        ("amend-offer-price-off-tick", "PATCH", "/v1/offers/{offer}", """{"price":10.001}""", 422, "price-off-tick", "10.01"),
        ("amend-offer-rate-up", "PATCH", "/v1/offers/{offer}", """{"rate":11}""", 400, "rate-increase", "can only go down"),
        ("amend-offer-rate-zero", "PATCH", "/v1/offers/{offer}", """{"rate":0}""", 400, "rate-not-positive", "at least one"),
        ("amend-offer-price-a-word", "PATCH", "/v1/offers/{offer}", """{"price":"high"}""", 400, "json-invalid", "$.price must be a number"),
        ("amend-offer-unknown-field", "PATCH", "/v1/offers/{offer}", """{"ask":11}""", 400, "json-invalid", "$.ask is not a known field; the fields here are price, rate"),
        ("amend-need-price-zero", "PATCH", "/v1/needs/{need}", """{"price":0}""", 400, "price-not-positive", "more than zero"),
        ("amend-need-price-negative", "PATCH", "/v1/needs/{need}", """{"price":-1}""", 400, "price-not-positive", "more than zero"),
        ("amend-need-price-off-tick", "PATCH", "/v1/needs/{need}", """{"price":5.555}""", 422, "price-off-tick", "5.55"),
        ("amend-need-price-largest-decimal", "PATCH", "/v1/needs/{need}", """{"price":79228162514264337593543950335}""", 400, "price-too-large", "MaxPrice"),
        ("amend-need-rate-up", "PATCH", "/v1/needs/{need}", """{"rate":11}""", 400, "rate-increase", "can only go down"),
        ("amend-need-rate-zero", "PATCH", "/v1/needs/{need}", """{"rate":0}""", 400, "rate-not-positive", "at least one"),
        ("amend-need-malformed", "PATCH", "/v1/needs/{need}", """{"price":""", 400, "json-invalid", "not valid JSON"),
        ("list-offers-limit-too-big", "GET", "/v1/offers?limit=501", null, 400, "page-size-invalid", "between 1 and 500"),
        ("list-offers-limit-zero", "GET", "/v1/offers?limit=0", null, 400, "page-size-invalid", "between 1 and 500"),
        ("list-offers-limit-a-word", "GET", "/v1/offers?limit=ten", null, 400, "request-invalid", "limit must be a whole number; 'ten' is not"),
        ("list-needs-limit-too-big", "GET", "/v1/needs?limit=100000", null, 400, "page-size-invalid", "between 1 and 500"),
        ("list-needs-cursor-a-word", "GET", "/v1/needs?cursor=abc", null, 400, "cursor-invalid", "'next' value"),
        ("list-offers-cursor-negative", "GET", "/v1/offers?cursor=-3", null, 400, "cursor-invalid", "'next' value"),
        ("list-offers-status-unknown", "GET", "/v1/offers?status=done", null, 400, "status-invalid", "open, filled, cancelled or expired"),
        ("entries-limit-too-big", "GET", "/v1/account/entries?limit=501", null, 400, "page-size-invalid", "between 1 and 500"),
        ("entries-cursor-bad", "GET", "/v1/account/entries?cursor=next", null, 400, "cursor-invalid", "'next' value"),
        ("trades-limit-too-big", "GET", "/v1/markets/{market}/trades?limit=501", null, 400, "page-size-invalid", "between 1 and 500"),
        ("trades-cursor-bad", "GET", "/v1/markets/{market}/trades?cursor=0", null, 400, "cursor-invalid", "'next' value"),
        ("events-limit-too-big", "GET", "/v1/events?after=0&limit=501", null, 400, "page-size-invalid", "between 1 and 500"),
        ("book-window-missing", "GET", "/v1/markets/{market}/book", null, 400, "window-missing", "start and end"),
        ("book-window-misaligned", "GET", "/v1/markets/{market}/book?start=2026-11-24T12:00:00Z&end=2026-11-24T12:30:10Z", null, 400, "window-not-aligned", "2026-11-24T12:30:00Z"),
        ("book-window-reversed", "GET", "/v1/markets/{market}/book?start=2026-11-24T13:00:00Z&end=2026-11-24T12:00:00Z", null, 400, "window-reversed", "before"),
        ("book-start-not-a-date", "GET", "/v1/markets/{market}/book?start=noon&end=2026-11-24T12:00:00Z", null, 400, "request-invalid", "start must be a date and time in ISO 8601"),
        ("join-missing-name", "POST", "/v1/members", """{"address":"10.0.0.1"}""", 400, "json-invalid", "missing the required field name"),
        ("patch-me-name-a-number", "PATCH", "/v1/members/me", """{"name":42}""", 400, "json-invalid", "$.name must be a string"),
        ("patch-me-preferred-not-ids", "PATCH", "/v1/members/me", """{"preferences":{"preferredCounterparties":["alice"]}}""", 400, "json-invalid", "$.preferences.preferredCounterparties[0] must be a whole number"),
    ];

    public static TheoryData<Store, string> All()
    {
        var data = new TheoryData<Store, string>();
        foreach (var store in new[] { Store.Sqlite, Store.Postgres })
        {
            foreach (var c in Cases)
            {
                data.Add(store, c.Name);
            }
        }

        return data;
    }

    /// <summary>A member with money, an open offer and an open need in a market of its own; one per exchange, shared by the cases (none may change it).</summary>
    private static Task<(string Market, Trader Member, long Offer, long Need)> Careless(ExchangeFactory exchange) =>
        CarelessMembers.GetOrAdd(exchange, e => new Lazy<Task<(string, Trader, long, long)>>(async () =>
        {
            var market = await e.NewMarket();
            var member = await e.Trader("careless", 1_000_000);
            var offer = (await member.PlaceOffer(Offer(market, 10, 10m, Tomorrow, 1))).Offer.Id;
            var need = (await member.PlaceNeed(Need(market, 10, 5m, Tomorrow, 1))).Need.Id;
            return (market, member, offer, need);
        })).Value;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<ExchangeFactory, Lazy<Task<(string, Trader, long, long)>>> CarelessMembers = new();

    [Theory]
    [MemberData(nameof(All))]
    public async Task Request_BadInput_Is4xxProblemThatSaysWhatToFixAndChangesNothing(Store store, string name)
    {
        var (market, member, offer, need) = await Careless(exchanges.For(store));
        var before = await member.Snapshot();
        var (_, method, path, body, status, code, says) = Cases.Single(c => c.Name == name);
        string Fill(string text) => text.Replace("{market}", market, StringComparison.Ordinal)
            .Replace("{offer}", offer.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{need}", need.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        var response = body is null
            ? await member.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), Fill(path)))
            : await member.Client.Send(new HttpMethod(method), Fill(path), Fill(body));

        var detail = await response.Problem((HttpStatusCode)status, code);
        Assert.Contains(says, detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Surplus.", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", detail, StringComparison.Ordinal);
        Assert.Equal(before, await member.Snapshot());
        Assert.Empty((await member.Client.Get<PageDto<TradeDto>>($"/v1/markets/{market}/trades")).Items);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task AdminRequests_BadInput_Are400AndChangeNothing(Store store)
    {
        var exchange = exchanges.For(store);
        var member = await exchange.Trader("deposit-target", 1_000);
        using var admin = exchange.Admin();
        var before = await member.Snapshot();
        var markets = await (await admin.GetAsync("/v1/markets")).Content.ReadAsStringAsync();
        var cases = new (string Path, string Body, int Status, string Code, string Says)[]
        {
            ($"/v1/admin/members/{member.Id}/deposit", """{"amountMinor":0}""", 400, "amount-invalid", "positive"),
            ($"/v1/admin/members/{member.Id}/deposit", """{"amountMinor":-500}""", 400, "amount-invalid", "positive"),
            ($"/v1/admin/members/{member.Id}/deposit", """{"amountMinor":12.5}""", 400, "json-invalid", "$.amountMinor must be a whole number"),
            ($"/v1/admin/members/{member.Id}/deposit", """{"amount":500}""", 400, "json-invalid", "$.amount is not a known field"),
            ($"/v1/admin/members/{member.Id}/deposit", "{\"amountMinor\":500,\"reference\":\"" + new string('r', 201) + "\"}", 400, "reference-invalid", "200"),
            ("/v1/admin/members/999999/deposit", """{"amountMinor":500}""", 404, "not-found", "member 999999"),
            ("/v1/admin/markets", """{"id":"Bad Id","unit":"GB"}""", 400, "market-id-invalid", "lower-case"),
            ("/v1/admin/markets", """{"id":"gpu","unit":"GPU","clearing":"weekly"}""", 400, "clearing-invalid", "call-auction"),
            ("/v1/admin/markets", """{"id":"gpu","unit":"GPU","slotSeconds":0}""", 400, "market-invalid", "slotSeconds"),
            ("/v1/admin/markets", """{"id":"gpu","unit":"GPU","slotSeconds":7}""", 400, "market-invalid", "divides a day"),
            ("/v1/admin/markets", """{"id":"gpu","unit":"GPU","tick":0}""", 400, "market-invalid", "tick"),
            ("/v1/admin/markets", """{"id":"gpu","unit":"GPU","feeBasisPoints":20000}""", 400, "market-invalid", "10000 basis points"),
            ("/v1/admin/markets", """{"id":"gpu","unit":" "}""", 400, "market-invalid", "unit"),
            ("/v1/admin/markets", """{"id":"gpu"}""", 400, "json-invalid", "missing the required field unit"),
            ("/v1/admin/markets", """{"id":"compute","unit":"MFLOPS"}""", 409, "market-exists", "compute"),
        };

        foreach (var (path, body, status, code, says) in cases)
        {
            var detail = await (await admin.Send(HttpMethod.Post, path, body)).Problem((HttpStatusCode)status, code);
            Assert.Contains(says, detail, StringComparison.Ordinal);
        }

        await (await admin.GetAsync("/v1/admin/members?limit=501")).Problem(HttpStatusCode.BadRequest, "page-size-invalid");
        await (await admin.GetAsync("/v1/admin/members?cursor=x")).Problem(HttpStatusCode.BadRequest, "cursor-invalid");
        Assert.Equal(before, await member.Snapshot());
        Assert.Equal(markets, await (await admin.GetAsync("/v1/markets")).Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task OrderRoutes_IdNotANumber_Are404Problems(Store store)
    {
        var member = await exchanges.For(store).Trader("not-a-number");

        await (await member.Client.GetAsync("/v1/offers/abc")).Problem(HttpStatusCode.NotFound, "not-found");
        await (await member.Client.DeleteAsync("/v1/needs/12x")).Problem(HttpStatusCode.NotFound, "not-found");
    }
}
