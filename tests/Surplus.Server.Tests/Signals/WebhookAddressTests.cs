using CsCheck;
using Surplus.Exchange.Signals;
using Surplus.Server.Signals;
using Surplus.Tests.Shared;

namespace Surplus.Server.Tests.Signals;

/// <summary>
/// The webhooks' address rule (the same as the agent's fetcher) over every spelling of every
/// inside range, both when a URL is registered and when a post connects.
/// </summary>
public sealed class WebhookAddressTests
{
    [Fact]
    public void Problem_EverySpellingOfAnInsideAddress_IsRefused() =>
        InsideAddresses.InsideHost.Sample(host =>
        {
            var url = new Uri($"https://{host}/hooks/surplus");
            Assert.NotNull(WebhookConnections.Problem(url, allowPrivate: false));
            Assert.Null(WebhookConnections.Problem(url, allowPrivate: true));
        }, iter: 20_000);

    [Fact]
    public void Problem_EverySpellingOfAPublicAddress_IsAllowed() =>
        InsideAddresses.PublicHost.Sample(host => Assert.Null(WebhookConnections.Problem(new Uri($"https://{host}/hooks/surplus"), allowPrivate: false)), iter: 5_000);

    [Fact]
    public async Task Connect_EverySpellingOfAnInsideAddress_IsRefusedBeforeConnecting()
    {
        using var client = new HttpClient(new SocketsHttpHandler { ConnectCallback = WebhookConnections.Connect(allowPrivate: false), UseProxy = false })
        {
            Timeout = TimeSpan.FromSeconds(5),
        };

        await InsideAddresses.InsideHost.SampleAsync(async host =>
        {
            using var content = new StringContent("{}");
            var e = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync(new Uri($"http://{host}:9/hook"), content));
            Assert.Contains("public addresses only", e.Message, StringComparison.Ordinal);
        }, iter: 400, threads: 1);
    }
}
