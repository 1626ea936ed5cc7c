using System.Diagnostics;
using System.Globalization;
using Surplus.Market;

namespace Surplus.Benchmarks;

/// <summary>
/// A cross-check for a busy machine: the book workload of <see cref="BookBenchmarks"/> and the
/// scan of <see cref="HotPathBenchmarks"/>, timed by the process's CPU time as well as the wall
/// clock. When other work shares the cores, wall-clock figures swing with it; CPU time counts only
/// the time this process ran. Run with <c>--cpu-time [rounds]</c>; the BenchmarkDotNet figures
/// remain the reference on a quiet machine.
/// </summary>
public static class CpuTimeCheck
{
    public static void Run(int rounds)
    {
        var snapshot = Scenario.Book(BookBenchmarks.Offers, seed: 1).Export();
        var needs = Scenario.Needs(BookBenchmarks.Batch, seed: 2);
        var events = new List<MarketEvent>(64);
        var book = new Samples();
        for (var round = 0; round < rounds; round++)
        {
            var engine = MarketEngine.Restore(Scenario.Market, snapshot);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            book.Measure(needs.Length, () =>
            {
                foreach (var need in needs)
                {
                    events.Clear();
                    engine.Execute(need, events);
                }
            });
        }

        var warmed = MarketEngine.Restore(Scenario.Market, snapshot);
        var unmatched = new PlaceNeed(new NeedSpec
        {
            Id = new NeedId(1), Buyer = new MemberId(1_000_000), Rate = new Rate(50), Window = Scenario.Hours(24 * 7, 4),
            Bid = Scenario.Price(2.50m), Mode = OrderMode.Spot, Constraints = [Scenario.Constraint("os=plan9")],
        }, Scenario.Now);
        var scan = new Samples();
        for (var round = 0; round < rounds; round++)
        {
            scan.Measure(200, () =>
            {
                for (var i = 0; i < 200; i++)
                {
                    events.Clear();
                    warmed.Execute(unmatched, events);
                }
            });
        }

        Console.WriteLine($"rounds: {rounds} (the first {rounds / 3} are warm-up and left out)");
        Console.WriteLine($"need against 10,000 offers   {book.Report(rounds / 3)}");
        Console.WriteLine($"need scans 10,000, no seller {scan.Report(rounds / 3)}");
    }

    private sealed class Samples
    {
        private readonly List<double> cpu = [];
        private readonly List<double> wall = [];

        public void Measure(int operations, Action action)
        {
            var cpuBefore = Environment.CpuUsage.TotalTime;
            var clock = Stopwatch.StartNew();
            action();
            wall.Add(clock.Elapsed.TotalNanoseconds / operations);
            cpu.Add((Environment.CpuUsage.TotalTime - cpuBefore).TotalNanoseconds / operations);
        }

        public string Report(int skip) =>
            string.Create(CultureInfo.InvariantCulture,
                $"CPU time: median {Median(cpu, skip):N0} ns, best {Best(cpu, skip):N0} ns | wall clock: median {Median(wall, skip):N0} ns, best {Best(wall, skip):N0} ns");

        private static double Median(List<double> values, int skip)
        {
            var kept = values.Skip(skip).Order().ToList();
            return kept[kept.Count / 2];
        }

        private static double Best(List<double> values, int skip) => values.Skip(skip).Min();
    }
}
