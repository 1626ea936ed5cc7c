using System.Net;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class DashboardFilesTests(Exchanges exchanges)
{
    [Theory]
    [InlineData("/", "text/html", "<title>Surplus exchange</title>")]
    [InlineData("/dashboard/dashboard.js", "text/javascript", "/v1/events")]
    [InlineData("/dashboard/dashboard.css", "text/css", "--offer")]
    public async Task Dashboard_File_IsServedWithAContentSecurityPolicyOfSelfOnly(string path, string type, string content)
    {
        using var client = exchanges.For(Store.Sqlite).CreateClient();

        var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(content, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src 'self';", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("http", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("data:", policy, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dashboard_Page_LoadsNothingFromAnotherHost()
    {
        using var client = exchanges.For(Store.Sqlite).CreateClient();

        var page = await client.GetStringAsync("/");
        var script = await client.GetStringAsync("/dashboard/dashboard.js");

        Assert.DoesNotContain("://", page.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("://", script.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("style=", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dashboard_UnknownFile_Is404Problem()
    {
        using var client = exchanges.For(Store.Sqlite).CreateClient();

        await (await client.GetAsync("/dashboard/secret.txt")).Problem(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task Dashboard_SameETag_Is304()
    {
        using var client = exchanges.For(Store.Sqlite).CreateClient();
        var first = await client.GetAsync("/dashboard/dashboard.js");

        var again = new HttpRequestMessage(HttpMethod.Get, "/dashboard/dashboard.js");
        again.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        var second = await client.SendAsync(again);

        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
    }
}
