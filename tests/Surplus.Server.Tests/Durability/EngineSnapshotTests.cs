using System.Net;
using System.Net.Http.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Storage;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Durability;

/// <summary>
/// The engine snapshot written at a clean stop (docs/architecture.md, "Reading the markets back"):
/// a start from it rebuilds exactly what a start from the rows does; it is not read once a batch
/// was stored after it (as a start after a crash finds the store), nor when it is damaged or cut.
/// </summary>
public sealed class EngineSnapshotTests
{
    private static readonly DateTimeOffset Monday = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Friday = Monday.Date.AddDays(4);
    private static readonly DateTimeOffset Saturday = Monday.Date.AddDays(5);

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Restart_FromTheSnapshot_RebuildsWhatTheRowsRebuild(Store store)
    {
        await using var exchange = new ExchangeFactory(store, new FakeTimeProvider(Monday));
        await Fill(exchange);
        var running = Memory(exchange);

        await exchange.Restart();

        // The markets that never stored a batch have nothing to read, and no snapshot.
        Assert.Equal("snapshot", Compute(exchange).Memory.LoadedFrom);
        var fromSnapshot = Memory(exchange);
        Assert.Equal(running, fromSnapshot);

        await exchange.Restart(whileStopped: () => Directory.Delete(Snapshots(exchange), recursive: true));
        Assert.All(Hosts(exchange), h => Assert.Equal("rows", h.Memory.LoadedFrom));
        Assert.Equal(fromSnapshot, Memory(exchange));

        // And it trades on as before: a new need meets the cheap offer that rested across both.
        var (lateId, late, _) = await exchange.Join("late-buyer");
        await exchange.Deposit(lateId, 1_000_000);
        var need = await (await late.Post("/v1/needs", new PlaceNeedRequest("compute", 5, Friday.AddHours(12), Friday.AddHours(13), 20m)))
            .Read<NeedResultDto>(HttpStatusCode.Created);
        Assert.Equal(10.50m, Assert.Single(need.Trades).Price);
    }

    /// <summary>
    /// A batch stored after the snapshot clears the store's mark of it in the batch's own
    /// transaction: an exchange started on the store while the first still runs (as a start after
    /// kill -9 finds it) reads the rows, and finds the order the batch acknowledged.
    /// </summary>
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Snapshot_BatchStoredAfterIt_IsNotReadAndTheRowsAre(Store store)
    {
        await using var exchange = new ExchangeFactory(store, new FakeTimeProvider(Monday));
        var buyerKey = await Fill(exchange);
        await exchange.Restart();
        using var buyer = exchange.CreateClient(buyerKey);
        Assert.Equal("snapshot", Compute(exchange).Memory.LoadedFrom);
        Assert.NotNull(await Mark(exchange));

        var need = await (await buyer.Post("/v1/needs", new PlaceNeedRequest("compute", 7, Friday.AddHours(20), Friday.AddHours(21), 3m)))
            .Read<NeedResultDto>(HttpStatusCode.Created);
        Assert.Null(await Mark(exchange));
        Assert.True(File.Exists(EngineSnapshotFile.PathOf(Snapshots(exchange), "compute")), "the stop's snapshot stays on disk; the store no longer names it");

        await using var afterCrash = new ExchangeFactory(store, exchange.Time, dataDirectory: exchange.DataDirectory, postgresDatabase: exchange.PostgresDatabase);
        _ = afterCrash.Services.GetRequiredService<MarketRegistry>();
        using (afterCrash.CreateClient())
        {
            // The client starts the server, and with it the markets' read back.
        }

        Assert.Equal("rows", Compute(afterCrash).Memory.LoadedFrom);
        Assert.Contains(need.Need.Id, Compute(afterCrash).Memory.OpenNeeds.Keys);
        Assert.Equal(MemoryText.Of(Compute(exchange).Memory), MemoryText.Of(Compute(afterCrash).Memory));
    }

    public enum Damage
    {
        Missing,
        Empty,
        CutInHalf,
        CutBeforeTheChecksum,
        ByteChangedInAnOrder,
        ByteChangedInTheChecksum,
        AnotherStopsFile,
    }

    [Theory]
    [InlineData(Store.Sqlite, Damage.Missing)]
    [InlineData(Store.Sqlite, Damage.Empty)]
    [InlineData(Store.Sqlite, Damage.CutInHalf)]
    [InlineData(Store.Sqlite, Damage.CutBeforeTheChecksum)]
    [InlineData(Store.Sqlite, Damage.ByteChangedInAnOrder)]
    [InlineData(Store.Sqlite, Damage.ByteChangedInTheChecksum)]
    [InlineData(Store.Sqlite, Damage.AnotherStopsFile)]
    [InlineData(Store.Postgres, Damage.CutInHalf)]
    [InlineData(Store.Postgres, Damage.ByteChangedInAnOrder)]
    public async Task Snapshot_DamagedCutOrNotTheStoresOwn_IsIgnoredAndTheRowsAreRead(Store store, Damage damage)
    {
        await using var exchange = new ExchangeFactory(store, new FakeTimeProvider(Monday));
        await Fill(exchange);
        var running = Memory(exchange);
        var path = EngineSnapshotFile.PathOf(Snapshots(exchange), "compute");
        byte[]? earlier = null;
        if (damage == Damage.AnotherStopsFile)
        {
            // The file of an earlier stop, on a store that has the same orders since: another token.
            await exchange.Restart();
            earlier = await File.ReadAllBytesAsync(path);
        }

        await exchange.Restart(whileStopped: () =>
        {
            var bytes = File.ReadAllBytes(path);
            switch (damage)
            {
                case Damage.Missing:
                    File.Delete(path);
                    break;
                case Damage.Empty:
                    File.WriteAllBytes(path, []);
                    break;
                case Damage.CutInHalf:
                    File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
                    break;
                case Damage.CutBeforeTheChecksum:
                    File.WriteAllBytes(path, bytes[..^32]);
                    break;
                case Damage.ByteChangedInAnOrder:
                    bytes[bytes.Length * 2 / 3] ^= 0x10;
                    File.WriteAllBytes(path, bytes);
                    break;
                case Damage.ByteChangedInTheChecksum:
                    bytes[^5] ^= 0x01;
                    File.WriteAllBytes(path, bytes);
                    break;
                case Damage.AnotherStopsFile:
                    File.WriteAllBytes(path, earlier!);
                    break;
            }
        });

        Assert.Equal("rows", Compute(exchange).Memory.LoadedFrom);
        Assert.Equal(running, Memory(exchange));
    }

    /// <summary>
    /// Members with attributes and preferences; one-off offers with attributes, hidden minimums,
    /// expiries and preferred buyers, a recurring offer, an offer amended; needs with jobs,
    /// constraints, hidden maximums, each fill policy and expiries, partly filled, amended, and one
    /// negotiating (the payroll example). Returns a buyer's key.
    /// </summary>
    private static async Task<string> Fill(ExchangeFactory exchange)
    {
        var (buyerId, buyer, buyerKey) = await exchange.Join("buyer");
        var (payrollId, payroll, _) = await exchange.Join("payroll");
        var (linuxId, linux, _) = await exchange.Join("linux-seller", new Dictionary<string, string> { ["os"] = "linux", ["speed"] = "2000.50" });
        var (weekendId, weekend, _) = await exchange.Join("weekend-seller");
        await exchange.Deposit(buyerId, 50_000_000);
        await exchange.Deposit(payrollId, 50_000_000);

        async Task<long> Offer(HttpClient seller, PlaceOfferRequest request) =>
            (await (await seller.Post("/v1/offers", request)).Read<OfferResultDto>(HttpStatusCode.Created)).Offer.Id;

        async Task<NeedResultDto> Need(HttpClient member, PlaceNeedRequest request) =>
            await (await member.Post("/v1/needs", request)).Read<NeedResultDto>(HttpStatusCode.Created);

        var cheap = await Offer(linux, new PlaceOfferRequest("compute", 100, 10.50m, Friday.AddHours(8), Friday.AddHours(18),
            Expiry: new DateTimeOffset(2026, 11, 27, 15, 30, 0, TimeSpan.FromHours(2)), MinimumPrice: 9.25m,
            Attributes: new Dictionary<string, string> { ["os"] = "linux", ["gpu"] = "none", ["zone"] = "zürich" }));
        await Offer(linux, new PlaceOfferRequest("compute", 40, 12.000m, Friday.AddHours(9), Friday.AddHours(11), PreferredBuyers: [buyerId]));
        await Offer(weekend, new PlaceOfferRequest("compute", 100, 41.67m,
            Recurrence: new RecurrenceDto("FREQ=WEEKLY;BYDAY=SA", new TimeOnly(0, 0), 1440, "Europe/Zurich")));
        var amended = await Offer(weekend, new PlaceOfferRequest("compute", 30, 20m, Friday.AddHours(12), Friday.AddHours(14)));
        (await weekend.PatchAsJsonAsync($"/v1/offers/{amended}", new AmendOrderRequest(Price: 19.5m, Rate: 25), Infrastructure.Api.Json)).EnsureSuccessStatusCode();

        // A trade that leaves the cheap offer open, and needs that rest with everything a need can carry.
        var traded = await Need(buyer, new PlaceNeedRequest("compute", 30, Friday.AddHours(9), Friday.AddHours(10), 11m, Constraints: ["os = linux"],
            Job: new JobDto("https://example.org/job.wasm", "https://example.org/results/", ProgramName: "job", Inputs: [new JobInputDto("https://example.org/in.dat", new string('a', 64))])));
        Assert.Equal(cheap, Assert.Single(traded.Trades).OfferId);
        await Need(buyer, new PlaceNeedRequest("compute", 500, Friday.AddHours(15), Friday.AddHours(16), 9m, Fill: "all-or-none",
            Expiry: new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.FromHours(-5)), Job: new JobDto("https://example.org/a.wasm", "https://example.org/r/")));
        var minFill = await Need(buyer, new PlaceNeedRequest("compute", 80, Friday.AddHours(19), Friday.AddHours(20), 4.10m, MaximumPrice: 5m, Fill: "min-fill", MinimumFill: 20,
            Constraints: ["speed >= 1000", "gpu != nvidia"], PreferredSellers: [linuxId, weekendId], ExcludedSellers: [payrollId]));
        (await buyer.PatchAsJsonAsync($"/v1/needs/{minFill.Need.Id}", new AmendOrderRequest(Price: 4.5m), Infrastructure.Api.Json)).EnsureSuccessStatusCode();

        // The payroll example: they do not cross, so they negotiate, and the need rests.
        var waiting = await Need(payroll, new PlaceNeedRequest("compute", 100, Saturday.AddHours(6), Saturday.AddHours(12), 16.67m));
        Assert.NotNull(waiting.Negotiation);
        return buyerKey;
    }

    private static List<MarketHost> Hosts(ExchangeFactory exchange) => [.. exchange.Services.GetRequiredService<MarketRegistry>().All()];

    private static MarketHost Compute(ExchangeFactory exchange) => exchange.Services.GetRequiredService<MarketRegistry>().Find("compute")!;

    private static string Memory(ExchangeFactory exchange) =>
        string.Join("\n", Hosts(exchange).OrderBy(h => h.Definition.Id, StringComparer.Ordinal).Select(h => $"market {h.Definition.Id}\n{MemoryText.Of(h.Memory)}"));

    private static string Snapshots(ExchangeFactory exchange) => Path.Combine(exchange.DataDirectory, "snapshots");

    /// <summary>The token of the snapshot the store names for the compute market, or null.</summary>
    private static async Task<string?> Mark(ExchangeFactory exchange)
    {
        await using var c = await exchange.Services.GetRequiredService<Database>().OpenAsync();
        return await c.ExecuteScalarAsync<string?>("SELECT snapshot FROM engine_state WHERE market = 'compute'");
    }
}
