using BenchmarkDotNet.Attributes;
using Surplus.Market;

namespace Surplus.Benchmarks;

/// <summary>
/// (c) One call auction (Figure 5): 10,000 needs collected during the interval clear against
/// 10,000 resting offers with mixed windows, recurring offers and attributes (the book and the
/// needs of <see cref="BookBenchmarks"/>, half of the needs spot). The clearing consumes the
/// book, so each iteration starts again from a snapshot taken just before the interval ends;
/// the figure is per clearing (target: under 100 ms).
/// </summary>
[Config(typeof(BenchConfig))]
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 15, invocationCount: 1)]
public class AuctionBenchmarks
{
    public const int Offers = 10_000;
    public const int Needs = 10_000;

    /// <summary>The benchmarks' market, clearing in call auctions every minute.</summary>
    public static readonly MarketDefinition Market = Scenario.Market with { Clearing = ClearingMode.CallAuction, AuctionInterval = TimeSpan.FromMinutes(1) };

    private readonly List<MarketEvent> events = new(64 * 1024);
    private readonly AdvanceTime tick = new(Scenario.Now.AddMinutes(1));
    private EngineSnapshot snapshot = null!;
    private MarketEngine engine = null!;

    /// <summary>The trades one clearing makes (the same in every iteration).</summary>
    public int Trades { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        // Offers placed while no need rests make no trade, so the continuous book is the auction's book.
        var collecting = MarketEngine.Restore(Market, Scenario.Book(Offers, seed: 1).Export());
        foreach (var need in Scenario.Needs(Needs, seed: 2))
        {
            Scenario.MustApply(collecting, need);
        }

        if (collecting.OpenNeedCount != Needs)
        {
            throw new InvalidOperationException($"{collecting.OpenNeedCount} of {Needs} needs rest before the auction; all should");
        }

        snapshot = collecting.Export();
        Restore();
        Clear();
        Trades = events.OfType<Traded>().Count();
        if (events.OfType<AuctionCleared>().SingleOrDefault() is not { Trades: > 0 } cleared || cleared.Trades != Trades)
        {
            throw new InvalidOperationException("the auction did not clear with trades; the benchmark would measure nothing");
        }

        Console.WriteLine($"// one clearing: {Trades} trades, {events.Count} events, {engine.OpenNeedCount} needs and {engine.OpenOfferCount} offers left");
    }

    [IterationSetup]
    public void Restore()
    {
        engine = MarketEngine.Restore(Market, snapshot);

        // The old engine is garbage now; collect it here rather than in the measured clearing.
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    [Benchmark(Description = "call auction: 10,000 needs against 10,000 offers")]
    public int Clear()
    {
        events.Clear();
        engine.Execute(tick, events);
        return events.Count;
    }
}
