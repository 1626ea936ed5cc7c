using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using Surplus.Server.Tests.Signals;
using static Surplus.Server.Tests.Api.ApiKit;

namespace Surplus.Server.Tests.Api;

/// <summary>An exchange with small per-member limits, to reach each of them in a few requests.</summary>
public sealed class TightExchanges : Exchanges
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Surplus:MaxOpenOrdersPerMember"] = "3",
        ["Surplus:MaxRecurringOffersPerMember"] = "1",
        ["Surplus:MaxOpenNegotiationsPerMember"] = "1",
        ["Surplus:MaxEventStreamsPerMember"] = "1",
        ["Surplus:MaxBlobBytesPerMember"] = "100",
        ["Surplus:MaxBlobsPerMember"] = "2",
    };
}

/// <summary>An exchange that lets one address join 3 members an hour.</summary>
public sealed class FewJoinsExchanges : Exchanges
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } =
        new Dictionary<string, string?> { ["Surplus:JoinsPerAddressPerHour"] = "3" };
}

/// <summary>An exchange whose new members wait for the operator's approval.</summary>
public sealed class ApprovalExchanges : Exchanges
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } =
        new Dictionary<string, string?> { ["Surplus:RequireApproval"] = "true" };
}

public sealed class MemberLimitTests(TightExchanges exchanges) : IClassFixture<TightExchanges>
{
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceOrder_OverTheOpenOrderLimit_Is409NamingItUntilOneCloses(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var other = await exchange.NewMarket();
        var member = await exchange.Trader("busy", 1_000_000);
        var offers = new List<OfferDto>();
        for (var i = 0; i < 2; i++)
        {
            offers.Add((await member.PlaceOffer(Offer(market, 10, 10m, Tomorrow.AddHours(i), 1))).Offer);
        }

        await member.PlaceNeed(Need(market, 10, 1m, Tomorrow, 1));
        var before = await member.Snapshot();

        var offer = await (await member.Client.Post("/v1/offers", Offer(market, 10, 10m, Tomorrow, 1))).Problem(HttpStatusCode.Conflict, "too-many-open-orders");
        await (await member.Client.Post("/v1/needs", Need(market, 10, 1m, Tomorrow, 1))).Problem(HttpStatusCode.Conflict, "too-many-open-orders");
        var batch = await (await member.Client.Post("/v1/orders/batch", new BatchOrdersRequest([new(Offer: Offer(market, 10, 10m, Tomorrow, 1))])))
            .Read<BatchOrdersResponse>(HttpStatusCode.OK);

        Assert.Contains("Surplus:MaxOpenOrdersPerMember is 3", offer, StringComparison.Ordinal);
        Assert.Equal(409, Assert.Single(batch.Results).Status);
        Assert.Equal(before, await member.Snapshot());

        // The limit is per market, and a closed order frees its place.
        await member.PlaceOffer(Offer(other, 10, 10m, Tomorrow, 1));
        (await member.Client.DeleteAsync($"/v1/offers/{offers[0].Id}")).EnsureSuccessStatusCode();
        await member.PlaceOffer(Offer(market, 10, 10m, Tomorrow, 1));
        await (await member.Client.Post("/v1/offers", Offer(market, 10, 10m, Tomorrow, 1))).Problem(HttpStatusCode.Conflict, "too-many-open-orders");
    }

    [Fact]
    public async Task PlaceOrder_OverTheOpenOrderLimit_GivesTheCountAndTheLimitAsMembersOfTheProblem_AndAgainToARetry()
    {
        var exchange = exchanges.For(Store.Sqlite);
        var market = await exchange.NewMarket();
        var member = await exchange.Trader("counted", 1_000_000);
        for (var i = 0; i < 3; i++)
        {
            await member.PlaceOffer(Offer(market, 10, 10m, Tomorrow.AddHours(i), 1));
        }

        var first = await SendKeyed(member.Client, Offer(market, 10, 10m, Tomorrow.AddHours(5), 1));
        var retry = await SendKeyed(member.Client, Offer(market, 10, 10m, Tomorrow.AddHours(5), 1));

        foreach (var (response, replayed) in new[] { (first, false), (retry, true) })
        {
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Equal(replayed, response.Headers.Contains("Idempotent-Replayed"));
            var problem = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(("urn:surplus:problem:too-many-open-orders", 3L, market, 3L),
                (problem.GetProperty("type").GetString(), problem.GetProperty("count").GetInt64(), problem.GetProperty("market").GetString(), problem.GetProperty("max").GetInt64()));
            Assert.StartsWith($"you have 3 open orders in market '{market}'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        static Task<HttpResponseMessage> SendKeyed(HttpClient client, object offer)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/offers") { Content = JsonContent.Create(offer) };
            request.Headers.Add("Idempotency-Key", "counted-offer");
            return client.SendAsync(request);
        }
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceOrder_FilledOrdersAndSpotOrders_DoNotCountAgainstTheLimit(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("limit-seller");
        var buyer = await exchange.Trader("limit-buyer", 1_000_000);

        // Five needs filled at once and three spot needs that find nothing: none rests, so none counts.
        for (var i = 0; i < 5; i++)
        {
            await seller.PlaceOffer(Offer(market, 10, 5m, Tomorrow.AddHours(i), 1));
            Assert.Single((await buyer.PlaceNeed(Need(market, 10, 5m, Tomorrow.AddHours(i), 1))).Trades);
        }

        for (var i = 0; i < 3; i++)
        {
            Assert.Empty((await buyer.PlaceNeed(Need(market, 10, 5m, Tomorrow.AddHours(20), 1, mode: "spot"))).Trades);
        }

        for (var i = 0; i < 3; i++)
        {
            await buyer.PlaceNeed(Need(market, 10, 1m, Tomorrow.AddHours(30 + i), 1));
        }

        await (await buyer.Client.Post("/v1/needs", Need(market, 10, 1m, Tomorrow.AddHours(40), 1))).Problem(HttpStatusCode.Conflict, "too-many-open-orders");
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceOffer_OverTheRecurringLimit_Is409NamingIt(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var member = await exchange.Trader("weekly");
        var weekly = new PlaceOfferRequest(market, 10, 10m, Recurrence: new RecurrenceDto("FREQ=WEEKLY;BYDAY=SA", new TimeOnly(0, 0), 60, "UTC"));

        var first = (await member.PlaceOffer(weekly)).Offer;
        var detail = await (await member.Client.Post("/v1/offers", weekly)).Problem(HttpStatusCode.Conflict, "too-many-recurring-offers");
        await member.PlaceOffer(Offer(market, 10, 10m, Tomorrow, 1));
        (await member.Client.DeleteAsync($"/v1/offers/{first.Id}")).EnsureSuccessStatusCode();
        await member.PlaceOffer(weekly);

        Assert.Contains("Surplus:MaxRecurringOffersPerMember is 1", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceNeed_AtTheNegotiationLimit_Is409UntilTheNegotiationEnds(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("haggle-seller");
        var buyer = await exchange.Trader("haggle-buyer", 1_000_000);
        await seller.PlaceOffer(Offer(market, 10, 10m, Tomorrow, 1));
        await seller.PlaceOffer(Offer(market, 10, 10m, Tomorrow.AddHours(2), 1));
        var negotiation = (await buyer.PlaceNeed(Need(market, 10, 8m, Tomorrow, 1))).Negotiation?.NegotiationId;
        Assert.NotNull(negotiation);
        var before = await buyer.Snapshot();

        var detail = await (await buyer.Client.Post("/v1/needs", Need(market, 10, 8m, Tomorrow.AddHours(2), 1))).Problem(HttpStatusCode.Conflict, "too-many-negotiations");
        Assert.Equal(before, await buyer.Snapshot());
        (await buyer.Client.PostAsync($"/v1/negotiations/{negotiation}/decline", null)).EnsureSuccessStatusCode();
        var again = await buyer.PlaceNeed(Need(market, 10, 8m, Tomorrow.AddHours(2), 1));

        Assert.Contains("Surplus:MaxOpenNegotiationsPerMember is 1", detail, StringComparison.Ordinal);
        Assert.NotNull(again.Negotiation?.NegotiationId);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Events_MoreStreamsThanTheLimit_Is429AndAClosedStreamFreesItsPlace(Store store)
    {
        var exchange = exchanges.For(store);
        var member = await exchange.Trader("listener");
        var other = await exchange.Trader("other-listener");

        var first = await EventStream.Open(member.Client);
        var detail = await (await Stream(member.Client)).Problem(HttpStatusCode.TooManyRequests, "too-many-event-streams");
        await using (var others = await EventStream.Open(other.Client))
        {
            // Polling is not a stream.
            await member.Client.Get<PageDto<SignalDto>>("/v1/events?after=0");
        }

        await first.DisposeAsync();
        HttpResponseMessage? next = null;
        await Poll.Until(async () =>
        {
            next?.Dispose();
            next = await Stream(member.Client);
            return next.StatusCode == HttpStatusCode.OK;
        }, "the closed stream to free its place");
        next!.Dispose();

        Assert.Contains("Surplus:MaxEventStreamsPerMember", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PutBlob_OverTheMembersBytesOrCount_Is409AndKeepsNothing(Store store)
    {
        var exchange = exchanges.For(store);
        var member = await exchange.Trader("hoarder");
        var other = await exchange.Trader("other-hoarder");
        var sixty = Bytes(60);

        Assert.Equal(HttpStatusCode.Created, (await member.Client.PutAsync("/v1/blobs", new ByteArrayContent(sixty))).StatusCode);
        var bytes = await (await member.Client.PutAsync("/v1/blobs", new ByteArrayContent(Bytes(50)))).Problem(HttpStatusCode.Conflict, "too-many-blob-bytes");
        var chunked = await (await member.Client.PutAsync("/v1/blobs", new StreamContent(new UnknownLength(Bytes(50))))).Problem(HttpStatusCode.Conflict, "too-many-blob-bytes");
        Assert.Equal(HttpStatusCode.OK, (await member.Client.PutAsync("/v1/blobs", new ByteArrayContent(sixty))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await member.Client.PutAsync("/v1/blobs", new ByteArrayContent(Bytes(30)))).StatusCode);
        var count = await (await member.Client.PutAsync("/v1/blobs", new ByteArrayContent(Bytes(5)))).Problem(HttpStatusCode.Conflict, "too-many-blobs");
        Assert.Equal(HttpStatusCode.Created, (await other.Client.PutAsync("/v1/blobs", new ByteArrayContent(Bytes(50)))).StatusCode);

        Assert.Contains("Surplus:MaxBlobBytesPerMember", bytes, StringComparison.Ordinal);
        Assert.Contains("at most 100", chunked, StringComparison.Ordinal);
        Assert.Contains("Surplus:MaxBlobsPerMember is 2", count, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(exchange.DataDirectory, "blobs", "incoming")));
    }

    private static byte[] Bytes(int count)
    {
        var bytes = new byte[count];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    private static Task<HttpResponseMessage> Stream(HttpClient client)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/v1/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        return client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    /// <summary>A stream that does not tell its length, so the body is sent chunked.</summary>
    private sealed class UnknownLength(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}

public sealed class JoinLimitTests(FewJoinsExchanges exchanges) : IClassFixture<FewJoinsExchanges>
{
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Join_MoreThanTheAddressMayInAnHour_Is429NamingTheLimit(Store store)
    {
        var exchange = exchanges.For(store);
        using var anonymous = exchange.CreateClient();
        Task<HttpResponseMessage> Join(string name) => anonymous.PostAsJsonAsync("/v1/members", new JoinRequest(name), Infrastructure.Api.Json);

        // A refused join costs the address nothing.
        await (await Join(" ")).Problem(HttpStatusCode.BadRequest, "name-invalid");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await Join($"joiner-{i}")).StatusCode);
        }

        var refused = await Join("one-too-many");
        var detail = await refused.Problem(HttpStatusCode.TooManyRequests, "too-many-joins");
        using var admin = exchange.Admin();
        var members = await admin.Get<PageDto<MemberDto>>("/v1/admin/members?limit=500");

        Assert.Contains("3 members an hour", detail, StringComparison.Ordinal);
        Assert.Contains("Surplus:JoinsPerAddressPerHour", detail, StringComparison.Ordinal);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.DoesNotContain(members.Items, m => m.Name == "one-too-many");
    }
}

public sealed class ApprovalTests(ApprovalExchanges exchanges) : IClassFixture<ApprovalExchanges>
{
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task NewMember_WhileApprovalIsRequired_MayReadButNotTradeUntilApproved(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var member = await exchange.Trader("newcomer", 1_000_000);
        using var admin = exchange.Admin();

        Assert.True((await member.Client.Get<MemberDto>("/v1/members/me")).Pending);
        var refused = new[]
        {
            await member.Client.Post("/v1/offers", Offer(market, 10, 10m, Tomorrow, 1)),
            await member.Client.Post("/v1/needs", Need(market, 10, 10m, Tomorrow, 1)),
            await member.Client.Post("/v1/orders/batch", new BatchOrdersRequest([new(Offer: Offer(market, 10, 10m, Tomorrow, 1))])),
            await member.Client.PutAsync("/v1/blobs", new ByteArrayContent([1, 2, 3])),
        };
        foreach (var response in refused)
        {
            var detail = await response.Problem(HttpStatusCode.Forbidden, "member-pending");
            Assert.Contains("approve", detail, StringComparison.Ordinal);
        }

        Assert.Equal(1_000_000, (await member.Account()).AvailableMinor);
        Assert.Empty((await member.Client.Get<PageDto<OfferDto>>("/v1/offers")).Items);
        var approved = await (await admin.PostAsync($"/v1/admin/members/{member.Id}/approve", null)).Read<MemberDto>(HttpStatusCode.OK);
        Assert.False(approved.Pending);
        Assert.False((await member.Client.Get<MemberDto>("/v1/members/me")).Pending);
        await member.PlaceOffer(Offer(market, 10, 10m, Tomorrow, 1));
        await (await admin.PostAsync("/v1/admin/members/999999/approve", null)).Problem(HttpStatusCode.NotFound, "not-found");
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    public async Task PendingMember_AfterARestart_IsStillPending(Store store)
    {
        var exchange = exchanges.For(store);
        var member = await exchange.Trader("patient");

        await exchange.Restart();
        using var client = exchange.CreateClient(member.Key);

        Assert.True((await client.Get<MemberDto>("/v1/members/me")).Pending);
        await (await client.PutAsync("/v1/blobs", new ByteArrayContent([1]))).Problem(HttpStatusCode.Forbidden, "member-pending");
    }
}
