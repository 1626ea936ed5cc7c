using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Surplus.Market;

namespace Surplus.Benchmarks;

/// <summary>
/// What a large book costs the core, in process: one engine filled with resting offers (and another
/// with resting needs) shaped like the scale scenario's (bench/Surplus.LoadGenerator, ScaleRun: rate
/// 10, a window at any minute of 31 days, 30 to 240 minutes long; asks 5.00–9.99, bids 1.00–4.99;
/// the specs built as the exchange builds them, with their own empty counterparty sets), reporting
/// the managed memory each resting order holds (after a full blocking collection, beyond the empty
/// engine; the spec the caller hands in counted with it, and also alone), the same after the engine
/// is rebuilt from its snapshot (what a restart does), the time to place an order into the small
/// book and into the full one, and a single order against both. Not BenchmarkDotNet: the books
/// take minutes to fill and one fill is the measurement. Run with <c>--size [orders…]</c>.
/// </summary>
public static class SizeCheck
{
    private const int Stretch = 20_000;
    private const int Probes = 2_000;

    // Fewer: before the need book's walk went on into the negotiation, each scanned every lower bid.
    private const int AboveProbes = 200;
    private const int BookMinutes = 31 * 24 * 60;

    private static readonly DateTimeOffset First = Scenario.Now.AddHours(3);
    private static readonly MarketDefinition Market = new() { Id = "compute", Unit = "MFLOPS", OpensNegotiations = true };

    public static void Run(IReadOnlyList<int> sizes)
    {
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, server GC {System.Runtime.GCSettings.IsServerGC}; load average {Load()}");
        Console.WriteLine("| side | resting | bytes per order (spec alone) | after restore | place µs: wall / CPU / GC pause (full GCs), book 1,000 → 21,000 | the same, last 20,000 | ratio: wall / CPU | probe p50 µs at 1,000 | at full | ratio | standing offer above every bid, p50 µs at 1,000 | at full | ratio |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        Measure("warm-up", 30_000, Offer, Probe(offerBook: true), Large(offerBook: true));
        Measure("warm-up", 30_000, Need, Probe(offerBook: false), Large(offerBook: false));
        foreach (var size in sizes)
        {
            Console.WriteLine(Measure("offers", size, Offer, Probe(offerBook: true), Large(offerBook: true)));
            Console.WriteLine(Measure("needs", size, Need, Probe(offerBook: false), Large(offerBook: false)));
        }

        Console.WriteLine($"load average {Load()}");
    }

    private static string Measure(string side, int size, Func<Random, int, MarketCommand> order, Func<int, MarketCommand> probe, MarketCommand large)
    {
        var specBytes = SpecBytes(order, size);
        var empty = Heap();
        var (book, f) = Fill(size, order, probe, large);
        var held = (Heap() - empty) / (double)size;
        var afterRestore = (Restored(book) - empty) / (double)size;
        return string.Create(CultureInfo.InvariantCulture,
            $"| {side} | {size:N0} | {held:N0} ({specBytes:N0}) | {afterRestore:N0} | {f.SmallPlace} | {f.LargePlace} | {f.LargePlace.Wall / f.SmallPlace.Wall:0.00} / {f.LargePlace.Cpu / f.SmallPlace.Cpu:0.00} | {f.SmallProbe:N1} | {f.FullProbe:N1} | {f.FullProbe / f.SmallProbe:0.00} | {f.SmallAbove:N1} | {f.FullAbove:N1} | {f.FullAbove / f.SmallAbove:0.00} |");
    }

    /// <summary>An engine filled to <paramref name="size"/> resting orders (the large one among them), with the times it took; its frame gone once it returns.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (StrongBox<MarketEngine> Book, (Placing SmallPlace, Placing LargePlace, double SmallProbe, double FullProbe, double SmallAbove, double FullAbove) Figures) Fill(
        int size, Func<Random, int, MarketCommand> order, Func<int, MarketCommand> probe, MarketCommand large)
    {
        var random = new Random(11);
        var engine = new MarketEngine(Market);
        var events = new List<MarketEvent>(16);
        var id = 0;
        void Place(int count)
        {
            for (var i = 0; i < count; i++)
            {
                events.Clear();
                engine.Execute(order(random, ++id), events);
            }
        }

        Must(engine, large);
        Place(Math.Min(1_000, size - 1));
        var small = Probe(engine, probe, events);
        var smallAbove = AboveEveryBid(engine, events);
        var first = size >= 1_000 + (2 * Stretch) ? Stretch : 0;
        var smallRate = Time(() => Place(first), first);
        Place(Math.Max(0, size - first - id - 1));
        var last = size - id - 1;
        var largeRate = Time(() => Place(last), last);
        var full = Probe(engine, probe, events);
        var fullAbove = AboveEveryBid(engine, events);
        return (new StrongBox<MarketEngine>(engine), (smallRate, largeRate, small, full, smallAbove, fullAbove));
    }

    /// <summary>
    /// The managed heap with only the engine rebuilt from the snapshot of <paramref name="book"/>'s engine alive
    /// (called as the engine's last use, and never inlined, so that neither the engine nor the
    /// snapshot is held by the caller's frame).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long Restored(StrongBox<MarketEngine> book)
    {
        var restored = RestoreOf(book);
        var heap = Heap();
        GC.KeepAlive(restored);
        return heap;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static MarketEngine RestoreOf(StrongBox<MarketEngine> book)
    {
        var snapshot = book.Value!.Export();
        book.Value = null!;
        return MarketEngine.Restore(Market, snapshot);
    }

    /// <summary>The offers' large cheap order or the needs' large high bid, placed first: each probe trades with it alone.</summary>
    private static MarketCommand Large(bool offerBook) => offerBook
        ? new PlaceOffer(new OfferSpec
        {
            Id = new OfferId(int.MaxValue), Seller = new MemberId(1), Rate = new Rate(1_000_000), Ask = new Price(1.00m),
            Window = Window.Create(First, First.AddDays(32), Market.Slot).Value, PreferredBuyers = new HashSet<MemberId>(),
        }, Scenario.Now)
        : new PlaceNeed(new NeedSpec
        {
            Id = new NeedId(int.MaxValue), Buyer = new MemberId(1), Rate = new Rate(1_000_000), Bid = new Price(20.00m),
            Window = Window.Create(First.AddDays(1), First.AddDays(1).AddHours(1), Market.Slot).Value,
            Constraints = new List<Constraint>(), PreferredSellers = new HashSet<MemberId>(), ExcludedSellers = new HashSet<MemberId>(),
        }, Scenario.Now);

    /// <summary>A need of rate 1 for an hour bid 2.00 (against offers), or an offer of rate 1 for an hour at 10.00 (against needs).</summary>
    private static Func<int, MarketCommand> Probe(bool offerBook) => offerBook
        ? i => new PlaceNeed(new NeedSpec
        {
            Id = new NeedId(int.MaxValue - 1 - i), Buyer = new MemberId(2), Rate = new Rate(1), Bid = new Price(2.00m),
            Window = Window.Create(First.AddDays(1), First.AddDays(1).AddHours(1), Market.Slot).Value,
            Constraints = new List<Constraint>(), PreferredSellers = new HashSet<MemberId>(), ExcludedSellers = new HashSet<MemberId>(),
        }, Scenario.Now)
        : i => new PlaceOffer(new OfferSpec
        {
            Id = new OfferId(int.MaxValue - 1 - i), Seller = new MemberId(2), Rate = new Rate(1), Ask = new Price(10.00m),
            Window = Window.Create(First.AddDays(1), First.AddDays(1).AddHours(1), Market.Slot).Value, PreferredBuyers = new HashSet<MemberId>(),
        }, Scenario.Now);

    private static PlaceOffer Offer(Random random, int id)
    {
        var (start, end) = BookWindow(random);
        return new PlaceOffer(new OfferSpec
        {
            Id = new OfferId(id), Seller = new MemberId(1_000 + (id / 1_000)), Rate = new Rate(10), Ask = new Price(5.00m + (random.Next(500) * 0.01m)),
            Window = Window.Create(start, end, Market.Slot).Value, PreferredBuyers = new HashSet<MemberId>(),
        }, Scenario.Now);
    }

    private static PlaceNeed Need(Random random, int id)
    {
        var (start, end) = BookWindow(random);
        return new PlaceNeed(new NeedSpec
        {
            Id = new NeedId(id), Buyer = new MemberId(1_000 + (id / 1_000)), Rate = new Rate(10), Bid = new Price(1.00m + (random.Next(400) * 0.01m)),
            Window = Window.Create(start, end, Market.Slot).Value,
            Constraints = new List<Constraint>(), PreferredSellers = new HashSet<MemberId>(), ExcludedSellers = new HashSet<MemberId>(),
        }, Scenario.Now);
    }

    private static (DateTimeOffset Start, DateTimeOffset End) BookWindow(Random random)
    {
        var start = First.AddMinutes(random.Next(BookMinutes - 240));
        return (start, start.AddMinutes(30 + random.Next(211)));
    }

    /// <summary>What one order's spec holds beyond the array that keeps it (with its sets and lists): the caller's part of what the engine keeps.</summary>
    private static double SpecBytes(Func<Random, int, MarketCommand> order, int size)
    {
        var count = Math.Min(size, 100_000);
        var random = new Random(11);
        var before = Heap();
        var held = new object[count];
        var array = Heap() - before;
        for (var i = 0; i < count; i++)
        {
            held[i] = order(random, i + 1) switch { PlaceOffer p => p.Offer, PlaceNeed p => p.Need, var other => other };
        }

        var bytes = (Heap() - before - array) / (double)count;
        GC.KeepAlive(held);
        return bytes;
    }

    /// <summary>Microseconds per order, wall clock.</summary>
    private static Placing Time(Action place, int count)
    {
        var (cpu, paused, full) = (Environment.CpuUsage.TotalTime, GC.GetTotalPauseDuration(), GC.CollectionCount(2));
        var clock = Stopwatch.StartNew();
        place();
        var wall = clock.Elapsed;
        return count > 0
            ? new Placing(wall.TotalMicroseconds / count, (Environment.CpuUsage.TotalTime - cpu).TotalMicroseconds / count, (GC.GetTotalPauseDuration() - paused).TotalMicroseconds / count, GC.CollectionCount(2) - full)
            : new Placing(double.NaN, double.NaN, double.NaN, 0);
    }

    /// <summary>Placing a stretch of orders, per order: wall clock, the process's CPU time, and the time the GC paused it (µs); and the full collections meanwhile.</summary>
    private readonly record struct Placing(double Wall, double Cpu, double Paused, int FullCollections)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Wall:N2} / {Cpu:N2} / {Paused:N2} ({FullCollections})");
    }

    /// <summary>The median of single probes (after as many unmeasured), in microseconds.</summary>
    private static double Probe(MarketEngine engine, Func<int, MarketCommand> probe, List<MarketEvent> events)
    {
        var times = new double[Probes];
        for (var i = 0; i < 2 * Probes; i++)
        {
            var command = probe(i);
            events.Clear();
            var clock = Stopwatch.GetTimestamp();
            engine.Execute(command, events);
            if (i >= Probes)
            {
                times[i - Probes] = Stopwatch.GetElapsedTime(clock).TotalMicroseconds;
            }

            if (events.OfType<Traded>().Count() != 1)
            {
                throw new InvalidOperationException($"a probe did not trade once: {string.Join(", ", events)}");
            }
        }

        Array.Sort(times);
        return times[Probes / 2];
    }

    /// <summary>
    /// The median of standing offers (rate 1 for an hour, another hour than the probes', ask 10.00,
    /// above every bid of the need book: none trades, and where a resting need fits in its hour a
    /// negotiation opens), each cancelled again untimed, in microseconds; NaN in the offer book.
    /// </summary>
    private static double AboveEveryBid(MarketEngine engine, List<MarketEvent> events)
    {
        if (engine.OpenNeedCount < 2)
        {
            return double.NaN;
        }

        var window = Window.Create(First.AddDays(2), First.AddDays(2).AddHours(1), Market.Slot).Value;
        var times = new double[AboveProbes];
        for (var i = 0; i < 2 * AboveProbes; i++)
        {
            var id = new OfferId(int.MaxValue - 10_000 - i);
            var command = new PlaceOffer(new OfferSpec
            {
                Id = id, Seller = new MemberId(3), Rate = new Rate(1), Ask = new Price(10.00m), Window = window, PreferredBuyers = new HashSet<MemberId>(),
            }, Scenario.Now);
            events.Clear();
            var clock = Stopwatch.GetTimestamp();
            engine.Execute(command, events);
            if (i >= AboveProbes)
            {
                times[i - AboveProbes] = Stopwatch.GetElapsedTime(clock).TotalMicroseconds;
            }

            Must(engine, new CancelOrder(OrderKey.Of(id), new MemberId(3), Scenario.Now));
        }

        Array.Sort(times);
        return times[AboveProbes / 2];
    }

    private static void Must(MarketEngine engine, MarketCommand command) => Scenario.MustApply(engine, command);

    private static long Heap()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
}
