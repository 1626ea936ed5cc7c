using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Surplus.Protocol;
using Surplus.Server.Signals;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Signals;

/// <summary>
/// Event streams on the real HTTP server over loopback and a SQLite file: a stream is written after
/// the request pipeline that checked it has returned, and still resumes from <c>Last-Event-ID</c>,
/// gets its signals live, keeps its connection alive when idle and counts against its member's
/// streams until it ends; a reader that stops reading is dropped while the others keep receiving.
/// </summary>
public sealed class EventStreamTests
{
    private static readonly DateTimeOffset Tuesday = new(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Stream_DroppedAndResumedFromLastEventId_EverySignalOnceInOrder()
    {
        await using var exchange = new ExchangeFactory(Store.Sqlite, kestrel: true);
        var (id, _, key) = await exchange.Join("follower");
        await exchange.Deposit(id, 1_000_000);
        using var client = exchange.CreateClient(key);
        var received = new List<ServerSentEvent>();

        var stream = await EventStream.Open(exchange.CreateClient(key));
        received.AddRange(await stream.Read(1));
        await PlaceOffer(client, 0);
        received.AddRange(await stream.Read(1));
        await stream.DisposeAsync();

        // While nobody follows.
        await PlaceOffer(client, 1);
        await PlaceOffer(client, 2);

        stream = await EventStream.Open(exchange.CreateClient(key), received[^1].Id);
        received.AddRange(await stream.Read(2));
        await PlaceOffer(client, 3);
        received.AddRange(await stream.Read(1));
        await stream.DisposeAsync();

        Assert.Equal([1L, 2L, 3L, 4L, 5L], received.Select(e => e.Id));
        Assert.Equal(["account.deposit", "order.rested", "order.rested", "order.rested", "order.rested"], received.Select(e => e.Type));
    }

    [Fact]
    public async Task Stream_Idle_GetsKeepAlives()
    {
        await using var exchange = new ExchangeFactory(Store.Sqlite, kestrel: true);
        var (_, _, key) = await exchange.Join("idle");
        using var client = exchange.CreateClient(key);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var cancel = new CancellationTokenSource(Poll.DefaultTimeout);
        var keepAlive = Task.Run(async () =>
        {
            while (await reader.ReadLineAsync(cancel.Token) is { } line)
            {
                if (line == ": keep-alive")
                {
                    return true;
                }
            }

            return false;
        });

        // The exchange's clock, a second at a time, until the stream has written one: every stream
        // is woken every EventStreams.KeepAlive and writes one at every other wake at the latest.
        for (var second = 0; !keepAlive.IsCompleted && second < 10 * EventStreams.KeepAlive.TotalSeconds; second++)
        {
            exchange.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(keepAlive, Task.Delay(50));
        }

        await Poll.Until(() => Task.FromResult(keepAlive.IsCompleted), "a keep-alive on the idle stream");
        Assert.True(await keepAlive);
    }

    [Fact]
    public async Task Stream_OverTheMembersLimit_RefusedUntilOneCloses()
    {
        await using var exchange = new ExchangeFactory(Store.Sqlite, extra: new Dictionary<string, string?> { ["Surplus:MaxEventStreamsPerMember"] = "2" }, kestrel: true);
        var (_, _, key) = await exchange.Join("many");
        var (_, _, otherKey) = await exchange.Join("other");

        var first = await EventStream.Open(exchange.CreateClient(key));
        await using var second = await EventStream.Open(exchange.CreateClient(key));
        using var client = exchange.CreateClient(key);
        using (var refused = await OpenAsync(client))
        {
            await refused.Problem(HttpStatusCode.TooManyRequests, "too-many-event-streams");
        }

        // Another member's streams are its own.
        await using var other = await EventStream.Open(exchange.CreateClient(otherKey));

        // A bad key is refused before any stream is counted.
        using (var stranger = exchange.CreateClient("sk_not_a_key"))
        using (var unknown = await OpenAsync(stranger))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        }

        // Closed by its reader: the member may open one again once the server has seen it go.
        await first.DisposeAsync();
        var status = HttpStatusCode.TooManyRequests;
        await Poll.Until(async () =>
        {
            using var again = await OpenAsync(client);
            status = again.StatusCode;
            return status != HttpStatusCode.TooManyRequests;
        }, "the closed stream to be counted out");
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task Stream_ReaderThatStopsReading_IsDroppedWhileAnotherKeepsReceiving()
    {
        await using var exchange = new ExchangeFactory(Store.Sqlite, extra: new Dictionary<string, string?>
        {
            ["Surplus:MaxEventStreamsPerMember"] = "1",
            ["Surplus:EventStreamStallSeconds"] = "2",
            ["Surplus:MaxOpenOrdersPerMember"] = "1000000",
        }, kestrel: true);
        var (_, _, stalledKey) = await exchange.Join("stalled");
        var (_, _, steadyKey) = await exchange.Join("steady");
        using var stalledClient = exchange.CreateClient(stalledKey);
        using var steadyClient = exchange.CreateClient(steadyKey);
        await using var steady = await EventStream.Open(exchange.CreateClient(steadyKey));

        // A follower with a small receive window that asks for its stream and never reads it.
        var address = stalledClient.BaseAddress!;
        using var stalled = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await stalled.ConnectAsync(address.Host, address.Port);
        await stalled.SendAsync(Encoding.ASCII.GetBytes(
            $"GET /v1/events HTTP/1.1\r\nHost: {address.Authority}\r\nAuthorization: Bearer {stalledKey}\r\nAccept: text/event-stream\r\n\r\n"));
        await Poll.Until(async () =>
        {
            using var open = await OpenAsync(stalledClient);
            return open.StatusCode == HttpStatusCode.TooManyRequests;
        }, "the stalled follower's stream to open");

        // Signals for the stalled follower (one for each resting offer) until it is dropped: more than
        // the socket's buffers and the response's hold, then a write that waits longer than the stall
        // limit, at most 200,000; the steady follower is told
        // of one offer of its own after every thousand, and reads each as it comes.
        var dropped = false;
        var steadyOffers = 0;
        for (var b = 0; b < 200 && !dropped; b++)
        {
            var batch = new BatchOrdersRequest([.. Enumerable.Range(0, 1000).Select(i =>
                new BatchOrderItem(Offer: new PlaceOfferRequest("compute", 10, 5m, Tuesday.AddMinutes((b * 1000) + i), Tuesday.AddMinutes((b * 1000) + i + 30))))]);
            var placed = await (await stalledClient.Post("/v1/orders/batch", batch)).Read<BatchOrdersResponse>(HttpStatusCode.OK);
            Assert.All(placed.Results, r => Assert.Equal(201, r.Status));

            // The exchange's clock, which times a stalled write, a second a batch.
            exchange.Time.Advance(TimeSpan.FromSeconds(1));

            await PlaceOffer(steadyClient, b);
            steadyOffers++;
            var told = Assert.Single(await steady.Read(1));
            Assert.Equal(steadyOffers, told.Id);
            Assert.Equal("order.rested", told.Type);

            if (b % 10 == 9)
            {
                using var open = await OpenAsync(stalledClient);
                dropped = open.StatusCode == HttpStatusCode.OK;
            }
        }

        // Dropped: the stalled member's one stream is free again; the steady one still follows.
        Assert.True(dropped, "the stalled follower was never dropped");
        await PlaceOffer(steadyClient, 1000);
        Assert.Equal(steadyOffers + 1, Assert.Single(await steady.Read(1)).Id);
    }

    private static async Task PlaceOffer(HttpClient client, int hour)
    {
        using var response = await client.Post("/v1/offers", new PlaceOfferRequest("compute", 10, 5m, Tuesday.AddHours(hour), Tuesday.AddHours(hour + 1)));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    /// <summary>Opens a stream and leaves its body unread: the caller looks at the answer's status and disposes it.</summary>
    private static async Task<HttpResponseMessage> OpenAsync(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }
}
