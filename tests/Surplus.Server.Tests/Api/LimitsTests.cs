using System.Diagnostics;
using System.Net;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Api.ApiKit;

namespace Surplus.Server.Tests.Api;

/// <summary>An exchange that takes bodies of at most 2 KiB.</summary>
public sealed class SmallBodyExchanges : Exchanges
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } =
        new Dictionary<string, string?> { ["Surplus:MaxRequestBodyBytes"] = "2048" };
}

/// <summary>An exchange that allows each key 3 requests a second (a burst of 6).</summary>
public sealed class SlowExchanges : Exchanges
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } =
        new Dictionary<string, string?> { ["Surplus:RateLimitPerSecond"] = "3" };
}

public sealed class BodySizeTests(SmallBodyExchanges exchanges) : IClassFixture<SmallBodyExchanges>
{
    [Theory]
    [InlineData(Store.Sqlite, "/v1/offers")]
    [InlineData(Store.Sqlite, "/v1/needs")]
    [InlineData(Store.Postgres, "/v1/offers")]
    [InlineData(Store.Postgres, "/v1/needs")]
    public async Task PlaceOrder_BodyOverTheLimit_Is413AndChangesNothing(Store store, string path)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var member = await exchange.Trader("wordy", 1_000_000);
        var before = await member.Snapshot();
        var padding = new string('x', 4000);
        var body = path == "/v1/offers"
            ? $$$"""{"market":"{{{market}}}","rate":10,"ask":10,"start":"2026-11-24T12:00:00Z","end":"2026-11-24T13:00:00Z","attributes":{"note":"{{{padding}}}"}}"""
            : $$$"""{"market":"{{{market}}}","rate":10,"bid":10,"start":"2026-11-24T12:00:00Z","end":"2026-11-24T13:00:00Z","constraints":["note={{{padding}}}"]}""";

        var detail = await (await member.Client.Send(HttpMethod.Post, path, body)).Problem(HttpStatusCode.RequestEntityTooLarge, "body-too-large");

        Assert.Contains("2048", detail, StringComparison.Ordinal);
        Assert.Equal(before, await member.Snapshot());
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceOrder_BodyOverTheLimitWithoutContentLength_Is413(Store store)
    {
        var exchange = exchanges.For(store);
        var member = await exchange.Trader("streamer", 1_000_000);
        var before = await member.Snapshot();
        var json = "{\"market\":\"compute\",\"rate\":10,\"ask\":10,\"attributes\":{\"note\":\"" + new string('y', 5000) + "\"}}";
        var content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/offers") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        await (await member.Client.SendAsync(request)).Problem(HttpStatusCode.RequestEntityTooLarge, "body-too-large");

        Assert.Equal(before, await member.Snapshot());
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceOrder_BodyUnderTheLimit_IsTaken(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var member = await exchange.Trader("brief");

        // About 1,000 bytes of attributes, each value within the attribute bounds, in a body under the 2,048-byte limit.
        var notes = Enumerable.Range(0, 4).ToDictionary(i => $"note{i}", _ => new string('z', 250));
        await member.PlaceOffer(Offer(market, 10, 10m, Tomorrow, 1) with { Attributes = notes });
    }
}

public sealed class RateLimitTests(SlowExchanges exchanges) : IClassFixture<SlowExchanges>
{
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Requests_OverTheKeysRate_WaitForTheirTokensAndOtherKeysAreNotAffected(Store store)
    {
        var exchange = exchanges.For(store);
        var (_, busy, _) = await exchange.Join("busy");
        var (_, quiet, _) = await exchange.Join("quiet");

        var sent = Stopwatch.StartNew();
        var burst = Enumerable.Range(0, 24).Select(_ => busy.GetAsync("/v1/account")).ToList();
        var quietResponse = await quiet.GetAsync("/v1/account");
        var busyStillWaiting = burst.Count(t => !t.IsCompleted);
        var responses = await Task.WhenAll(burst);
        var took = sent.Elapsed;

        // Paced, not refused: every request is answered, and the key's bucket let through at most
        // MostLetThrough(took) of them in the time they took, so they took at least three seconds.
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.True(MostLetThrough(took) >= 24, $"24 requests at 3 a second answered in {took.TotalSeconds:0.0} s");
        Assert.True(busyStillWaiting > 0, "the quiet key was answered while the busy key's requests waited for their tokens");
        Assert.Equal(new AccountDto("USD", 2, 0, 0), await quietResponse.Read<AccountDto>(HttpStatusCode.OK));
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceBatch_CountsAsOneRequestPerOrder_MoreThanTheBucketHoldsIs429AndPlacesNothing(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var member = await exchange.Trader("batcher");
        BatchOrdersRequest Batch(int count) => new([.. Enumerable.Range(0, count).Select(i => new BatchOrderItem(Offer: Offer(market, 10, 10m, Tomorrow.AddHours(i), 1)))]);

        var refused = await member.Client.Post("/v1/orders/batch", Batch(10));
        var detail = await refused.Problem(HttpStatusCode.TooManyRequests, "rate-limited");
        var placed = await (await member.Client.Post("/v1/orders/batch", Batch(3))).Read<BatchOrdersResponse>(HttpStatusCode.OK);

        Assert.Contains("one request per order", detail, StringComparison.Ordinal);
        Assert.Contains("3 requests a second", detail, StringComparison.Ordinal);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal([201, 201, 201], placed.Results.Select(r => r.Status));
        Assert.Equal(3, (await member.Client.Get<PageDto<OfferDto>>("/v1/offers")).Items.Count);
    }

    [Fact]
    public async Task PlaceBatch_MoreThanTheBucketHasLeft_WaitsForItsTokensAndIsPlaced()
    {
        var exchange = exchanges.For(Store.Sqlite);
        var market = await exchange.NewMarket();
        var member = await exchange.Trader("patient");
        BatchOrdersRequest Batch(int first) => new([.. Enumerable.Range(first, 5).Select(i => new BatchOrderItem(Offer: Offer(market, 10, 10m, Tomorrow.AddHours(i), 1)))]);

        // The bucket holds six: the first batch of five leaves at most one, so the second waits for four more.
        var answers = await Task.WhenAll(member.Client.Post("/v1/orders/batch", Batch(0)), member.Client.Post("/v1/orders/batch", Batch(5)));

        foreach (var answer in answers)
        {
            Assert.Equal([201, 201, 201, 201, 201], (await answer.Read<BatchOrdersResponse>(HttpStatusCode.OK)).Results.Select(r => r.Status));
        }

        Assert.Equal(10, (await member.Client.Get<PageDto<OfferDto>>("/v1/offers?limit=50")).Items.Count);
    }

    /// <summary>
    /// The most requests a key's bucket lets through in <paramref name="elapsed"/>: its six tokens
    /// (twice the three a second); as many again at once when the limiter refills a bucket that stood
    /// full, since it counts the time the bucket stood full (seen on a busy machine: more than nine of 20 let
    /// through in 0.2 s); and three more each time the second-long period turns, which it may do once
    /// at once.
    /// </summary>
    private static int MostLetThrough(TimeSpan elapsed) => 12 + (3 * ((int)elapsed.TotalSeconds + 1));
}

/// <summary>An exchange whose keys may have two requests in flight and two more waiting, at two a second (a burst of four).</summary>
public sealed class NarrowExchanges : Exchanges
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Surplus:RateLimitPerSecond"] = "2",
        ["Surplus:MaxRequestsInFlightPerMember"] = "2",
        ["Surplus:MaxWaitingRequestsPerMember"] = "2",
    };
}

public sealed class RequestGateTests(NarrowExchanges exchanges) : IClassFixture<NarrowExchanges>
{
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Requests_MoreAtOnceThanInFlightAndWaiting_AreRefusedAtOnceAndTheRestAnswered(Store store)
    {
        var exchange = exchanges.For(store);
        var (_, crowd, _) = await exchange.Join("crowd");
        var (_, calm, _) = await exchange.Join("calm");

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => crowd.GetAsync("/v1/account")));
        var calmResponse = await calm.GetAsync("/v1/account");

        // Four tokens at once, then one every half second: most of the twenty find two in flight and two waiting.
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.InRange(refused.Count, 4, 16);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.TooManyRequests), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        foreach (var response in refused)
        {
            Assert.True(response.Headers.RetryAfter?.Delta is { } wait && wait > TimeSpan.Zero, "a 429 says when to retry");
            var detail = await response.Problem(HttpStatusCode.TooManyRequests, "too-many-requests-waiting");
            Assert.Contains("Surplus:MaxRequestsInFlightPerMember", detail, StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, calmResponse.StatusCode);
    }

    [Fact]
    public async Task Requests_EachWithAnotherMadeUpKey_ShareTheCallersOneQueue()
    {
        var exchange = exchanges.For(Store.Sqlite);

        var clients = Enumerable.Range(0, 20).Select(i => exchange.CreateClient($"sk_made_up_{i}")).ToList();
        var responses = await Task.WhenAll(clients.Select(c => c.GetAsync("/v1/account")));

        // Unknown keys are 401 once their turn comes, and 429 past the caller's queue: a new key each time buys nothing.
        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests }));
        Assert.InRange(responses.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests), 4, 16);
    }

    [Fact]
    public async Task EventStreams_OpenForLong_DoNotHoldTheKeysTurns()
    {
        var exchange = exchanges.For(Store.Sqlite);
        var (_, follower, _) = await exchange.Join("follower");

        // Two streams, as many as the key may have requests in flight; a third request is still answered.
        await using var first = await Signals.EventStream.Open(follower);
        await using var second = await Signals.EventStream.Open(follower);
        var account = await follower.GetAsync("/v1/account").WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.OK, account.StatusCode);
    }
}
