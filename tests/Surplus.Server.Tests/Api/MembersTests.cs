using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Api.ApiKit;

namespace Surplus.Server.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class MembersTests(Exchanges exchanges)
{
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Join_FullProfile_Is201WithTheKeyShownOnce(Store store)
    {
        var exchange = exchanges.For(store);
        using var anonymous = exchange.CreateClient();
        var attributes = new Dictionary<string, string> { ["os"] = "linux", ["speed"] = "2400" };
        var response = await anonymous.Post("/v1/members", new JoinRequest(
            "  render-farm-7  ", "10.0.0.7:7000", attributes, new PreferencesDto([], "https://hooks.example/surplus", "webhook-secret-1")));

        var joined = await response.Read<JoinResponse>(HttpStatusCode.Created);
        Assert.StartsWith("sk_", joined.ApiKey, StringComparison.Ordinal);
        Assert.True(joined.ApiKey.Length >= 40, "an API key carries at least 32 random bytes");
        Assert.Equal("render-farm-7", joined.Member.Name);
        Assert.Equal("10.0.0.7:7000", joined.Member.Address);
        Assert.Equal("linux", joined.Member.Attributes["os"]);
        Assert.Equal("https://hooks.example/surplus", joined.Member.WebhookUrl);
        Assert.False(joined.Member.Suspended);
        Assert.Equal(ApiKit.Now, joined.Member.JoinedAt);

        using var member = exchange.CreateClient(joined.ApiKey);
        var me = await member.GetAsync("/v1/members/me");
        var text = await me.Content.ReadAsStringAsync();
        Assert.Equal(joined.Member.Id, (await me.Read<MemberDto>(HttpStatusCode.OK)).Id);
        Assert.DoesNotContain(joined.ApiKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain("webhook-secret-1", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Join_Key_IsStoredOnlyAsItsHash(Store store)
    {
        var exchange = exchanges.For(store);
        var trader = await exchange.Trader("hash-check");
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(trader.Key)));

        var stored = await StoredText(exchange);

        Assert.DoesNotContain(trader.Key, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(trader.Key["sk_".Length..], stored, StringComparison.Ordinal);
        Assert.Contains(hash, stored, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PatchMe_EveryField_IsChangedAndReadBack(Store store)
    {
        var exchange = exchanges.For(store);
        var other = await exchange.Trader("partner");
        var trader = await exchange.Trader("before");

        var response = await trader.Client.Patch("/v1/members/me", new UpdateMemberRequest(
            "after", "192.0.2.10:7000", new Dictionary<string, string> { ["os"] = "linux", ["gpu"] = "true" },
            new PreferencesDto([other.Id], "http://hooks.example/after", "new-secret")));

        var updated = await response.Read<MemberDto>(HttpStatusCode.OK);
        var read = await trader.Client.Get<MemberDto>("/v1/members/me");
        foreach (var member in new[] { updated, read })
        {
            Assert.Equal("after", member.Name);
            Assert.Equal("192.0.2.10:7000", member.Address);
            Assert.Equal(2, member.Attributes.Count);
            Assert.Equal("true", member.Attributes["gpu"]);
            Assert.Equal([other.Id], member.PreferredCounterparties);
            Assert.Equal("http://hooks.example/after", member.WebhookUrl);
        }
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PatchMe_EmptyWebhookUrl_TurnsTheWebhookOffAndKeepsTheRest(Store store)
    {
        var exchange = exchanges.For(store);
        var trader = await exchange.Trader("hooked");
        await (await trader.Client.Patch("/v1/members/me", new UpdateMemberRequest(
            Address: "192.0.2.11:7000", Preferences: new PreferencesDto(WebhookUrl: "https://hooks.example/on", WebhookSecret: "s1")))).Read<MemberDto>(HttpStatusCode.OK);

        var off = await (await trader.Client.Send(HttpMethod.Patch, "/v1/members/me", """{"preferences":{"webhookUrl":""}}"""))
            .Read<MemberDto>(HttpStatusCode.OK);

        Assert.Null(off.WebhookUrl);
        Assert.Null((await trader.Client.Get<MemberDto>("/v1/members/me")).WebhookUrl);
        Assert.Equal("192.0.2.11:7000", off.Address);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PatchMe_EmptyAddress_ClearsItAndKeepsTheRest(Store store)
    {
        var exchange = exchanges.For(store);
        var trader = await Profiled(exchange, "clear-address");

        var cleared = await (await trader.Client.Send(HttpMethod.Patch, "/v1/members/me", """{"address":""}""")).Read<MemberDto>(HttpStatusCode.OK);

        foreach (var member in new[] { cleared, await trader.Client.Get<MemberDto>("/v1/members/me") })
        {
            Assert.Null(member.Address);
            Assert.Equal("linux", member.Attributes["os"]);
            Assert.Single(member.PreferredCounterparties);
            Assert.Equal("https://hooks.example/on", member.WebhookUrl);
        }
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PatchMe_EmptyAttributes_ClearsThemAndKeepsTheRest(Store store)
    {
        var exchange = exchanges.For(store);
        var trader = await Profiled(exchange, "clear-attributes");

        var cleared = await (await trader.Client.Send(HttpMethod.Patch, "/v1/members/me", """{"attributes":{}}""")).Read<MemberDto>(HttpStatusCode.OK);

        foreach (var member in new[] { cleared, await trader.Client.Get<MemberDto>("/v1/members/me") })
        {
            Assert.Empty(member.Attributes);
            Assert.Equal("192.0.2.11:7000", member.Address);
            Assert.Single(member.PreferredCounterparties);
        }
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PatchMe_EmptyPreferredCounterparties_ClearsThemAndTradesWithEveryoneAgain(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var buyer = await Profiled(exchange, "clear-preferred");
        var seller = await exchange.Trader("not-preferred");
        await exchange.Deposit(buyer.Id, 100_000);
        await seller.PlaceOffer(Offer(market, 10, 5m, Tomorrow, 1));
        Assert.Empty((await buyer.PlaceNeed(Need(market, 1, 5m, Tomorrow, 1))).Trades);

        var cleared = await (await buyer.Client.Send(HttpMethod.Patch, "/v1/members/me", """{"preferences":{"preferredCounterparties":[]}}"""))
            .Read<MemberDto>(HttpStatusCode.OK);

        Assert.Empty(cleared.PreferredCounterparties);
        Assert.Empty((await buyer.Client.Get<MemberDto>("/v1/members/me")).PreferredCounterparties);
        Assert.Equal("https://hooks.example/on", cleared.WebhookUrl);
        Assert.Equal("192.0.2.11:7000", cleared.Address);
        Assert.Single((await buyer.PlaceNeed(Need(market, 1, 5m, Tomorrow, 1))).Trades);
    }

    /// <summary>A member with every field of its profile set, preferring a member that never trades.</summary>
    private static async Task<Trader> Profiled(Infrastructure.ExchangeFactory exchange, string name)
    {
        var partner = await exchange.Trader(name + "-partner");
        var trader = await exchange.Trader(name);
        await (await trader.Client.Patch("/v1/members/me", new UpdateMemberRequest(
            Address: "192.0.2.11:7000", Attributes: new Dictionary<string, string> { ["os"] = "linux" },
            Preferences: new PreferencesDto([partner.Id], "https://hooks.example/on", "s1")))).Read<MemberDto>(HttpStatusCode.OK);
        return trader;
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PatchMe_OnlyAddress_LeavesTheRestAsItWas(Store store)
    {
        var exchange = exchanges.For(store);
        var trader = await exchange.Trader("partial");
        var before = await trader.Client.Get<MemberDto>("/v1/members/me");

        var after = await (await trader.Client.Send(HttpMethod.Patch, "/v1/members/me", """{"address":"198.51.100.4"}"""))
            .Read<MemberDto>(HttpStatusCode.OK);

        Assert.Equal("198.51.100.4", after.Address);
        Assert.Equal(before with { Address = "198.51.100.4", Attributes = after.Attributes, PreferredCounterparties = after.PreferredCounterparties }, after);
        Assert.Equal(before.Attributes, after.Attributes);
    }

    [Theory]
    [InlineData(Store.Sqlite, "ftp://hooks.example/x")]
    [InlineData(Store.Sqlite, "hooks.example/x")]
    [InlineData(Store.Sqlite, "/relative/hook")]
    [InlineData(Store.Postgres, "ftp://hooks.example/x")]
    [InlineData(Store.Postgres, "not a url")]
    public async Task PatchMe_WebhookNotHttp_Is400AndChangesNothing(Store store, string url)
    {
        var exchange = exchanges.For(store);
        var trader = await exchange.Trader("webhook");
        var before = await trader.Snapshot();

        var detail = await (await trader.Client.Patch("/v1/members/me", new UpdateMemberRequest(Preferences: new PreferencesDto(WebhookUrl: url))))
            .Problem(HttpStatusCode.BadRequest, "webhook-invalid");

        Assert.Contains("http", detail, StringComparison.Ordinal);
        Assert.Equal(before, await trader.Snapshot());
    }

    [Theory]
    [InlineData(Store.Sqlite, "http://2130706433/hook")]
    [InlineData(Store.Sqlite, "https://[::ffff:0:a00:1]/hook")]
    [InlineData(Store.Sqlite, "https://[64:ff9b::a9fe:a9fe]/latest/meta-data")]
    [InlineData(Store.Sqlite, "https://[2002:c0a8:101::1]/hook")]
    [InlineData(Store.Postgres, "http://0x7f.1/hook")]
    [InlineData(Store.Postgres, "https://[::7f00:1]/hook")]
    [InlineData(Store.Postgres, "https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook")]
    [InlineData(Store.Postgres, "https://printer.localhost/hook")]
    public async Task PatchMe_WebhookAtAnInsideAddress_Is400AndChangesNothing(Store store, string url)
    {
        var exchange = exchanges.For(store);
        var trader = await exchange.Trader("webhook-inside");
        var before = await trader.Snapshot();

        var detail = await (await trader.Client.Patch("/v1/members/me", new UpdateMemberRequest(Preferences: new PreferencesDto(WebhookUrl: url))))
            .Problem(HttpStatusCode.BadRequest, "webhook-invalid");

        Assert.Contains("public addresses", detail, StringComparison.Ordinal);
        Assert.Equal(before, await trader.Snapshot());
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Join_WebhookNotHttp_Is400AndNoMemberIsMade(Store store)
    {
        var exchange = exchanges.For(store);
        using var anonymous = exchange.CreateClient();
        using var admin = exchange.Admin();
        var before = await AllMembers(admin);

        await (await anonymous.Post("/v1/members", new JoinRequest("hooked", Preferences: new PreferencesDto(WebhookUrl: "file:///etc/passwd"))))
            .Problem(HttpStatusCode.BadRequest, "webhook-invalid");

        Assert.Equal(before, await AllMembers(admin));
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PatchMe_ProfileTooLong_Is400AndChangesNothing(Store store)
    {
        var exchange = exchanges.For(store);
        var trader = await exchange.Trader("limits");
        var before = await trader.Snapshot();
        var cases = new (UpdateMemberRequest Update, string Code, string Field)[]
        {
            (new UpdateMemberRequest(Name: new string('n', 101)), "name-invalid", "name"),
            (new UpdateMemberRequest(Name: "   "), "name-invalid", "name"),
            (new UpdateMemberRequest(Address: new string('a', 501)), "address-invalid", "address"),
            (new UpdateMemberRequest(Attributes: new Dictionary<string, string> { ["bad name!"] = "x" }), "attribute-invalid", "bad name!"),
            (new UpdateMemberRequest(Preferences: new PreferencesDto(WebhookUrl: "https://hooks.example/" + new string('p', 2000))), "webhook-invalid", "2000"),
            (new UpdateMemberRequest(Preferences: new PreferencesDto(WebhookSecret: new string('s', 201))), "webhook-invalid", "200"),
        };

        foreach (var (update, code, field) in cases)
        {
            var detail = await (await trader.Client.Patch("/v1/members/me", update)).Problem(HttpStatusCode.BadRequest, code);
            Assert.Contains(field, detail, StringComparison.Ordinal);
        }

        Assert.Equal(before, await trader.Snapshot());
    }

    private static async Task<string> AllMembers(HttpClient admin) =>
        await (await admin.GetAsync("/v1/admin/members?limit=500")).Content.ReadAsStringAsync();

    /// <summary>Everything the store holds, as text: the SQLite files' bytes, or every row of every table on PostgreSQL.</summary>
    private static async Task<string> StoredText(ExchangeFactory exchange)
    {
        if (exchange.Store == Store.Sqlite)
        {
            var text = new StringBuilder();
            foreach (var file in Directory.GetFiles(exchange.DataDirectory, "surplus.db*"))
            {
                await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(stream, Encoding.Latin1);
                text.Append(await reader.ReadToEndAsync());
            }

            return text.ToString();
        }

        var database = exchange.Services.GetRequiredService<IOptions<ServerOptions>>().Value.Database;
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var rows = new StringBuilder();
        foreach (var table in tables)
        {
            await using var select = new NpgsqlCommand($"SELECT t::text FROM \"{table}\" t", connection);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.AppendLine(reader.GetString(0));
            }
        }

        return rows.ToString();
    }
}
