using CsCheck;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Storage;
using Surplus.Market;

namespace Surplus.Server.Tests.Durability;

/// <summary>
/// The snapshot file against the rows, over generated books: every field an order's record and
/// state can hold, at its extremes (the largest decimals and longs, prices of every scale, times
/// with offsets, texts of any script, empty and missing lists, recurrences in several zones). A
/// book read back from its snapshot must give the same engine and the same rows as the book read
/// back from its rows' JSON.
/// </summary>
public sealed class EngineSnapshotFileTests
{
    private static readonly MarketDefinition Market = new() { Id = "compute", Unit = "MFLOPS" };

    private static readonly decimal[] Prices = [0.01m, 1m, 10.00m, 41.67m, 0.0001m, 12.500m, 79228162514264337593543950335m, 1234567.891m];
    // A need's hold is its price over its window in minor units, which the largest decimal would overflow (the market bounds prices far below).
    private static readonly decimal[] Bids = [0.01m, 1m, 10.00m, 41.67m, 0.0001m, 12.500m, 1234567.891m];
    private static readonly TimeSpan[] Offsets = [TimeSpan.Zero, TimeSpan.FromHours(14), TimeSpan.FromHours(-12), new(5, 45, 0)];
    private static readonly string[] Names = ["os", "speed", "zone", "reliability", "ünïcödé-näme"];
    private static readonly string[] Values = ["linux", "2000", "0.9999", "", "zürich 日本", "<b>fast</b>", new('x', 256)];
    private static readonly string[] Zones = ["Europe/Zurich", "America/New_York", "UTC", "Asia/Kathmandu"];
    private static readonly string[] Constraints = ["os=linux", "speed>=2000", "zone != zürich", "a<1", "os" + new string(' ', 40) + "= linux"];

    [Fact]
    public void Read_GeneratedBooks_GivesWhatTheRowsGive()
    {
        Gen.Int.Sample(seed =>
        {
            var random = new Random(seed);
            var (offerRows, needRows) = Book(random);

            // From the rows, as a start after a crash reads them.
            var fromRows = offerRows.Select(o => MarketMemory.ReadOffer(Market.Id, o.Id, o.Member, o.Spec, o.State, o.CreatedAt, o.UpdatedAt)).ToList();
            var needsFromRows = needRows.Select(n => MarketMemory.ReadNeed(
                Market, n.Id, n.Member, StoredOrders.ReadNeed(System.Text.Encoding.UTF8.GetString(n.Spec)), Json.Read<NeedStateJson>(n.State), n.Held, n.CreatedAt, n.UpdatedAt)).ToList();
            var engine = Restore(fromRows.Select(o => o.State), needsFromRows.Select(n => n.Item1));

            // Written from that engine and those rows, as a clean stop writes it, and read back.
            var stamp = new EngineSnapshotFile.Stamp(Guid.NewGuid(), 14, Market.Id, 42, 10_000, 7);
            var rows = fromRows.ToDictionary(o => o.Row.Id, o => o.Row);
            using var file = new MemoryStream();
            EngineSnapshotFile.Write(file, stamp, rows.Count, engine.Offers.Select(o => (rows[o.Spec.Id.Value], o)), needsFromRows.Count, needsFromRows.Select(n => (n.Item2, n.Item1)));
            file.Position = 0;
            var book = EngineSnapshotFile.Read(file, stamp, (a, b, c, d, e, f, g) => MarketMemory.ReadNeed(Market, a, b, c, d, e, f, g), out var why);
            Assert.True(book is not null, why);

            Assert.Equal(MemoryText.Of(engine), MemoryText.Of(Restore(book.Offers, book.Needs)));
            Assert.Equal(
                string.Join("\n", fromRows.Select(o => o.Row).OrderBy(r => r.Id).Select(MemoryText.Of).Concat(needsFromRows.Select(n => n.Item2).OrderBy(r => r.Id).Select(MemoryText.Of))),
                string.Join("\n", book.OfferRows.OrderBy(r => r.Id).Select(MemoryText.Of).Concat(book.NeedRows.OrderBy(r => r.Id).Select(MemoryText.Of))));
        }, iter: 200);
    }

    private static MarketEngine Restore(IEnumerable<OfferState> offers, IEnumerable<NeedState> needs) =>
        MarketEngine.Restore(Market, new EngineSnapshot(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), 10_000, 7, [.. offers], [.. needs]));

    private sealed record Row(long Id, long Member, byte[] Spec, byte[] State, long Held, long CreatedAt, long UpdatedAt);

    /// <summary>Up to 30 offers and 30 needs as their rows hold them, with unique sequences below 10,000.</summary>
    private static (List<Row> Offers, List<Row> Needs) Book(Random random)
    {
        var sequences = Enumerable.Range(1, 9_999).OrderBy(_ => random.Next()).ToArray();
        var used = 0;
        var offers = new List<Row>();
        for (var i = random.Next(31); i > 0; i--)
        {
            var id = random.NextInt64(1, long.MaxValue);
            var start = Minute(random);
            var end = start.AddMinutes(random.Next(1, 600_000));
            var recurring = random.Next(4) == 0;
            var record = new StoredOffer(
                random.NextInt64(1, long.MaxValue), Pick(random, Prices),
                recurring ? null : start, recurring ? null : end,
                recurring ? new StoredRecurrence("FREQ=WEEKLY;BYDAY=SA", DateOnly.FromDateTime(start.UtcDateTime), new TimeOnly(random.Next(24), 0), TimeSpan.FromMinutes(random.Next(1, 1440)), Pick(random, Zones)) : null,
                random.Next(5) == 0 ? StoredOrders.Spot : StoredOrders.Standing,
                random.Next(2) == 0 ? null : new DateTimeOffset(Minute(random).UtcDateTime.Ticks, TimeSpan.Zero).ToOffset(Pick(random, Offsets)),
                random.Next(2) == 0 ? null : Pick(random, Prices),
                random.Next(3) == 0 ? null : Enumerable.Range(0, random.Next(1, 5)).Select(_ => Pick(random, Names)).Distinct().ToDictionary(n => n, _ => Pick(random, Values)),
                random.Next(3) == 0 ? null : [.. Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.NextInt64(1, long.MaxValue)).Distinct().Order()]);
            long[][] capacity = random.Next(5) == 0 ? [] : [[start.UtcTicks, random.NextInt64(0, long.MaxValue)], [end.UtcTicks, 0]];
            long[][] availability = random.Next(5) == 0 ? [] : [[start.UtcTicks, end.UtcTicks]];
            var state = new OfferState(
                new OfferSpec { Id = new OfferId(id), Seller = new MemberId(1), Rate = new Rate(1), Ask = new Price(Pick(random, Prices)) },
                sequences[used++], [.. capacity.Select(c => new CapacitySegment(c[0], c[1]))],
                [.. availability.Select(a => Window.Create(new DateTimeOffset(a[0], TimeSpan.Zero), new DateTimeOffset(a[1], TimeSpan.Zero), TimeSpan.FromTicks(1)).Value)],
                random.NextInt64(long.MaxValue));
            var stateJson = OfferStateJson.From(state) with { Rate = random.NextInt64(1, long.MaxValue) };
            offers.Add(new Row(id, random.NextInt64(1, long.MaxValue), StoredOrders.Write(record), Json.WriteUtf8(stateJson), 0, random.NextInt64(long.MaxValue), random.NextInt64(long.MaxValue)));
        }

        var needs = new List<Row>();
        for (var i = random.Next(31); i > 0; i--)
        {
            var start = Minute(random);
            var fill = random.Next(3);
            var job = random.Next(3) == 0 ? null : new StoredJob(
                "https://example.org/" + Pick(random, Values), "blob:results", random.Next(2) == 0 ? "wasm" : "process",
                random.Next(2) == 0 ? null : Pick(random, Values), random.Next(2) == 0 ? null : new string('a', 64),
                random.Next(3) switch
                {
                    0 => null,
                    1 => [],
                    _ => [new StoredJobInput("file:///in/" + Pick(random, Values)), new StoredJobInput("https://example.org/x", new string('b', 64))],
                });
            var record = new StoredNeed(
                random.NextInt64(1, long.MaxValue), start, start.AddMinutes(random.Next(1, 600_000)).ToOffset(Pick(random, Offsets)), Pick(random, Bids),
                random.Next(2) == 0 ? null : Pick(random, Bids),
                random.Next(5) == 0 ? StoredOrders.Spot : StoredOrders.Standing,
                fill switch { 0 => StoredOrders.Divisible, 1 => StoredOrders.MinFill, _ => StoredOrders.AllOrNone },
                fill == 1 ? random.NextInt64(0, long.MaxValue) : null,
                random.Next(2) == 0 ? null : Minute(random).ToOffset(Pick(random, Offsets)),
                random.Next(3) == 0 ? null : [.. Enumerable.Range(0, random.Next(1, 4)).Select(_ => Pick(random, Constraints))],
                random.Next(3) == 0 ? null : [random.NextInt64(1, long.MaxValue)],
                random.Next(3) == 0 ? null : [random.NextInt64(1, long.MaxValue), 1],
                job);
            var state = new NeedStateJson(sequences[used++], Pick(random, Bids), random.NextInt64(0, long.MaxValue));
            needs.Add(new Row(random.NextInt64(1, long.MaxValue), random.NextInt64(1, long.MaxValue), StoredOrders.Write(record), Json.WriteUtf8(state),
                random.NextInt64(long.MinValue, long.MaxValue), random.NextInt64(long.MaxValue), random.NextInt64(long.MaxValue)));
        }

        return (offers, needs);
    }

    /// <summary>A minute between the years 2000 and 9000.</summary>
    private static DateTimeOffset Minute(Random random) =>
        new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(random.NextInt64(0, 7000L * 365 * 24 * 60));

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];
}
