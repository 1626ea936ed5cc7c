using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Surplus.Protocol;
using Surplus.Server.Tests.Api.OpenApi;
using Surplus.Server.Tests.Durability;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Storage.Fixtures;

/// <summary>
/// A store written by an earlier version of the server, kept in the repository: its data folder
/// (<c>data/surplus.db</c>) and what that version's API showed of it (<c>expected.json</c>). It is
/// made by <see cref="WriteAsync"/>, which drives a real server in process through its HTTP API,
/// and read back by <see cref="StoredFixtureTests"/> with the server as it is now.
/// </summary>
internal static class StoreFixture
{
    /// <summary>The fake clock's start, Monday 08:00 UTC; the state is captured at <see cref="CapturedAt"/>.</summary>
    public static readonly DateTimeOffset Monday = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

    /// <summary>Where the clock stands when the state is captured (and where a reader must start it).</summary>
    public static readonly DateTimeOffset CapturedAt = Monday.AddMinutes(10).AddSeconds(30);

    private static readonly DateTimeOffset Tuesday = Monday.Date.AddDays(1);
    private static readonly DateTimeOffset Saturday = Monday.Date.AddDays(5);

    /// <summary>The engine ticks once a minute of the fake clock, so moving it ten minutes stays cheap.</summary>
    public static readonly Dictionary<string, string?> Settings = new() { ["Surplus:TickMilliseconds"] = "60000" };

    /// <summary>The book's windows captured.</summary>
    public static (string Market, DateTimeOffset Start, DateTimeOffset End)[] Windows =>
    [
        ("compute", Tuesday.AddHours(12), Tuesday.AddHours(18)),
        ("compute", Tuesday.AddHours(13), Tuesday.AddHours(15)),
        ("compute", Saturday.AddHours(6), Saturday.AddHours(12)),
        ("gpu", Monday.AddHours(1), Monday.AddHours(1).AddMinutes(10)),
        ("gpu", Tuesday.AddHours(10), Tuesday.AddHours(11)),
    ];

    /// <summary>The folder of the kept fixture in the repository.</summary>
    public static string Folder(string name) => Path.Combine(ApiSpec.RepositoryRoot(), "tests", "Surplus.Server.Tests", "Storage", "Fixtures", name);

    /// <summary>
    /// Makes a fixture in <paramref name="folder"/> (which must not exist): runs the scenario on a
    /// server over <c>folder/data</c>, captures what the API shows, stops the server and folds
    /// SQLite's write-ahead log into the database file, so that the file alone holds the store.
    /// </summary>
    public static async Task WriteAsync(string folder, string madeBy)
    {
        Assert.False(Directory.Exists(folder), $"{folder} exists; remove it first");
        var data = Path.Combine(folder, "data");
        Directory.CreateDirectory(data);
        var time = new FakeTimeProvider(Monday);
        Dictionary<string, string> keys;
        SortedDictionary<string, string> state;
        await using (var exchange = new ExchangeFactory(Store.Sqlite, time, Settings, dataDirectory: data))
        {
            keys = await Scenario(exchange, time);
            Assert.Equal(CapturedAt, time.GetUtcNow());
            state = await Capture(exchange, keys);
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(data, "surplus.db")}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE; VACUUM;";
            command.ExecuteNonQuery();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var expected = new JsonObject
        {
            ["madeBy"] = madeBy,
            ["capturedAt"] = CapturedAt.ToString("O"),
            ["keys"] = new JsonObject(keys.Select(k => KeyValuePair.Create(k.Key, (JsonNode?)k.Value))),
            ["state"] = new JsonObject(state.Select(s => KeyValuePair.Create(s.Key, JsonNode.Parse(s.Value)))),
        };
        await File.WriteAllTextAsync(Path.Combine(folder, "expected.json"),
            expected.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
    }

    /// <summary>
    /// Everything <see cref="ExchangeState"/> captures, and each member's negotiations and
    /// contracts, listed and one by one, and the operator's list of contracts.
    /// </summary>
    public static async Task<SortedDictionary<string, string>> Capture(ExchangeFactory exchange, IReadOnlyDictionary<string, string> keys)
    {
        var state = await ExchangeState.Capture(exchange, keys, Windows);
        foreach (var (name, key) in keys)
        {
            using var client = exchange.CreateClient(key);
            foreach (var table in new[] { "negotiations", "contracts" })
            {
                var list = await Text(client, $"/v1/{table}?limit=500");
                state[$"{name} {table}"] = list;
                using var doc = JsonDocument.Parse(list);
                foreach (var item in doc.RootElement.GetProperty("items").EnumerateArray())
                {
                    var id = item.GetProperty("id").GetInt64();
                    state[$"{name} {table}/{id}"] = await Text(client, $"/v1/{table}/{id}");
                }
            }
        }

        using var admin = exchange.CreateClient(ExchangeFactory.AdminKey);
        state["admin contracts"] = await Text(admin, "/v1/admin/contracts?limit=500");
        return state;
    }

    /// <summary>
    /// Members with attributes and preferences; offers plain, with attributes, with a hidden minimum
    /// and an expiry, recurring, for preferred buyers, spot, cancelled; needs with constraints, jobs,
    /// each fill policy, a hidden maximum, preferred and excluded sellers, amended, partly and wholly
    /// filled; a negotiation with a counter; contracts matched, accepted, settled, disputed and cancelled.
    /// </summary>
    private static async Task<Dictionary<string, string>> Scenario(ExchangeFactory exchange, FakeTimeProvider time)
    {
        using var admin = exchange.CreateClient(ExchangeFactory.AdminKey);
        (await admin.Post("/v1/admin/markets", new CreateMarketRequest("gpu", "TFLOPS", 60, 0.01m, 250))).EnsureSuccessStatusCode();

        var keys = new Dictionary<string, string>();
        var ids = new Dictionary<string, long>();
        async Task<HttpClient> Join(string name, Dictionary<string, string>? attributes = null)
        {
            var (id, client, key) = await exchange.Join(name, attributes);
            ids[name] = id;
            keys[name] = key;
            return client;
        }

        using var b1 = await Join("b1");
        using var b2 = await Join("b2");
        using var b3 = await Join("b3");
        using var s1 = await Join("s1", new Dictionary<string, string> { ["os"] = "linux", ["cores"] = "8" });
        using var s2 = await Join("s2", new Dictionary<string, string> { ["os"] = "linux" });
        using var s3 = await Join("s3", new Dictionary<string, string> { ["os"] = "windows" });
        (await s3.PatchAsync("/v1/members/me", System.Net.Http.Json.JsonContent.Create(
            new UpdateMemberRequest(Preferences: new PreferencesDto([ids["b3"], ids["b1"]])), options: Infrastructure.Api.Json))).EnsureSuccessStatusCode();
        await exchange.Deposit(ids["b1"], 2_000_000);
        await exchange.Deposit(ids["b2"], 1_000_000);
        await exchange.Deposit(ids["b3"], 3_000_000);
        await exchange.Deposit(ids["s2"], 50_000);

        var job = new JobDto("https://programs.example/render.wasm", "https://results.example/render/", "wasm", "render",
            new string('b', 64), [new JobInputDto("https://data.example/scene.bin", new string('c', 64)), new JobInputDto("https://data.example/textures.bin")]);
        // A program in the exchange's blob store, uploaded by both buyers that name it.
        var program = "\0asm\u0001\0\0\0"u8.ToArray();
        foreach (var buyer in new[] { b2, b3 })
        {
            (await buyer.PutAsync("/v1/blobs", new ByteArrayContent(program))).EnsureSuccessStatusCode();
        }

        var bareJob = new JobDto("blob:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(program)), "blob:");

        // compute: offers of every kind.
        var o1 = await Offer(s1, new PlaceOfferRequest("compute", 100, 10m, Tuesday.AddHours(12), Tuesday.AddHours(18),
            Attributes: new Dictionary<string, string> { ["os"] = "linux", ["speed"] = "3200", ["Network"] = "10gbe" }));
        await Offer(s2, new PlaceOfferRequest("compute", 50, 12m, Tuesday.AddHours(12), Tuesday.AddHours(18), PreferredBuyers: [ids["b2"], ids["b1"]]));
        await Offer(s3, new PlaceOfferRequest("compute", 100, 41.67m,
            Recurrence: new RecurrenceDto("FREQ=WEEKLY;BYDAY=SA", new TimeOnly(0, 0), 1440, "Europe/Zurich")));
        await Offer(s1, new PlaceOfferRequest("compute", 30, 20m, Tuesday.AddHours(20), Tuesday.AddHours(22),
            Expiry: Tuesday.AddHours(19), MinimumPrice: 15m));
        var spot = await Offer(s2, new PlaceOfferRequest("compute", 80, 9m, Tuesday.AddHours(1), Tuesday.AddHours(2), Mode: "spot"));
        Assert.Equal("cancelled", spot.GetProperty("offer").GetProperty("status").GetString());
        var withdrawn = await Offer(s2, new PlaceOfferRequest("compute", 10, 30m, Tuesday.AddHours(3), Tuesday.AddHours(4)));
        (await s2.DeleteAsync($"/v1/offers/{Id(withdrawn, "offer")}")).EnsureSuccessStatusCode();

        // compute: needs against them.
        var n1 = await Need(b1, new PlaceNeedRequest("compute", 40, Tuesday.AddHours(12), Tuesday.AddHours(14), 12m,
            Constraints: ["os = linux", "speed>=2000"], Job: job));
        Assert.Equal(Id(o1, "offer"), Assert.Single(n1.GetProperty("trades").EnumerateArray()).GetProperty("offerId").GetInt64());
        var n2 = await Need(b2, new PlaceNeedRequest("compute", 150, Tuesday.AddHours(13), Tuesday.AddHours(15), 11m, 11.5m,
            Fill: "min-fill", MinimumFill: 20, PreferredSellers: [ids["s2"], ids["s1"]], ExcludedSellers: [ids["s3"]], Job: bareJob));
        Assert.NotEmpty(n2.GetProperty("trades").EnumerateArray());
        await Need(b1, new PlaceNeedRequest("compute", 500, Tuesday.AddHours(15), Tuesday.AddHours(16), 13m, Fill: "all-or-none"));
        var amended = await Need(b2, new PlaceNeedRequest("compute", 20, Tuesday.AddHours(20), Tuesday.AddHours(21), 5m, Expiry: Tuesday.AddHours(19)));
        (await b2.PatchAsync($"/v1/needs/{Id(amended, "need")}", System.Net.Http.Json.JsonContent.Create(
            new AmendOrderRequest(Price: 6m, Rate: 15), options: Infrastructure.Api.Json))).EnsureSuccessStatusCode();
        var filled = await Need(b1, new PlaceNeedRequest("compute", 20, Tuesday.AddHours(16), Tuesday.AddHours(17), 10m, Mode: "spot"));
        Assert.Equal("filled", filled.GetProperty("need").GetProperty("status").GetString());

        // gpu: contracts in several states.
        var soon = Monday.AddMinutes(10);
        var hour = Monday.AddHours(1);
        await Offer(s1, new PlaceOfferRequest("gpu", 300, 12m, soon, soon.AddMinutes(10)));
        await Offer(s2, new PlaceOfferRequest("gpu", 200, 12m, hour, hour.AddMinutes(10)));
        await Offer(s1, new PlaceOfferRequest("gpu", 100, 12m, Tuesday.AddHours(10), Tuesday.AddHours(11)));
        var settled = await Contract(b1, new PlaceNeedRequest("gpu", 100, soon, soon.AddMinutes(10), 12m, Job: job));
        var disputed = await Contract(b2, new PlaceNeedRequest("gpu", 100, soon, soon.AddMinutes(10), 12m, Job: bareJob));
        var accepted = await Contract(b1, new PlaceNeedRequest("gpu", 100, hour, hour.AddMinutes(10), 12m, Job: job));
        var cancelled = await Contract(b3, new PlaceNeedRequest("gpu", 100, hour, hour.AddMinutes(10), 12m, Job: bareJob));
        await Contract(b3, new PlaceNeedRequest("gpu", 100, Tuesday.AddHours(10), Tuesday.AddHours(11), 12m, Job: job));

        foreach (var id in new[] { settled, disputed })
        {
            await Move(s1, id, "accept");
            await Move(s1, id, "stage");
        }

        await Move(s2, accepted, "accept");
        await Move(b3, cancelled, "cancel");
        time.Advance(soon - time.GetUtcNow());
        var delivery = new DeliveryDto("https://results.example/render/out.tar", new string('d', 64), 0, 540_000, 12_345_678, 64L << 20);
        foreach (var id in new[] { settled, disputed })
        {
            await Move(s1, id, "start");
            await Move(s1, id, "heartbeat");
            await Move(s1, id, "deliver", delivery);
        }

        await Move(b1, settled, "confirm");
        await Move(b2, disputed, "reject", new ContractReasonRequest("the archive is empty"));
        // The payroll example, late enough that its negotiation is open when captured: they do not
        // cross, so they negotiate; the buyer counters once.
        var payroll = await Need(b3, new PlaceNeedRequest("compute", 100, Saturday.AddHours(6), Saturday.AddHours(12), 16.67m));
        var negotiation = payroll.GetProperty("negotiation").GetProperty("negotiationId").GetInt64();
        await (await b3.Post($"/v1/negotiations/{negotiation}/counter", new CounterRequest(20m, 0))).Read<JsonElement>(HttpStatusCode.OK);

        time.Advance(CapturedAt - time.GetUtcNow());
        return keys;
    }

    private static async Task<JsonElement> Offer(HttpClient client, PlaceOfferRequest offer) =>
        await (await client.Post("/v1/offers", offer)).Read<JsonElement>(HttpStatusCode.Created);

    private static async Task<JsonElement> Need(HttpClient client, PlaceNeedRequest need) =>
        await (await client.Post("/v1/needs", need)).Read<JsonElement>(HttpStatusCode.Created);

    /// <summary>Places a need that trades at once and gives the id of its contract.</summary>
    private static async Task<long> Contract(HttpClient buyer, PlaceNeedRequest need)
    {
        var placed = await Need(buyer, need);
        var trade = Assert.Single(placed.GetProperty("trades").EnumerateArray()).GetProperty("id").GetInt64();
        var page = await (await buyer.GetAsync("/v1/contracts?limit=500")).Read<JsonElement>(HttpStatusCode.OK);
        return page.GetProperty("items").EnumerateArray()
            .Single(c => c.GetProperty("market").GetString() == need.Market && c.GetProperty("tradeId").GetInt64() == trade).GetProperty("id").GetInt64();
    }

    private static async Task Move(HttpClient client, long contract, string action, object? body = null)
    {
        var response = body is null ? await client.PostAsync($"/v1/contracts/{contract}/{action}", null) : await client.Post($"/v1/contracts/{contract}/{action}", body);
        Assert.True(response.IsSuccessStatusCode, $"{action} of contract {contract}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static long Id(JsonElement placed, string side) => placed.GetProperty(side).GetProperty("id").GetInt64();

    private static async Task<string> Text(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
        return body;
    }
}

/// <summary>Writes a new store fixture when asked (SURPLUS_WRITE_STORE_FIXTURE names the folder); see Fixtures/README.md.</summary>
public sealed class StoreFixtureWriter
{
    [Fact]
    public async Task Write_WhenAsked_MakesTheFixtureFolder()
    {
        if (Environment.GetEnvironmentVariable("SURPLUS_WRITE_STORE_FIXTURE") is not { Length: > 0 } name)
        {
            return;
        }

        var folder = StoreFixture.Folder(name);
        await StoreFixture.WriteAsync(folder, Environment.GetEnvironmentVariable("SURPLUS_STORE_FIXTURE_MADE_BY") ?? name);
        Assert.True(File.Exists(Path.Combine(folder, "data", "surplus.db")));
    }
}
