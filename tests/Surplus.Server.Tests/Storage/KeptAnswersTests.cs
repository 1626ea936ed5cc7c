using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Surplus.Exchange;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Storage;
using Surplus.Market;
using Surplus.Protocol;
using Surplus.Server.Api;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Api.ApiKit;

namespace Surplus.Server.Tests.Storage;

/// <summary>
/// The store keeps each answer under an idempotency key with the HTTP status it was given, as every
/// version has. An answer kept by an earlier version is given again as it was (its status, and its
/// body or its problem, whose code this version may no longer answer); and the number this version
/// keeps with an outcome is the status the host answers it with, so that its own answers come back
/// the same. On a real SQLite file and a real PostgreSQL server.
/// </summary>
public sealed class KeptAnswersTests
{
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task AnswerKeptByAnEarlierVersion_IsGivenAgainWithItsStatusAndBody(Store store)
    {
        await using var exchange = new ExchangeFactory(store);
        var market = await exchange.NewMarket();
        var seller = await exchange.Trader("kept-earlier");
        var body = $$"""{"market":"{{market}}","rate":10,"ask":10,"start":"2026-11-24T12:00:00+00:00","end":"2026-11-24T13:00:00+00:00"}""";
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("POST /v1/offers\n" + body)));
        const string Created = """{"offer":{"id":777,"kept":"by an earlier version"},"trades":[]}""";
        const string Done = """{"done":true}""";
        const string Refused = """{"type":"urn:surplus:problem:capacity-gone","title":"Gone away","status":409,"detail":"a refusal this version no longer answers"}""";
        await using (var c = await exchange.Services.GetRequiredService<Database>().OpenAsync())
        {
            foreach (var (key, status, response) in new[] { ("old-created", 201, Created), ("old-done", 200, Done), ("old-refused", 409, Refused) })
            {
                await c.ExecuteAsync(
                    "INSERT INTO idempotency (member_id, key, request_hash, status, response, created_at) VALUES (@member, @key, @hash, @status, @response, 0)",
                    new { member = seller.Id, key, hash, status, response });
            }
        }

        var created = await Send(seller.Client, body, "old-created");
        var done = await Send(seller.Client, body, "old-done");
        var refused = await Send(seller.Client, body, "old-refused");

        Assert.Equal((HttpStatusCode.Created, Created), (created.StatusCode, await created.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.OK, Done), (done.StatusCode, await done.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(
            ("urn:surplus:problem:capacity-gone", "Gone away", 409, "a refusal this version no longer answers"),
            (problem.GetProperty("type").GetString(), problem.GetProperty("title").GetString(), problem.GetProperty("status").GetInt32(), problem.GetProperty("detail").GetString()));
        Assert.All([created, done, refused], r => Assert.Equal("true", Assert.Single(r.Headers.GetValues("Idempotent-Replayed"))));
        Assert.Empty((await seller.Client.Get<PageDto<OfferDto>>("/v1/offers")).Items);
    }

    public static TheoryData<string> Outcomes => ["done", "created", "nothing", .. Refusals.All.Select(r => r.Code)];

    [Theory]
    [MemberData(nameof(Outcomes))]
    public void StoredStatus_IsTheHostsStatus_AndReadsBackAsTheSameOutcome(string which)
    {
        var outcome = which switch
        {
            "done" => Outcome.Done(new { done = true }),
            "created" => Outcome.Created(new { id = 1 }),
            "nothing" => Outcome.Nothing,
            _ => Outcome.Refused(new Refused(Refusals.All.Single(r => r.Code == which), new MessageTemplate("what to do with {thing} at {limit}"), ("thing", "it"), ("limit", 7L))),
        };
        var kept = IdempotentAnswer.Kept(outcome);

        var replayed = IdempotentAnswer.Replay(IdempotentAnswer.StoredStatus(kept), Encoding.UTF8.GetString(((StoredJson)kept.Body!).Utf8));

        Assert.Equal(Problems.StatusOf(outcome), IdempotentAnswer.StoredStatus(kept));
        Assert.Equal(outcome.Kind, replayed.Kind);
        Assert.Equal(outcome.Error, replayed.Error);
        Assert.Equal(outcome.Error?.Values ?? [], replayed.Error?.Values ?? []);
        Assert.Equal(Problems.StatusOf(outcome), Problems.StatusOf(replayed));
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, string body, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/offers") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", key);
        return client.SendAsync(request);
    }
}
