using BenchmarkDotNet.Attributes;
using Surplus.Market;

namespace Surplus.Benchmarks;

/// <summary>
/// (e) Spot offers of one hour arriving against a book of <see cref="RestingNeeds"/> standing needs,
/// nearly every one with a window of its own (starting on any minute of three weeks, 30 to 240
/// minutes long) and bidding below the offers' ask, so nothing trades and the book stays as it is:
/// what an incoming offer pays to find the needs that lie within its spare, as the need book grows.
/// </summary>
[Config(typeof(BenchConfig))]
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 10)]
public class NeedWindowsBenchmarks
{
    public const int Batch = 1_000;

    private readonly List<MarketEvent> events = new(64);
    private MarketEngine engine = null!;
    private PlaceOffer[] offers = null!;

    [Params(1_000, 200_000)]
    public int RestingNeeds { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(3);
        engine = new MarketEngine(Scenario.Market);
        for (var i = 0; i < RestingNeeds; i++)
        {
            var start = Scenario.Now.AddMinutes(60 + random.Next(21 * 24 * 60));
            Scenario.MustApply(engine, new PlaceNeed(new NeedSpec
            {
                Id = new NeedId(i + 1),
                Buyer = new MemberId(1_000_000 + random.Next(500)),
                Rate = new Rate(10),
                Window = Window.Create(start, start.AddMinutes(random.Next(30, 241)), Scenario.Market.Slot).Value,
                Bid = Scenario.Price(0.50m),
            }, Scenario.Now));
        }

        offers = [.. Enumerable.Range(0, Batch).Select(i => new PlaceOffer(new OfferSpec
        {
            Id = new OfferId(i + 1),
            Seller = new MemberId(i + 1),
            Rate = new Rate(100),
            Ask = Scenario.Price(1.00m),
            Mode = OrderMode.Spot,
            Window = Scenario.Hours(1 + random.Next(21 * 24), 1),
        }, Scenario.Now))];
    }

    [Benchmark(Description = "spot offer against resting needs", OperationsPerInvoke = Batch)]
    public int OffersAgainstNeeds()
    {
        var seen = 0;
        foreach (var offer in offers)
        {
            events.Clear();
            engine.Execute(offer, events);
            seen += events.Count;
        }

        return seen;
    }
}
