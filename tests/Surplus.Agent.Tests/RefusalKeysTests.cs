using Surplus.Client;

namespace Surplus.Agent.Tests;

public sealed class RefusalKeysTests
{
    [Fact]
    public async Task SendAsync_Refused_NextTryGoesUnderANewKey()
    {
        var keys = new RefusalKeys();
        var sent = new List<string>();
        Task<int> Refuse(string key)
        {
            sent.Add(key);
            throw new SurplusApiException(409, "urn:surplus:problem:market-halted", "Conflict", "market 'compute' is halted");
        }

        await Assert.ThrowsAsync<SurplusApiException>(() => keys.SendAsync("agent-offer-1", Refuse));
        await Assert.ThrowsAsync<SurplusApiException>(() => keys.SendAsync("agent-offer-1", Refuse));
        var placed = await keys.SendAsync("agent-offer-1", key => Task.FromResult(key));

        Assert.Equal(["agent-offer-1", "agent-offer-1-r1"], sent);
        Assert.Equal("agent-offer-1-r2", placed);
        Assert.Equal("agent-offer-2", keys.For("agent-offer-2"));
    }

    [Theory]
    [InlineData(503)]
    [InlineData(500)]
    public async Task SendAsync_FailedWithoutAnAnswer_KeepsTheKeySoNothingHappensTwice(int status)
    {
        var keys = new RefusalKeys();

        await Assert.ThrowsAsync<SurplusApiException>(() => keys.SendAsync<int>("agent-7-start", _ => throw new SurplusApiException(status, null, null, "store unavailable")));
        await Assert.ThrowsAsync<HttpRequestException>(() => keys.SendAsync<int>("agent-7-start", _ => throw new HttpRequestException("connection refused")));

        Assert.Equal("agent-7-start", keys.For("agent-7-start"));
    }
}
