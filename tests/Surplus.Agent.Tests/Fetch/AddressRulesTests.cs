using System.Net;
using CsCheck;
using Surplus.Agent.Fetch;
using Surplus.Protocol;
using Surplus.Tests.Shared;

namespace Surplus.Agent.Tests.Fetch;

/// <summary>
/// The fetcher's address rule over every spelling of every inside range: IPv4 in dotted, integer,
/// hex, octal and short forms, and IPv4 carried in IPv6 (mapped, translated, compatible, NAT64,
/// 6to4, Teredo). A rule that refused everything would fail the public cases.
/// </summary>
public sealed class AddressRulesTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly LocalHttpServer server;
    private int reached;

    public AddressRulesTests() => server = new(_ =>
    {
        Interlocked.Increment(ref reached);
        return (200, "reached"u8.ToArray(), false);
    });

    [Fact]
    public void IsPrivateHost_EverySpellingOfAnInsideAddress_IsInside() =>
        InsideAddresses.InsideHost.Sample(host =>
        {
            Assert.True(Uri.TryCreate($"http://{host}:8080/job.wasm", UriKind.Absolute, out var url), $"{host} is not a URL host");
            Assert.True(AddressRules.IsPrivateHost(url), $"{host} ({url.IdnHost}) passed as public");
        }, iter: 20_000);

    [Fact]
    public void IsPrivateHost_EverySpellingOfAPublicAddress_IsPublic() =>
        InsideAddresses.PublicHost.Sample(host =>
        {
            Assert.True(Uri.TryCreate($"http://{host}:8080/job.wasm", UriKind.Absolute, out var url), $"{host} is not a URL host");
            Assert.False(AddressRules.IsPrivateHost(url), $"{host} ({url.IdnHost}) was taken for an inside address");
        }, iter: 5_000);

    [Fact]
    public async Task FetchAsync_EverySpellingOfAnInsideAddress_IsRefusedBeforeConnecting()
    {
        // Loopback spellings reach a real listener on this port if the rule lets them through.
        var port = new Uri(server.Url).Port;
        using var courier = new Courier(new CourierPolicy { Timeout = TimeSpan.FromSeconds(5) }, null);
        var destination = Path.Combine(temp.Path, "fetched");

        await InsideAddresses.InsideHost.SampleAsync(async host =>
        {
            var e = await Assert.ThrowsAsync<CourierRefusedException>(() => courier.FetchAsync($"http://{host}:{port}/job.wasm", null, destination, CancellationToken.None));
            Assert.Contains("public addresses only", e.Message, StringComparison.Ordinal);
        }, iter: 400, threads: 1);

        Assert.Equal(0, Volatile.Read(ref reached));
        Assert.False(File.Exists(destination));
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("10.1.2.3", true)]
    [InlineData("172.16.0.1", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("192.168.1.1", true)]
    [InlineData("169.254.169.254", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("198.18.0.1", true)]
    [InlineData("203.0.113.9", true)]
    [InlineData("255.255.255.255", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("::", true)]
    [InlineData("::1", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fd00::1", true)]
    [InlineData("ff02::1", true)]
    [InlineData("2001:db8::1", true)]
    [InlineData("::ffff:10.0.0.1", true)]
    [InlineData("::ffff:0:7f00:1", true)]
    [InlineData("::7f00:1", true)]
    [InlineData("::808:808", true)]
    [InlineData("64:ff9b::a9fe:a9fe", true)]
    [InlineData("64:ff9b::808:808", false)]
    [InlineData("64:ff9b:1::808:808", true)]
    [InlineData("2002:c0a8:101::1", true)]
    [InlineData("2002:808:808::1", false)]
    [InlineData("2001:0:4136:e378:8000:63bf:80ff:fffe", true)] // Teredo, client 127.0.0.1 inverted
    [InlineData("2001:0:4136:e378:8000:63bf:f7f7:f7f7", false)] // Teredo, client 8.8.8.8 inverted
    [InlineData("2001:4860:4860::8888", false)]
    public void IsPrivate_Address_IsClassified(string address, bool expected) =>
        Assert.Equal(expected, AddressRules.IsPrivate(IPAddress.Parse(address)));

    public void Dispose()
    {
        server.Dispose();
        temp.Dispose();
    }
}
