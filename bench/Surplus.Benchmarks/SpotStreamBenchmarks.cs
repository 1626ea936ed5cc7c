using BenchmarkDotNet.Attributes;
using Surplus.Market;

namespace Surplus.Benchmarks;

/// <summary>
/// (a) A stream of spot orders on one window with no constraints: each operation is one spot
/// order that trades at once against a large standing order on the other side. The commands are
/// built once and replayed (a spot order never rests, so its id is free again), and the event
/// list is reused, so what is allocated per operation is what the engine itself allocates.
/// </summary>
[Config(typeof(BenchConfig))]
[MemoryDiagnoser]
[ShortRunJob]
public class SpotStreamBenchmarks
{
    private readonly List<MarketEvent> events = new(8);
    private MarketEngine needSide = null!;
    private MarketEngine offerSide = null!;
    private PlaceNeed spotNeed = null!;
    private PlaceOffer spotOffer = null!;

    [GlobalSetup]
    public void Setup()
    {
        var window = Scenario.Hours(1, 6);

        // A standing offer of the market's largest rate: spot needs take 10 each, so it lasts 10^8
        // operations, more than a run makes.
        needSide = new MarketEngine(Scenario.Market);
        Scenario.MustApply(needSide, new PlaceOffer(new OfferSpec
        {
            Id = new OfferId(1), Seller = new MemberId(1), Rate = new Rate(Scenario.Market.MaxRate), Window = window, Ask = Scenario.Price(1.00m),
        }, Scenario.Now));
        spotNeed = new PlaceNeed(new NeedSpec
        {
            Id = new NeedId(1), Buyer = new MemberId(2), Rate = new Rate(10), Window = window, Bid = Scenario.Price(1.50m), Mode = OrderMode.Spot,
        }, Scenario.Now);

        // The mirror: a standing need rests, spot offers of 10 each sell into it.
        offerSide = new MarketEngine(Scenario.Market);
        Scenario.MustApply(offerSide, new PlaceNeed(new NeedSpec
        {
            Id = new NeedId(1), Buyer = new MemberId(2), Rate = new Rate(Scenario.Market.MaxRate), Window = window, Bid = Scenario.Price(1.50m),
        }, Scenario.Now));
        spotOffer = new PlaceOffer(new OfferSpec
        {
            Id = new OfferId(1), Seller = new MemberId(1), Rate = new Rate(10), Window = window, Ask = Scenario.Price(1.00m), Mode = OrderMode.Spot,
        }, Scenario.Now);

        Expect(needSide, spotNeed);
        Expect(offerSide, spotOffer);
    }

    [Benchmark(Description = "spot need takes from a standing offer")]
    public int SpotNeed()
    {
        events.Clear();
        needSide.Execute(spotNeed, events);
        return events.Count;
    }

    [Benchmark(Description = "spot offer sells into a standing need")]
    public int SpotOffer()
    {
        events.Clear();
        offerSide.Execute(spotOffer, events);
        return events.Count;
    }

    /// <summary>Each operation must be accepted, trade once, and leave the spot order filled.</summary>
    private void Expect(MarketEngine engine, MarketCommand command)
    {
        events.Clear();
        engine.Execute(command, events);
        if (events is not [OrderAccepted, Traded, OrderFilled])
        {
            throw new InvalidOperationException($"unexpected events: {string.Join(", ", events.Select(e => e.GetType().Name))}");
        }
    }
}
