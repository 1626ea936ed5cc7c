using System.Text.Json;
using Dapper;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Storage;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Storage;

/// <summary>
/// Migration 13 rewrites orders stored as their HTTP requests as order records, with every field;
/// taken back to migration 12 they are the requests again, as a server of that version reads them.
/// </summary>
public sealed class OrderRecordsMigrationTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    /// <summary>Requests as migration 12's server stored them: without empty fields, or (older rows) with them as nulls.</summary>
    private static readonly (long Id, string Spec)[] Offers =
    [
        (1, """{"market":"compute","rate":100,"ask":10.50,"start":"2026-11-24T09:00:00+00:00","end":"2026-11-24T13:00:00+00:00","mode":"Standing","expiry":"2026-11-24T08:00:00+00:00","minimumPrice":9,"attributes":{"os":"linux","reliability":"0.9"},"preferredBuyers":[7,3]}"""),
        (2, """{"market":"compute","rate":100,"ask":41.67,"start":null,"end":null,"recurrence":{"rule":"FREQ=WEEKLY;BYDAY=SA","start":"06:30:00","durationMinutes":1440,"timeZone":"Europe/Zurich","firstDate":"2026-11-28"},"mode":"standing","expiry":null,"minimumPrice":null,"attributes":null,"preferredBuyers":null}"""),
    ];

    private static readonly (long Id, string Spec)[] Needs =
    [
        (1, """{"market":"compute","rate":40,"start":"2026-11-24T12:00:00+00:00","end":"2026-11-24T14:00:00+00:00","bid":12,"maximumPrice":14,"mode":"spot","fill":"MIN-FILL","minimumFill":10,"expiry":"2026-11-24T11:00:00+00:00","constraints":["os = linux","speed\u003E=2000"],"preferredSellers":[5,4],"job":{"program":"https://programs.example/render.wasm","results":"blob:","runtime":"wasm","programName":"render","programSha256":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","inputs":[{"location":"https://data.example/scene.bin","sha256":null},{"location":"https://data.example/t.bin","sha256":"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"}]},"excludedSellers":[6]}"""),
        (2, """{"market":"compute","rate":500,"start":"2026-11-24T15:00:00+00:00","end":"2026-11-24T16:00:00+00:00","bid":13,"maximumPrice":null,"mode":"standing","fill":"all-or-none","minimumFill":null,"expiry":null,"constraints":null,"preferredSellers":null,"job":{"program":"blob:93a44bbb96c751218e4c00d479e4c14358122a389acca16205b1e4d0dc5f9476","results":"blob:","runtime":"wasm","programName":null,"programSha256":null,"inputs":null},"excludedSellers":null}"""),
    ];

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task OrdersOfMigration12_BecomeRecords_AndDownAgainRequests(Store store)
    {
        using var scratch = new ScratchStore(store, 12);
        var database = scratch.Database;
        await using (var c = await database.OpenAsync())
        {
            foreach (var (id, spec) in Offers)
            {
                await c.ExecuteAsync("INSERT INTO offers (id, market, member_id, status, spec, state, created_at, updated_at) VALUES (@id, 'compute', 2, 'open', @spec, '{}', 0, 0)",
                    new { id, spec });
            }

            foreach (var (id, spec) in Needs)
            {
                await c.ExecuteAsync("INSERT INTO needs (id, market, member_id, status, spec, state, held, created_at, updated_at) VALUES (@id, 'compute', 3, 'open', @spec, '{}', 0, 0, 0)",
                    new { id, spec });
            }
        }

        SchemaMigrator.Migrate(database);
        await using (var c = await database.OpenAsync())
        {
            var offers = (await c.QueryAsync<string>("SELECT spec FROM offers ORDER BY id")).Select(StoredOrders.ReadOffer).ToList();
            Assert.Equal(new StoredOffer(100, 10.50m, Start, Start.AddHours(4), null, "standing", Start.AddHours(-1), 9m), offers[0] with { Attributes = null, PreferredBuyers = null });
            Assert.Equal(new Dictionary<string, string> { ["os"] = "linux", ["reliability"] = "0.9" }, offers[0].Attributes);
            Assert.Equal(new long[] { 7, 3 }, offers[0].PreferredBuyers);
            Assert.Equal(new StoredRecurrence("FREQ=WEEKLY;BYDAY=SA", new DateOnly(2026, 11, 28), new TimeOnly(6, 30), TimeSpan.FromDays(1), "Europe/Zurich"), offers[1].Recurrence);
            Assert.Equal((41.67m, "standing"), (offers[1].Ask, offers[1].Mode));
            Assert.NotNull(offers[1].ToSpec(2, 2).Recurrence);

            var needs = (await c.QueryAsync<string>("SELECT spec FROM needs ORDER BY id")).Select(StoredOrders.ReadNeed).ToList();
            var first = needs[0];
            Assert.Equal((40L, Start.AddHours(3), Start.AddHours(5), 12m, (decimal?)14m, "spot", "min-fill", (long?)10, (DateTimeOffset?)Start.AddHours(2)),
                (first.Rate, first.Start, first.End, first.Bid, first.MaximumPrice, first.Mode, first.Fill, first.MinimumFill, first.Expiry));
            Assert.Equal(new[] { "os = linux", "speed>=2000" }, first.Constraints);
            Assert.Equal(new long[] { 5, 4 }, first.PreferredSellers);
            Assert.Equal(new long[] { 6 }, first.ExcludedSellers);
            Assert.Equal(new JobDto("https://programs.example/render.wasm", "blob:", "wasm", "render", new string('b', 64),
                [new JobInputDto("https://data.example/scene.bin"), new JobInputDto("https://data.example/t.bin", new string('c', 64))]),
                NeedRow.ToJobDto(first.Job), new JobComparer());
            Assert.Equal(Surplus.Market.FillKind.MinimumFill, first.ToSpec(1, 3).Fill.Kind);
            Assert.Equal(("all-or-none", (IReadOnlyList<string>?)null, (IReadOnlyList<JobInputDto>?)null), (needs[1].Fill, needs[1].Constraints, NeedRow.ToJobDto(needs[1].Job)!.Inputs));
        }

        SchemaMigrator.MigrateDown(database, 12);
        await using (var c = await database.OpenAsync())
        {
            var offers = (await c.QueryAsync<string>("SELECT spec FROM offers ORDER BY id")).Select(Json.Read<PlaceOfferRequest>).ToList();
            var needs = (await c.QueryAsync<string>("SELECT spec FROM needs ORDER BY id")).Select(Json.Read<PlaceNeedRequest>).ToList();
            Assert.Equal(Normal(Json.Read<PlaceOfferRequest>(Offers[0].Spec) with { Mode = "standing" }), Normal(offers[0]));
            Assert.Equal(Normal(Json.Read<PlaceOfferRequest>(Offers[1].Spec)), Normal(offers[1]));
            Assert.Equal(Normal(Json.Read<PlaceNeedRequest>(Needs[0].Spec) with { Fill = "min-fill" }), Normal(needs[0]));
            Assert.Equal(Normal(Json.Read<PlaceNeedRequest>(Needs[1].Spec)), Normal(needs[1]));
        }

        SchemaMigrator.Migrate(database);
    }

    /// <summary>A request's JSON with its nulls left out: two requests are the same when these are.</summary>
    private static string Normal<T>(T request) =>
        JsonSerializer.Serialize(request, new JsonSerializerOptions(Json.Options) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull });

    private sealed class JobComparer : IEqualityComparer<JobDto?>
    {
        public bool Equals(JobDto? x, JobDto? y) => Normal(x) == Normal(y);

        public int GetHashCode(JobDto? obj) => 0;
    }
}
