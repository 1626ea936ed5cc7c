using System.Net;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Api.ApiKit;

namespace Surplus.Server.Tests.Api;

/// <summary>
/// Text that another member's screen would show, and locations an agent would fetch, are refused
/// unless they have the form they claim: a 400 that names the field, and nothing changed.
/// </summary>
public sealed class HostileTextTests(Exchanges exchanges) : IClassFixture<Exchanges>
{
    private const string Window = """ "start":"2026-11-24T12:00:00Z","end":"2026-11-24T13:00:00Z" """;

    private static readonly string Long = new('v', 100_000);

    private static string Ids(int count) => "[" + string.Join(',', Enumerable.Range(1_000, count)) + "]";

    private static readonly string ManyAttributes = "{" + string.Join(',', Enumerable.Range(0, 65).Select(i => $"\"a{i}\":\"x\"")) + "}";

    /// <summary>Name, method, path, body, problem code, words the detail must contain; {market} is filled in.</summary>
    private static readonly (string Name, string Method, string Path, string Body, string Code, string Says)[] Cases =
    [
        ("need-input-null", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":1,"bid":1,{{{Window}}},"job":{"program":"https://example.com/p.wasm","results":"blob:","inputs":[null]}}""", "job-invalid", "job.inputs[0] is null"),
        ("need-program-nul", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":1,"bid":1,{{{Window}}},"job":{"program":"\u0000","results":"blob:"}}""", "location-invalid", "job.program"),
        ("need-program-e-acute", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":1,"bid":1,{{{Window}}},"job":{"program":"é","results":"blob:"}}""", "location-invalid", "job.program"),
        ("need-program-short-blob", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":1,"bid":1,{{{Window}}},"job":{"program":"blob:abc","results":"blob:"}}""", "location-invalid", "64 hex digits"),
        ("need-results-script", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":1,"bid":1,{{{Window}}},"job":{"program":"https://example.com/p.wasm","results":"javascript:alert(1)"}}""", "location-invalid", "job.results"),
        ("need-input-location-relative", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":1,"bid":1,{{{Window}}},"job":{"program":"https://example.com/p.wasm","results":"blob:","inputs":[{"location":"../etc/passwd"}]}}""", "location-invalid", "job.inputs[0].location"),
        ("need-program-hash-not-hex", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":1,"bid":1,{{{Window}}},"job":{"program":"https://example.com/p.wasm","results":"blob:","programSha256":"\u0000"}}""", "sha256-invalid", "job.programSha256"),
        ("need-input-hash-short", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":1,"bid":1,{{{Window}}},"job":{"program":"https://example.com/p.wasm","results":"blob:","inputs":[{"location":"https://example.com/d","sha256":"abc"}]}}""", "sha256-invalid", "job.inputs[0].sha256"),
        ("need-program-location-too-long", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":1,"bid":1,{{{Window}}},"job":{"program":"https://example.com/{{{new string('p', 2000)}}}","results":"blob:"}}""", "location-invalid", "at most 2000"),
        ("need-constraint-control", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":1,"bid":1,{{{Window}}},"constraints":["os=lin\u0007ux"]}""", "attribute-invalid", "control"),
        ("offer-attribute-value-huge", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":1,"ask":1,{{{Window}}},"attributes":{"os":"{{{Long}}}"}}""", "attribute-invalid", "at most 256"),
        ("offer-attribute-value-bidi", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":1,"ask":1,{{{Window}}},"attributes":{"os":"linux\u202Eexe"}}""", "attribute-invalid", "format"),
        ("offer-attribute-name-long", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":1,"ask":1,{{{Window}}},"attributes":{"{{{new string('n', 65)}}}":"x"}}""", "attribute-invalid", "1 to 64"),
        ("offer-attributes-too-many", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":1,"ask":1,{{{Window}}},"attributes":{{{ManyAttributes}}}}""", "attribute-invalid", "at most 64"),
        ("offer-market-1e400", "POST", "/v1/offers", $$$"""{"market":"1e400","rate":1,"ask":1,{{{Window}}}}""", "market-unknown", "is not a market id"),
        ("offer-market-null-word", "POST", "/v1/offers", $$$"""{"market":"null","rate":1,"ask":1,{{{Window}}}}""", "market-unknown", "is not a market id"),
        ("offer-recurrence-zone-long", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":1,"ask":1,"recurrence":{"rule":"FREQ=DAILY","start":"00:00","durationMinutes":60,"timeZone":"{{{new string('z', 5000)}}}"}}""", "recurrence-invalid", "IANA"),
        ("me-name-bidi", "PATCH", "/v1/members/me", """{"name":"admin\u202Egnp.exe"}""", "name-invalid", "bidi"),
        ("me-name-isolate", "PATCH", "/v1/members/me", """{"name":"\u2066x\u2069"}""", "name-invalid", "bidi"),
        ("me-name-markup", "PATCH", "/v1/members/me", """{"name":"<script>alert(1)</script>"}""", "name-invalid", "markup"),
        ("me-name-newline", "PATCH", "/v1/members/me", """{"name":"a\nb"}""", "name-invalid", "control"),
        ("me-address-bell", "PATCH", "/v1/members/me", """{"address":"host\u0007:7000"}""", "address-invalid", "control"),
        ("me-address-markup", "PATCH", "/v1/members/me", """{"address":"\"><img src=x>"}""", "address-invalid", "markup"),
        ("need-preferred-sellers-101", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":1,"bid":1,{{{Window}}},"preferredSellers":{{{Ids(101)}}}}""", "counterparties-too-many", "preferredSellers names 101"),
        ("need-excluded-sellers-101", "POST", "/v1/needs", $$$"""{"market":"{market}","rate":1,"bid":1,{{{Window}}},"excludedSellers":{{{Ids(101)}}}}""", "counterparties-too-many", "excludedSellers names 101"),
        ("offer-preferred-buyers-101", "POST", "/v1/offers", $$$"""{"market":"{market}","rate":1,"ask":1,{{{Window}}},"preferredBuyers":{{{Ids(101)}}}}""", "counterparties-too-many", "preferredBuyers names 101"),
        ("me-preferred-101", "PATCH", "/v1/members/me", $$$"""{"preferences":{"preferredCounterparties":{{{Ids(101)}}}}}""", "counterparties-too-many", "preferredCounterparties names 101"),
    ];

    public static TheoryData<Store, string> All()
    {
        var data = new TheoryData<Store, string>();
        foreach (var store in new[] { Store.Sqlite, Store.Postgres })
        {
            foreach (var c in Cases)
            {
                data.Add(store, c.Name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Request_HostileText_Is400NamingTheFieldAndChangesNothing(Store store, string name)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var member = await exchange.Trader("plain-" + name, 1_000_000);
        var before = await member.Snapshot();
        var (_, method, path, body, code, says) = Cases.Single(c => c.Name == name);

        var response = await member.Client.Send(new HttpMethod(method), path, body.Replace("{market}", market, StringComparison.Ordinal));

        var detail = await response.Problem(HttpStatusCode.BadRequest, code);
        Assert.Contains(says, detail, StringComparison.Ordinal);
        Assert.Equal(before, await member.Snapshot());
    }

    [Theory]
    [InlineData(Store.Sqlite, "null")]
    [InlineData(Store.Sqlite, "1e400")]
    [InlineData(Store.Sqlite, "a-very-long-market-id-of-33-chars")]
    [InlineData(Store.Postgres, "null")]
    [InlineData(Store.Postgres, "1e400")]
    public async Task CreateMarket_IdNotOfTheForm_Is400AndNoMarketIsMade(Store store, string id)
    {
        var exchange = exchanges.For(store);
        using var admin = exchange.Admin();
        var before = await (await admin.GetAsync("/v1/markets")).Content.ReadAsStringAsync();

        var detail = await (await admin.Post("/v1/admin/markets", new CreateMarketRequest(id, "GB"))).Problem(HttpStatusCode.BadRequest, "market-id-invalid");

        Assert.Contains("lower-case letter", detail, StringComparison.Ordinal);
        Assert.Equal(before, await (await admin.GetAsync("/v1/markets")).Content.ReadAsStringAsync());
        await (await admin.GetAsync($"/v1/markets/{id}")).Problem(HttpStatusCode.NotFound, "not-found");
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Join_NameWithBidiOverride_Is400AndNoMemberJoins(Store store)
    {
        var exchange = exchanges.For(store);
        using var anonymous = exchange.CreateClient();

        await (await anonymous.Send(HttpMethod.Post, "/v1/members", """{"name":"bob\u202Etxt.exe","address":"bob.example:7000"}"""))
            .Problem(HttpStatusCode.BadRequest, "name-invalid");
        await (await anonymous.Send(HttpMethod.Post, "/v1/members", """{"name":"bob","address":"bob.example:7000\u2067"}"""))
            .Problem(HttpStatusCode.BadRequest, "address-invalid");
    }
}
