using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Signals;

/// <summary>
/// A follower that stops reading its event stream is dropped once what is written to it has waited
/// <c>EventStreamStallSeconds</c> (the socket's and the response's buffers full), so it holds
/// neither memory nor one of its member's streams for ever. On a real Kestrel server over TCP: the
/// in-process test server has no sockets to fill.
/// </summary>
public sealed class StalledStreamTests
{
    [Fact]
    public async Task EventStream_ReaderThatStopsReading_IsDroppedAndItsStreamFreed()
    {
        using var folder = new ScratchFolder("surplus-stalled-");
        var app = ServerApp.Build(
        [
            "--urls", "http://127.0.0.1:0", "--data", folder.Path, "--Surplus:Durable=false",
            "--Surplus:MaxEventStreamsPerMember=1", "--Surplus:EventStreamStallSeconds=2", "--Surplus:MaxOpenOrdersPerMember=1000000", "--Surplus:RateLimitPerSecond=100000",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await app.StartAsync();
        try
        {
            var address = new Uri(app.Urls.First());
            using var http = new HttpClient { BaseAddress = address };
            var joined = await (await http.PostAsJsonAsync("/v1/members", new JoinRequest("stalled", "stalled.example:7000"))).Content.ReadFromJsonAsync<JoinResponse>();
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", joined!.ApiKey);

            // A follower with a small receive window that asks for its stream and never reads it.
            using var stalled = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
            await stalled.ConnectAsync(address.Host, address.Port);
            await stalled.SendAsync(Encoding.ASCII.GetBytes(
                $"GET /v1/events HTTP/1.1\r\nHost: {address.Authority}\r\nAuthorization: Bearer {joined.ApiKey}\r\nAccept: text/event-stream\r\n\r\n"));
            Assert.Equal(HttpStatusCode.TooManyRequests, await OpenStreamAsync(http, untilNot: HttpStatusCode.OK, within: TimeSpan.FromSeconds(30)));

            // Signals (one for each resting offer) until the follower is dropped: more than the
            // socket's buffers (a few MB on loopback) and the response's hold, at most 200,000.
            var start = new DateTimeOffset(DateTime.UtcNow.Date.AddDays(2), TimeSpan.Zero);
            var dropped = HttpStatusCode.TooManyRequests;
            for (var b = 0; b < 200 && dropped != HttpStatusCode.OK; b++)
            {
                var batch = new BatchOrdersRequest([.. Enumerable.Range(0, 1000).Select(i =>
                    new BatchOrderItem(Offer: new PlaceOfferRequest("compute", 10, 5m, start.AddMinutes((b * 1000) + i), start.AddMinutes((b * 1000) + i + 30))))]);
                var placed = await (await http.PostAsJsonAsync("/v1/orders/batch", batch)).Content.ReadFromJsonAsync<BatchOrdersResponse>();
                Assert.All(placed!.Results, r => Assert.Equal(201, r.Status));
                if (b % 10 == 9)
                {
                    dropped = await OpenStreamAsync(http, untilNot: HttpStatusCode.TooManyRequests, within: TimeSpan.FromSeconds(5));
                }
            }

            // Dropped: the member's one stream is free again.
            Assert.Equal(HttpStatusCode.OK, dropped);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>Opens a stream (and closes it at once) until its answer is not <paramref name="untilNot"/>, for at most <paramref name="within"/>; the last answer.</summary>
    private static async Task<HttpStatusCode> OpenStreamAsync(HttpClient http, HttpStatusCode untilNot, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/events");
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            if (response.StatusCode != untilNot || clock.Elapsed > within)
            {
                return response.StatusCode;
            }

            await Task.Delay(200);
        }
    }
}
