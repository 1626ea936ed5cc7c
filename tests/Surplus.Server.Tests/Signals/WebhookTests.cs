using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Storage;
using Surplus.Protocol;
using Surplus.Server.Tests.Api;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Signals;

/// <summary>
/// Webhooks against a real HTTP listener: every signal posted once, in order, signed; failed
/// posts retried with back-off on the exchange's clock, then left until the next signal; the
/// cursor kept across a restart; the engine never waiting for a webhook.
/// </summary>
public sealed class WebhookTests
{
    private const string Secret = "whsec_test_5f1c";

    // The receiver listens on loopback, which the exchange refuses unless the operator allows it.
    private const string PrivateAddresses = "Surplus:WebhookPrivateAddresses";
    private static readonly DateTimeOffset Tuesday = new(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Webhook_RefusesFirstAttempts_GetsEverySignalOnceInOrderAcrossRestart(Store store)
    {
        await using var receiver = await WebhookReceiver.Start();
        receiver.RefuseFirst = 4;
        await using var exchange = new ExchangeFactory(store, extra: new Dictionary<string, string?> { ["Surplus:WebhookAttempts"] = "3", [PrivateAddresses] = "true" });
        var (buyerId, buyerKey) = await JoinWithWebhook(exchange, "buyer", receiver.Url, Secret);
        var (_, _, sellerKey) = await exchange.Join("seller");

        // The deposit's signal meets three refusals, spaced by the back-off on the exchange's clock…
        await exchange.Deposit(buyerId, 1_000_000);
        await Drive(exchange, () => receiver.Attempts >= 3, "three attempts");
        Assert.Empty(receiver.Taken);

        // …then the dispatcher waits for the member's next signal, however long the clock runs.
        exchange.Time.Advance(TimeSpan.FromMinutes(30));
        await Task.Delay(300);
        Assert.Equal(3, receiver.Attempts);

        // New signals wake it: one more refusal, then everything, in order.
        await Place(exchange, sellerKey, "/v1/offers", new PlaceOfferRequest("compute", 100, 10m, Tuesday.AddHours(12), Tuesday.AddHours(18)));
        await Place(exchange, buyerKey, "/v1/needs", new PlaceNeedRequest("compute", 40, Tuesday.AddHours(12), Tuesday.AddHours(14), 12m));
        await Drive(exchange, async () => receiver.Taken.Count == await SignalCount(exchange, buyerKey), "every signal delivered");

        // The cursor is stored: after a restart only new signals go out. (A post taken but not yet
        // recorded when the server stops is posted again, as docs/api.md says; so the restart waits
        // for the record.)
        await Poll.Until(async () => await StoredCursor(exchange, buyerId) == receiver.Taken.Count, "the last delivery recorded");
        await exchange.Restart();
        await Place(exchange, buyerKey, "/v1/needs", new PlaceNeedRequest("compute", 30, Tuesday.AddHours(15), Tuesday.AddHours(16), 8m));
        await Drive(exchange, async () => receiver.Taken.Count == await SignalCount(exchange, buyerKey), "the new signals delivered after the restart");
        await Task.Delay(200);

        var polled = await AllSignals(exchange, buyerKey);
        AssertDelivered(receiver.Taken, polled);
        Assert.Equal(4 + polled.Count, receiver.Attempts);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Webhook_SetLaterAndSlowToAnswer_NeverHoldsUpTheEngine(Store store)
    {
        await using var receiver = await WebhookReceiver.Start();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Hold = release.Task;
        await using var exchange = new ExchangeFactory(store, extra: new Dictionary<string, string?> { [PrivateAddresses] = "true" });
        var (buyerId, _, buyerKey) = await exchange.Join("buyer");
        var (_, _, sellerKey) = await exchange.Join("seller");
        await exchange.Deposit(buyerId, 1_000_000);

        // Set after a signal was stored: the dispatcher hears of it at once and posts from the start.
        using (var buyer = exchange.CreateClient(buyerKey))
        {
            var patched = await buyer.PatchAsJsonAsync("/v1/members/me", new UpdateMemberRequest(Preferences: new PreferencesDto(WebhookUrl: receiver.Url, WebhookSecret: Secret)), Infrastructure.Api.Json);
            Assert.Equal(receiver.Url, (await patched.Read<MemberDto>(HttpStatusCode.OK)).WebhookUrl);
        }

        await Poll.Until(() => Task.FromResult(receiver.Attempts == 1), "the first post");

        // While the webhook sits on its answer, orders trade and are answered as ever.
        await Place(exchange, sellerKey, "/v1/offers", new PlaceOfferRequest("compute", 100, 10m, Tuesday.AddHours(12), Tuesday.AddHours(18)));
        for (var i = 0; i < 5; i++)
        {
            await Place(exchange, buyerKey, "/v1/needs", new PlaceNeedRequest("compute", 10, Tuesday.AddHours(12 + i), Tuesday.AddHours(13 + i), 12m));
        }

        // The first post is still held (not answered, not timed out): the orders did not wait for it.
        Assert.Equal(1, receiver.Waiting);
        Assert.Equal(1, receiver.Attempts);

        release.SetResult();
        await Drive(exchange, async () => receiver.Taken.Count == await SignalCount(exchange, buyerKey), "every signal delivered");
        AssertDelivered(receiver.Taken, await AllSignals(exchange, buyerKey));
    }

    [Theory]
    [InlineData("http://127.0.0.1:9/hook")]
    [InlineData("http://localhost:9/hook")]
    [InlineData("http://10.1.2.3/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://[::1]:9/hook")]
    public async Task Join_WebhookAtAPrivateAddress_Is400UnlessTheOperatorAllowsIt(string url)
    {
        await using var exchange = new ExchangeFactory(Store.Sqlite);
        using var anonymous = exchange.CreateClient();

        var detail = await (await anonymous.PostAsJsonAsync("/v1/members", new JoinRequest("inside", Preferences: new PreferencesDto(WebhookUrl: url)), Infrastructure.Api.Json))
            .Problem(HttpStatusCode.BadRequest, "webhook-invalid");

        Assert.Contains("public addresses", detail, StringComparison.Ordinal);
        Assert.Empty((await exchange.Admin().Get<PageDto<MemberDto>>("/v1/admin/members")).Items);
    }

    [Fact]
    public async Task Connect_NameThatResolvesToLoopback_IsRefusedWhenTheConnectionIsMade()
    {
        await using var receiver = await WebhookReceiver.Start();
        var port = new Uri(receiver.Url).Port;
        using var refusing = new HttpClient(new SocketsHttpHandler { ConnectCallback = Server.Signals.WebhookConnections.Connect(allowPrivate: false) });
        using var allowing = new HttpClient(new SocketsHttpHandler { ConnectCallback = Server.Signals.WebhookConnections.Connect(allowPrivate: true) });

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => refusing.PostAsync($"http://localhost:{port}/hook", new StringContent("{}")));
        using var allowed = await allowing.PostAsync($"http://localhost:{port}/hook", new StringContent("{}"));

        Assert.Contains("public addresses only", refused.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, receiver.Attempts);
    }

    /// <summary>Each signal once, in order, ids consecutive, signed with the secret, the same as the poll shows.</summary>
    private static void AssertDelivered(IReadOnlyList<Delivery> taken, List<SignalDto> polled)
    {
        Assert.Equal(polled.Count, taken.Count);
        Assert.Equal(Enumerable.Range(1, polled.Count).Select(i => (long)i), taken.Select(d => d.Signal.Id));
        foreach (var (delivery, signal) in taken.Zip(polled))
        {
            Assert.Equal(signal.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), delivery.SignalId);
            Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), delivery.Body)), delivery.Signature);
            Assert.Equal(signal.Type, delivery.Signal.Type);
            Assert.Equal(signal.At, delivery.Signal.At);
            Assert.True(JsonElement.DeepEquals(signal.Data, delivery.Signal.Data), $"signal {signal.Id}: {signal.Data} posted as {delivery.Signal.Data}");
        }
    }

    /// <summary>Moves the exchange's clock a second at a time (so back-offs run out) until the condition holds.</summary>
    private static Task Drive(ExchangeFactory exchange, Func<Task<bool>> condition, string what) =>
        Poll.Until(async () =>
        {
            if (await condition())
            {
                return true;
            }

            exchange.Time.Advance(TimeSpan.FromSeconds(1));
            return false;
        }, what);

    private static Task Drive(ExchangeFactory exchange, Func<bool> condition, string what) => Drive(exchange, () => Task.FromResult(condition()), what);

    private static async Task<(long Id, string Key)> JoinWithWebhook(ExchangeFactory exchange, string name, string url, string secret)
    {
        using var anonymous = exchange.CreateClient();
        var joined = await (await anonymous.PostAsJsonAsync("/v1/members", new JoinRequest(name, Preferences: new PreferencesDto(WebhookUrl: url, WebhookSecret: secret)), Infrastructure.Api.Json))
            .Read<JoinResponse>(HttpStatusCode.Created);
        return (joined.Member.Id, joined.ApiKey);
    }

    private static async Task Place<T>(ExchangeFactory exchange, string key, string path, T order)
    {
        using var client = exchange.CreateClient(key);
        await (await client.Post(path, order)).Read<JsonElement>(HttpStatusCode.Created);
    }

    private static async Task<int> SignalCount(ExchangeFactory exchange, string key) => (await AllSignals(exchange, key)).Count;

    /// <summary>The member's webhook position as stored: the last signal its webhook took that the dispatcher recorded.</summary>
    private static async Task<long> StoredCursor(ExchangeFactory exchange, long member)
    {
        await using var c = await exchange.Services.GetRequiredService<Database>().OpenAsync();
        return await c.ExecuteScalarAsync<long>("SELECT webhook_cursor FROM members WHERE id = @member", new { member });
    }

    private static async Task<List<SignalDto>> AllSignals(ExchangeFactory exchange, string key)
    {
        using var client = exchange.CreateClient(key);
        var all = new List<SignalDto>();
        while ((await (await client.GetAsync($"/v1/events?after={(all.Count == 0 ? 0 : all[^1].Id)}&limit=500")).Read<PageDto<SignalDto>>(HttpStatusCode.OK)).Items is { Count: > 0 } page)
        {
            all.AddRange(page);
        }

        return all;
    }
}
