using System.Net;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Api.ApiKit;

namespace Surplus.Server.Tests.Api;

/// <summary>
/// Rates, prices, amounts, windows and recurrences are bounded by the market's settings: past a
/// bound is a 400 that names it and changes nothing, and what the bounds allow never overflows a
/// sum in the book, the summary or the capacity view.
/// </summary>
public sealed class QuantityBoundsTests(Exchanges exchanges) : IClassFixture<Exchanges>
{
    private const string Window = """ "start":"2026-11-24T12:00:00Z","end":"2026-11-24T13:00:00Z" """;

    /// <summary>Name, path, body, problem code, words the detail must contain; {market} is filled in.</summary>
    private static readonly (string Name, string Path, string Body, string Code, string Says)[] Cases =
    [
        ("offer-rate-largest-long", "/v1/offers", $$$"""{"market":"{market}","rate":9223372036854775807,"ask":10,{{{Window}}}}""", "rate-too-large", "MaxRate"),
        ("offer-rate-smallest-long", "/v1/offers", $$$"""{"market":"{market}","rate":-9223372036854775808,"ask":10,{{{Window}}}}""", "rate-not-positive", "at least one"),
        ("offer-rate-minus-one", "/v1/offers", $$$"""{"market":"{market}","rate":-1,"ask":10,{{{Window}}}}""", "rate-not-positive", "at least one"),
        ("offer-rate-1e400", "/v1/offers", $$$"""{"market":"{market}","rate":1e400,"ask":10,{{{Window}}}}""", "json-invalid", "$.rate must be a whole number"),
        ("offer-rate-lone-surrogate", "/v1/offers", $$$"""{"market":"{market}","rate":"\ud800","ask":10,{{{Window}}}}""", "json-invalid", "$.rate"),
        ("offer-ask-lone-surrogate", "/v1/offers", $$$"""{"market":"{market}","rate":1,"ask":"\udfff",{{{Window}}}}""", "json-invalid", "$.ask"),
        ("need-bid-lone-surrogate", "/v1/needs", $$$"""{"market":"{market}","rate":1,"bid":"\ud800\ud800",{{{Window}}}}""", "json-invalid", "$.bid"),
        ("need-rate-lone-surrogate", "/v1/needs", $$$"""{"market":"{market}","rate":"\ud800","bid":1,{{{Window}}}}""", "json-invalid", "$.rate"),
        ("offer-ask-largest-decimal", "/v1/offers", $$$"""{"market":"{market}","rate":1,"ask":79228162514264337593543950335,{{{Window}}}}""", "price-too-large", "MaxPrice"),
        ("offer-ask-1e400", "/v1/offers", $$$"""{"market":"{market}","rate":1,"ask":1e400,{{{Window}}}}""", "json-invalid", "$.ask must be a number"),
        ("offer-amount-too-large", "/v1/offers", """{"market":"{market}","rate":1000000000,"ask":1000000,"start":"2026-11-24T12:00:00Z","end":"2026-12-24T12:00:00Z"}""", "amount-too-large", "MaxAmountMinor"),
        ("offer-window-end-of-calendar", "/v1/offers", """{"market":"{market}","rate":1,"ask":1,"start":"2026-11-24T12:00:00Z","end":"9999-12-31T23:59:59Z"}""", "window-not-aligned", "9999-12-31T23:59:00Z"),
        ("offer-window-year-9999", "/v1/offers", """{"market":"{market}","rate":1,"ask":1,"start":"2026-11-24T12:00:00Z","end":"9999-12-31T23:59:00Z"}""", "beyond-horizon", "OrderHorizon"),
        ("offer-window-year-1", "/v1/offers", """{"market":"{market}","rate":1,"ask":1,"start":"0001-01-01T00:00:00Z","end":"2026-11-24T13:00:00Z"}""", "beyond-horizon", "OrderHorizon"),
        ("need-window-end-of-calendar", "/v1/needs", """{"market":"{market}","rate":1,"bid":1,"start":"2026-11-24T12:00:00Z","end":"9999-12-31T23:59:59Z"}""", "window-not-aligned", "9999-12-31T23:59:00Z"),
        ("need-window-year-9999", "/v1/needs", """{"market":"{market}","rate":1,"bid":1,"start":"9999-12-31T23:58:00Z","end":"9999-12-31T23:59:00Z"}""", "beyond-horizon", "OrderHorizon"),
        ("need-window-next-year-and-a-bit", "/v1/needs", """{"market":"{market}","rate":1,"bid":1,"start":"2027-11-24T12:00:00Z","end":"2027-11-25T12:00:00Z"}""", "beyond-horizon", "366 days"),
        ("recurrence-secondly", "/v1/offers", """{"market":"{market}","rate":1,"ask":99,"recurrence":{"rule":"FREQ=SECONDLY","start":"00:00","durationMinutes":1,"timeZone":"UTC"}}""", "recurrence-too-frequent", "FREQ=HOURLY"),
        ("recurrence-minutely", "/v1/offers", """{"market":"{market}","rate":1,"ask":99,"recurrence":{"rule":"FREQ=MINUTELY;INTERVAL=15","start":"00:00","durationMinutes":1,"timeZone":"UTC"}}""", "recurrence-too-frequent", "FREQ=HOURLY"),
        ("recurrence-by-second", "/v1/offers", """{"market":"{market}","rate":1,"ask":99,"recurrence":{"rule":"FREQ=YEARLY;BYSECOND=0,1,2,3","start":"00:00","durationMinutes":1,"timeZone":"UTC"}}""", "recurrence-too-frequent", "BYSECOND"),
        ("recurrence-count-a-million", "/v1/offers", """{"market":"{market}","rate":1,"ask":99,"recurrence":{"rule":"FREQ=DAILY;COUNT=1000000","start":"00:00","durationMinutes":60,"timeZone":"UTC"}}""", "recurrence-too-many", "MaxOccurrences"),
        ("recurrence-hourly-over-the-cap", "/v1/offers", """{"market":"{market}","rate":1,"ask":99,"recurrence":{"rule":"FREQ=HOURLY","start":"00:00","durationMinutes":60,"timeZone":"UTC"}}""", "recurrence-too-many", "more than 1000"),
        ("recurrence-first-date-9999", "/v1/offers", """{"market":"{market}","rate":1,"ask":99,"recurrence":{"rule":"FREQ=DAILY","start":"00:00","durationMinutes":60,"timeZone":"UTC","firstDate":"9999-12-31"}}""", "beyond-horizon", "first date"),
        ("recurrence-first-date-1", "/v1/offers", """{"market":"{market}","rate":1,"ask":99,"recurrence":{"rule":"FREQ=DAILY;COUNT=5","start":"00:00","durationMinutes":60,"timeZone":"UTC","firstDate":"0001-01-01"}}""", "beyond-horizon", "first date"),
        ("recurrence-amount-too-large", "/v1/offers", """{"market":"{market}","rate":1000000000,"ask":1000000,"recurrence":{"rule":"FREQ=WEEKLY","start":"00:00","durationMinutes":1440,"timeZone":"UTC"}}""", "amount-too-large", "MaxAmountMinor"),
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

    [Theory]
    [MemberData(nameof(All))]
    public async Task PlaceOrder_PastABound_Is400NamingItAndChangesNothing(Store store, string name)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var member = await exchange.Trader("bounded-" + name, 1_000_000);
        var before = await member.Snapshot();
        var (_, path, body, code, says) = Cases.Single(c => c.Name == name);

        var response = await member.Client.Send(HttpMethod.Post, path, body.Replace("{market}", market, StringComparison.Ordinal));

        var detail = await response.Problem(HttpStatusCode.BadRequest, code);
        Assert.Contains(says, detail, StringComparison.Ordinal);
        Assert.Equal(before, await member.Snapshot());
        Assert.Empty((await member.Client.Get<BookDto>($"/v1/markets/{market}/book?start=2026-11-24T12:00:00Z&end=2026-11-24T13:00:00Z")).Offers);
    }

    [Theory]
    [InlineData(Store.Sqlite, "book")]
    [InlineData(Store.Sqlite, "summary")]
    [InlineData(Store.Sqlite, "capacity")]
    [InlineData(Store.Postgres, "book")]
    [InlineData(Store.Postgres, "summary")]
    [InlineData(Store.Postgres, "capacity")]
    public async Task ReadMarket_WindowAtTheEndsOfTheCalendar_Is400(Store store, string view)
    {
        var exchange = exchanges.For(store);
        using var anyone = exchange.CreateClient();

        await (await anyone.GetAsync($"/v1/markets/compute/{view}?start=2026-11-24T12:00:00Z&end=9999-12-31T23:59:59Z"))
            .Problem(HttpStatusCode.BadRequest, "window-not-aligned");
        await (await anyone.GetAsync($"/v1/markets/compute/{view}?start=9999-12-31T23:58:00Z&end=9999-12-31T23:59:00Z"))
            .Problem(HttpStatusCode.BadRequest, "beyond-horizon");
        await (await anyone.GetAsync($"/v1/markets/compute/{view}?start=0001-01-01T00:00:00Z&end=0001-01-01T01:00:00Z"))
            .Problem(HttpStatusCode.BadRequest, "beyond-horizon");
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task BookAndSummary_SeveralOffersAtTheLargestRateAndPrice_AddUpWithoutOverflow(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("largest-seller");
        var buyer = await exchange.Trader("largest-buyer");
        const long Largest = 1_000_000_000;
        for (var i = 0; i < 3; i++)
        {
            // 600,000 per unit-hour for a minute is 10,000.00 a unit: 10^9 units come to the Largest amount, 10^15 cents.
            await seller.PlaceOffer(Offer(market, Largest, 600_000m, Tomorrow, 1.0 / 60));
        }

        var window = $"start={Tomorrow:yyyy-MM-ddTHH:mm:ssZ}&end={Tomorrow.AddMinutes(1):yyyy-MM-ddTHH:mm:ssZ}";

        var book = await buyer.Client.Get<BookDto>($"/v1/markets/{market}/book?{window}");
        var summary = await buyer.Client.Get<MarketSummaryDto>($"/v1/markets/{market}/summary?{window}");
        var capacity = await buyer.Client.Get<CapacityDto>($"/v1/markets/{market}/capacity?{window}");

        Assert.Equal(new BookLevelDto(600_000m, 3 * Largest, 3), Assert.Single(book.Offers));
        Assert.Equal(3 * Largest, summary.OfferRate);
        Assert.Equal(3 * Largest, Assert.Single(capacity.Buckets).Offered);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task AmendNeed_PriceThatTakesTheHoldPastTheBound_Is400AndHoldsNothingMore(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var buyer = await exchange.Trader("amend-bound", 1_000_000_000_000_000);
        var need = (await buyer.PlaceNeed(Need(market, 1_000_000_000, 0.01m, Tomorrow, 1))).Need;
        var before = await buyer.Snapshot();

        var detail = await (await buyer.Client.Patch($"/v1/needs/{need.Id}", new AmendOrderRequest(Price: 1_000_000m)))
            .Problem(HttpStatusCode.BadRequest, "amount-too-large");

        Assert.Contains("MaxAmountMinor", detail, StringComparison.Ordinal);
        Assert.Equal(before, await buyer.Snapshot());
    }
}
