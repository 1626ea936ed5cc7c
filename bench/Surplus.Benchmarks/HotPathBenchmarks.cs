using BenchmarkDotNet.Attributes;
using Surplus.Market;

namespace Surplus.Benchmarks;

/// <summary>
/// (c) The matching hot path alone: capacity queries and changes on one offer's profile, and
/// an incoming need that scans a warmed book of 10,000 offers without finding a seller (so the
/// book does not change between operations). None of these should allocate beyond the events
/// the engine hands back.
/// </summary>
[Config(typeof(BenchConfig))]
[MemoryDiagnoser]
[ShortRunJob]
public class HotPathBenchmarks
{
    private readonly List<MarketEvent> events = new(8);
    private CapacityProfile daily = null!;
    private CapacityProfile single = null!;
    private long queryStart;
    private long queryEnd;
    private Window taken;
    private MarketEngine book = null!;
    private PlaceNeed unmatched = null!;

    [GlobalSetup]
    public void Setup()
    {
        // A daily 18:00-06:00 offer over the eight-week horizon: 57 occurrences, 114 segments.
        daily = new CapacityProfile();
        for (var day = 0; day < 57; day++)
        {
            var w = Scenario.Hours((24 * day) + 18, 12);
            daily.Set(w.StartTicks, w.EndTicks, 500);
        }

        var query = Scenario.Hours((24 * 30) + 20, 6);
        (queryStart, queryEnd) = (query.StartTicks, query.EndTicks);

        // One 72-hour window; a 6-hour fill in its middle splits it in three, and Set joins it again.
        var whole = Scenario.Hours(1, 72);
        taken = Scenario.Hours(44, 6);
        single = new CapacityProfile();
        single.Set(whole.StartTicks, whole.EndTicks, 1_000);

        book = Scenario.Book(BookBenchmarks.Offers, seed: 1);
        unmatched = new PlaceNeed(new NeedSpec
        {
            Id = new NeedId(1), Buyer = new MemberId(1_000_000), Rate = new Rate(50), Window = Scenario.Hours(24 * 7, 4),
            Bid = Scenario.Price(2.50m), Mode = OrderMode.Spot, Constraints = [Scenario.Constraint("os=plan9")],
        }, Scenario.Now);
        events.Clear();
        book.Execute(unmatched, events);
        if (events is not [OrderAccepted, OrderCancelled])
        {
            throw new InvalidOperationException($"unexpected events: {string.Join(", ", events.Select(e => e.GetType().Name))}");
        }
    }

    [Benchmark(Description = "MinSpare, 6 h in 114 segments")]
    public long MinSpare() => daily.MinSpare(queryStart, queryEnd);

    [Benchmark(Description = "Subtract then Set back, 6 h in 72 h")]
    public int SubtractAndRestore()
    {
        single.Subtract(taken.StartTicks, taken.EndTicks, 10);
        var segments = single.SegmentCount;
        single.Set(taken.StartTicks, taken.EndTicks, 1_000);
        return segments;
    }

    [Benchmark(Description = "need scans 10,000 offers, no seller")]
    public int ScanWithoutFill()
    {
        events.Clear();
        book.Execute(unmatched, events);
        return events.Count;
    }
}
