using Xunit;
using static Surplus.Market.Tests.TestMarket;

namespace Surplus.Market.Tests;

/// <summary>
/// The matching hot path allocates nothing: the capacity queries and changes of one offer's profile,
/// and an incoming need that scans a warmed book without finding a seller, the calls that
/// bench/Surplus.Benchmarks/HotPathBenchmarks.cs times. Each is warmed up first (static set-up,
/// lazy caches, the JIT), then run many times between two reads of this thread's allocation count,
/// which counts every byte exactly. The scan allocates what it hands back and what it takes in: the
/// events (accepted, then cancelled: the spot need finds no seller) and the incoming need's one
/// order object (<see cref="RestingNeed"/>, made on entry before the engine knows whether the need
/// will rest, and kept in the book when it does). It is bounded by what copying those events and
/// making that object allocate, so a byte more (a closure, a boxed key, an enumerator, a list that
/// grows) fails.
/// </summary>
public sealed class HotPathAllocationTests
{
    private const int WarmUps = 200;
    private const int Runs = 1_000;

    [Fact]
    public void MinSpare_RecurringProfile_AllocatesNothing()
    {
        // A daily 18:00-06:00 offer over eight weeks: 57 occurrences, 114 segments.
        var daily = new CapacityProfile();
        for (var day = 0; day < 57; day++)
        {
            var w = Between(At(1).AddHours((24 * day) + 18), At(1).AddHours((24 * day) + 30));
            daily.Set(w.StartTicks, w.EndTicks, 500);
        }

        var query = Between(At(1).AddHours((24 * 30) + 20), At(1).AddHours((24 * 30) + 26));
        long sum = 0;

        var bytes = Allocated(() => sum += daily.MinSpare(query.StartTicks, query.EndTicks));

        Assert.Equal(500L * (WarmUps + Runs), sum);
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void SubtractThenSet_FillInsideAWindow_AllocatesNothing()
    {
        // A fill in the middle of one 72-hour window splits it in three; Set joins it again.
        var whole = Between(At(1, 1), At(4, 1));
        var taken = Between(At(2, 20), At(3, 2));
        var single = new CapacityProfile();
        single.Set(whole.StartTicks, whole.EndTicks, 1_000);

        var split = 0;

        var bytes = Allocated(() =>
        {
            single.Subtract(taken.StartTicks, taken.EndTicks, 10);
            split += single.SegmentCount;
            single.Set(taken.StartTicks, taken.EndTicks, 1_000);
        });

        Assert.Equal(4 * (WarmUps + Runs), split);
        Assert.Equal(2, single.SegmentCount);
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void PlaceNeed_ScanWithoutSeller_AllocatesOnlyItsEventsAndItsOrder()
    {
        var now = At(20);
        var book = Book(2_000, now);
        var window = Between(now.AddHours(72), now.AddHours(76));
        var need = new PlaceNeed(
            Need(1, new MemberId(1_000_000), 50, 2.50m, window) with { Mode = OrderMode.Spot, Constraints = [Requires("os=plan9")] },
            now);
        var events = new List<MarketEvent>(8);
        book.Execute(need, events);
        Assert.True(events is [OrderAccepted, OrderCancelled], string.Join(", ", events.Select(e => e.GetType().Name)));
        var copies = new MarketEvent[events.Count];
        RestingNeed? order = null;
        var ownBytes = Allocated(() =>
        {
            for (var i = 0; i < events.Count; i++)
            {
                copies[i] = events[i] with { };
            }

            order = new RestingNeed(need.Need, 1) { Remaining = need.Need.Rate.Value };
        });
        GC.KeepAlive(order);

        var bytes = Allocated(() =>
        {
            events.Clear();
            book.Execute(need, events);
        });

        Assert.True(ownBytes > 0);
        Assert.True(
            bytes <= ownBytes,
            $"the scan allocated {bytes / Runs} B an operation; its events and its order take {ownBytes / Runs} B");
    }

    [Fact]
    public void Allocated_AnAllocationInTheMeasuredCall_IsCounted()
    {
        object? kept = null;

        var bytes = Allocated(() => kept = new object());

        Assert.NotNull(kept);
        Assert.True(bytes >= 24L * Runs, $"{bytes} B");
    }

    /// <summary>Bytes this thread allocates in <see cref="Runs"/> calls of <paramref name="action"/>, after <see cref="WarmUps"/> calls.</summary>
    private static long Allocated(Action action)
    {
        for (var i = 0; i < WarmUps; i++)
        {
            action();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Runs; i++)
        {
            action();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary>
    /// Standing offers over the next week, like the benchmarks' book: four in five with one window
    /// of 1 to 72 hours, one in five daily 18:00 for 12 hours in one of three zones; sellers differ in
    /// OS and speed, asks run 0.50 to 2.00. Every tenth covers the whole of the scanned window.
    /// </summary>
    private static MarketEngine Book(int count, DateTimeOffset now)
    {
        var random = new Random(1);
        string[] zones = ["UTC", "Europe/Zurich", "America/New_York"];
        var engine = new MarketEngine(Compute);
        var events = new List<MarketEvent>();
        for (var i = 0; i < count; i++)
        {
            var os = random.Next(10) switch { < 6 => "linux", < 9 => "windows", _ => "freebsd" };
            var start = i % 10 == 0 ? 70 : 1 + random.Next(7 * 24);
            var hours = i % 10 == 0 ? 8 : random.Next(1, 73);
            var spec = Offer(i + 1, new MemberId(i + 1), random.Next(100, 1001), random.Next(50, 201) / 100m, Between(now.AddHours(start), now.AddHours(start + hours)))
                with { Attributes = Attributes(("os", os), ("speed", (1500 + (500 * random.Next(5))).ToString(System.Globalization.CultureInfo.InvariantCulture))) };
            if (i % 10 != 0 && random.Next(5) == 0)
            {
                var daily = Recurrence.Create("FREQ=DAILY", DateOnly.FromDateTime(now.UtcDateTime), new TimeOnly(18, 0), TimeSpan.FromHours(12), zones[random.Next(zones.Length)]);
                spec = spec with { Window = null, Recurrence = daily.Value };
            }

            events.Clear();
            engine.Execute(new PlaceOffer(spec, now), events);
            Assert.True(events.OfType<CommandRejected>().FirstOrDefault() is null, $"offer {i + 1} refused");
        }

        return engine;
    }
}
