using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Storage.Fixtures;

/// <summary>
/// A data folder written by an earlier version of the server (kept in Fixtures/, see its README)
/// opens with the server as it is now, and every member, order, balance, ledger entry, trade,
/// negotiation, contract and signal reads back through the API as that version showed it.
/// </summary>
public sealed class StoredFixtureTests
{
    public static TheoryData<string> Fixtures => ["store-2f0aebd"];

    [Theory]
    [MemberData(nameof(Fixtures))]
    public async Task Open_StoreOfAnEarlierVersion_ShowsEverythingAsThatVersionDid(string name)
    {
        using var copy = new ScratchFolder("surplus-fixture-");
        var (expected, keys, at) = Copy(name, copy.Path);
        await using var exchange = new ExchangeFactory(Store.Sqlite, new FakeTimeProvider(at), StoreFixture.Settings, dataDirectory: copy.Path);

        var actual = await StoreFixture.Capture(exchange, keys);

        Assert.Equal(expected.Select(e => e.Key).Order(StringComparer.Ordinal), actual.Keys);
        foreach (var (key, value) in expected)
        {
            var read = JsonNode.Parse(actual[key]);
            if (!JsonNode.DeepEquals(value, read))
            {
                throw new Xunit.Sdk.XunitException($"{name}: '{key}' differs\nexpected: {value?.ToJsonString()}\nactual:   {read?.ToJsonString()}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public async Task Open_StoreOfAnEarlierVersion_TradesOnWithItsOrders(string name)
    {
        using var copy = new ScratchFolder("surplus-fixture-");
        var (_, keys, at) = Copy(name, copy.Path);
        await using var exchange = new ExchangeFactory(Store.Sqlite, new FakeTimeProvider(at), StoreFixture.Settings, dataDirectory: copy.Path);
        using var b2 = exchange.CreateClient(keys["b2"]);
        using var s1 = exchange.CreateClient(keys["s1"]);
        var offers = await (await s1.GetAsync("/v1/offers?limit=500")).Read<PageDto<OfferDto>>(HttpStatusCode.OK);
        var linux = offers.Items.Single(o => o.Market == "compute" && o.Status == "open" && o.Attributes.ContainsKey("os"));

        // A need whose constraints the stored offer's attributes satisfy trades with it at its ask.
        var placed = await (await b2.Post("/v1/needs", new PlaceNeedRequest("compute", 10, linux.End!.Value.AddHours(-1), linux.End.Value, 50m,
            Constraints: ["os=linux", "speed>=3000"]))).Read<NeedResultDto>(HttpStatusCode.Created);

        var trade = Assert.Single(placed.Trades);
        Assert.Equal(linux.Id, trade.OfferId);
        Assert.Equal(linux.Ask, trade.Price);

        // A stored need is cancelled and its hold goes back.
        var needs = await (await b2.GetAsync("/v1/needs?limit=500")).Read<PageDto<NeedDto>>(HttpStatusCode.OK);
        var resting = needs.Items.First(n => n.Status == "open" && n.Id != placed.Need.Id);
        var before = await (await b2.GetAsync("/v1/account")).Read<AccountDto>(HttpStatusCode.OK);
        (await b2.DeleteAsync($"/v1/needs/{resting.Id}")).EnsureSuccessStatusCode();
        var after = await (await b2.GetAsync("/v1/account")).Read<AccountDto>(HttpStatusCode.OK);
        Assert.Equal(before.HeldMinor - resting.HeldMinor, after.HeldMinor);
        Assert.Equal(before.AvailableMinor + resting.HeldMinor, after.AvailableMinor);
    }

    /// <summary>Copies the fixture's data folder to <paramref name="to"/> and reads what it should show, with the members' keys and the clock.</summary>
    private static (JsonObject State, Dictionary<string, string> Keys, DateTimeOffset At) Copy(string name, string to)
    {
        var folder = StoreFixture.Folder(name);
        var data = Path.Combine(folder, "data");
        foreach (var file in Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(data, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "expected.json")))!.AsObject();
        var keys = expected["keys"]!.AsObject().ToDictionary(k => k.Key, k => k.Value!.GetValue<string>());
        var at = DateTimeOffset.Parse(expected["capturedAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        return (expected["state"]!.AsObject(), keys, at);
    }
}
