using BenchmarkDotNet.Attributes;
using Surplus.Market;

namespace Surplus.Benchmarks;

/// <summary>
/// (b) Needs arriving against a book of 10,000 resting offers with mixed windows, recurring
/// offers and attributes (see <see cref="Scenario.Book"/> and <see cref="Scenario.Needs"/>).
/// Needs consume the book, so each iteration starts again from a snapshot of the same book and
/// applies the same <see cref="Batch"/> needs; the figures are per need.
/// </summary>
[Config(typeof(BenchConfig))]
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 12, iterationCount: 10, invocationCount: 1)]
public class BookBenchmarks
{
    public const int Offers = 10_000;
    public const int Batch = 8_192;

    private readonly List<MarketEvent> events = new(64);
    private EngineSnapshot snapshot = null!;
    private PlaceNeed[] needs = null!;
    private MarketEngine engine = null!;

    [GlobalSetup]
    public void Setup()
    {
        snapshot = Scenario.Book(Offers, seed: 1).Export();
        needs = Scenario.Needs(Batch, seed: 2);
    }

    [IterationSetup]
    public void Restore()
    {
        engine = MarketEngine.Restore(Scenario.Market, snapshot);

        // The old engine is garbage now; collect it here rather than in the measured batch.
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    [Benchmark(Description = "need against 10,000 offers", OperationsPerInvoke = Batch)]
    public int NeedsAgainstBook()
    {
        var trades = 0;
        foreach (var need in needs)
        {
            events.Clear();
            engine.Execute(need, events);
            trades += events.Count;
        }

        return trades;
    }
}
