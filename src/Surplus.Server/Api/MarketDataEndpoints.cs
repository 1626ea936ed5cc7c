using Surplus.Exchange.Engine;
using Surplus.Exchange.Queries;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Server.Api;

/// <summary>
/// Market data for anyone, no key needed (like the book): a summary per market, price history as
/// candles, and offered against contracted capacity over time. See docs/api.md, "Market data".
/// </summary>
internal static class MarketDataEndpoints
{
    /// <summary>The candle intervals the API serves, by name.</summary>
    internal static readonly IReadOnlyDictionary<string, TimeSpan> Intervals = new Dictionary<string, TimeSpan>(StringComparer.Ordinal)
    {
        ["1m"] = TimeSpan.FromMinutes(1),
        ["5m"] = TimeSpan.FromMinutes(5),
        ["15m"] = TimeSpan.FromMinutes(15),
        ["1h"] = TimeSpan.FromHours(1),
        ["6h"] = TimeSpan.FromHours(6),
        ["1d"] = TimeSpan.FromDays(1),
    };

    /// <summary>The most candles one request may span.</summary>
    internal const int MaxCandles = 1000;

    /// <summary>The longest range the capacity view covers.</summary>
    internal static readonly TimeSpan MaxCapacityRange = TimeSpan.FromDays(31);

    /// <summary>The most buckets the capacity view answers with; longer ranges get coarser buckets.</summary>
    internal const int MaxBuckets = 500;

    private static readonly TimeSpan DefaultCapacityRange = TimeSpan.FromDays(3);

    // Coarser buckets for long ranges, each a whole number of slots when it is used.
    private static readonly int[] BucketSteps = [300, 900, 1800, 3600, 7200, 21600, 43200, 86400];

    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapGet("/markets/{id}/summary", Summary)
            .AllowAnonymous().WithTags("markets").Produces<MarketSummaryDto>().ProducesProblem(400).ProducesProblem(404)
            .WithSummary("Best offer and need with depth for a window (default: the coming whole hour), the last trade and the last 24 hours' volume");

        v1.MapGet("/markets/{id}/candles", Candles)
            .AllowAnonymous().WithTags("markets").Produces<CandlesDto>().ProducesProblem(400).ProducesProblem(404)
            .WithSummary("Price history per unit-hour: open, high, low, close and volume per interval (1m, 5m, 15m, 1h, 6h, 1d) of the trades made in it");

        v1.MapGet("/markets/{id}/capacity", Capacity)
            .AllowAnonymous().WithTags("markets").Produces<CapacityDto>().ProducesProblem(400).ProducesProblem(404)
            .WithSummary("Offered (unsold) against contracted capacity per slot, or per coarser bucket for long ranges (at most 31 days; default 3 days from the start of the current hour)");
    }

    private static async Task<IResult> Summary(string id, DateTimeOffset? start, DateTimeOffset? end, MarketRegistry markets, TimeProvider time, MarketDataQueries marketData)
    {
        if (markets.Find(id) is not { } market)
        {
            return Problems.Result(Refused.NotFound($"market '{id}'"));
        }

        if (start is null && end is null)
        {
            var hour = TimeSpan.FromHours(1).Ticks;
            var next = (time.GetUtcNow().UtcTicks / hour + 1) * hour;
            start = new DateTimeOffset(next, TimeSpan.Zero);
            end = start.Value.AddHours(1);
        }

        var asked = await MarketEndpoints.DepthAsync(market, start, end, time);
        if (!asked.IsOk)
        {
            return Problems.Result(asked.Error!);
        }

        var (window, depth) = asked.Value;
        var trades = await marketData.FiguresAsync(id, time.GetUtcNow().AddDays(-1));
        var definition = market.Definition;
        return Results.Ok(new MarketSummaryDto(
            id, definition.Unit, market.Halted, window.Start, window.End,
            depth.Offers.Count > 0 ? depth.Offers[0].Price.PerUnitHour : null, depth.Offers.Count > 0 ? depth.Offers[0].Rate : 0, depth.Offers.Aggregate(0L, (sum, l) => DepthLevel.AddRates(sum, l.Rate)),
            depth.Needs.Count > 0 ? depth.Needs[0].Price.PerUnitHour : null, depth.Needs.Count > 0 ? depth.Needs[0].Rate : 0, depth.Needs.Aggregate(0L, (sum, l) => DepthLevel.AddRates(sum, l.Rate)),
            trades.LastPrice, trades.LastAt, trades.DayTrades, trades.DayUnitHours, trades.DayAmountMinor));
    }

    private static async Task<IResult> Candles(string id, string? interval, DateTimeOffset? start, DateTimeOffset? end, MarketRegistry markets, TimeProvider time, MarketDataQueries marketData)
    {
        if (markets.Find(id) is null)
        {
            return Problems.Result(Refused.NotFound($"market '{id}'"));
        }

        var name = interval ?? "1h";
        if (!Intervals.TryGetValue(name, out var step))
        {
            return Problems.Result(RefusalMessages.CandleIntervalInvalid.With(("interval", name), ("intervals", string.Join(", ", Intervals.Keys))));
        }

        // Without an end, the candles run up to the interval that holds the present; without a start, 100 intervals back.
        var to = end ?? new DateTimeOffset(Steps(time.GetUtcNow().UtcTicks + 1, step.Ticks) * step.Ticks, TimeSpan.Zero);
        if (start is null && to.UtcTicks - DateTimeOffset.MinValue.UtcTicks < step.Ticks * 100)
        {
            return Problems.Result(RefusalMessages.RangeBeforeYearOne.With());
        }

        var from = start ?? to - (step * 100);
        if (from.UtcTicks % step.Ticks != 0 || to.UtcTicks % step.Ticks != 0)
        {
            return Problems.Result(RefusalMessages.RangeNotAligned.With(("interval", name), ("example", new DateTimeOffset(from.UtcTicks / step.Ticks * step.Ticks, TimeSpan.Zero).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture))));
        }

        if (to <= from)
        {
            return Problems.Result(RefusalMessages.RangeReversed.With());
        }

        if ((to - from).Ticks / step.Ticks > MaxCandles)
        {
            return Problems.Result(RefusalMessages.CandlesTooMany.With(("max", MaxCandles), ("interval", name)));
        }

        var candles = await marketData.CandlesAsync(id, from, to, step);
        return Results.Ok(new CandlesDto(id, name, from, to,
            [.. candles.Select(c => new CandleDto(c.Start, c.Open, c.High, c.Low, c.Close, c.Volume, c.AmountMinor, c.Trades))]));
    }

    private static async Task<IResult> Capacity(string id, DateTimeOffset? start, DateTimeOffset? end, MarketRegistry markets, ContractedCapacity contracts, TimeProvider time)
    {
        if (markets.Find(id) is not { } market)
        {
            return Problems.Result(Refused.NotFound($"market '{id}'"));
        }

        var slot = market.Definition.Slot;
        if (start is null && end is null)
        {
            // From the start of the current hour (or slot, when slots are longer or do not divide an hour), so buckets fall on round times.
            var align = TimeSpan.FromHours(1).Ticks % slot.Ticks == 0 ? TimeSpan.FromHours(1).Ticks : slot.Ticks;
            start = new DateTimeOffset(time.GetUtcNow().UtcTicks / align * align, TimeSpan.Zero);
            end = start + DefaultCapacityRange;
        }

        var window = OrderMapper.QueryWindow(start, end, market.Definition, time.GetUtcNow());
        if (!window.IsOk)
        {
            return Problems.Result(window.Error!);
        }

        var range = window.Value;
        if (range.Length > MaxCapacityRange)
        {
            return Problems.Result(RefusalMessages.CapacityRangeTooLong.With(("days", MaxCapacityRange.TotalDays)));
        }

        var bucket = BucketFor(range.Length, slot);
        var count = (int)Steps(range.EndTicks - range.StartTicks, bucket.Ticks);
        var result = await market.SubmitAsync(new QueryWork(engine => OfferedSeconds(engine, range, bucket.Ticks, count)));
        if (result.Error is not null)
        {
            return Problems.Result(result.Error);
        }

        var offered = (decimal[])result.Body!;
        var contracted = new Sums(new decimal[count], range, bucket.Ticks);
        contracts.Visit(id, range.StartTicks, range.EndTicks, ref contracted, static (ref s, from, to, rate) => Spread(s.Values, s.Range, s.Bucket, from, to, rate));

        var buckets = new List<CapacityBucketDto>(count);
        for (var i = 0; i < count; i++)
        {
            var from = range.StartTicks + (i * bucket.Ticks);
            var to = Math.Min(from + bucket.Ticks, range.EndTicks);
            var seconds = (decimal)TimeSpan.FromTicks(to - from).TotalSeconds;
            buckets.Add(new CapacityBucketDto(new DateTimeOffset(from, TimeSpan.Zero), new DateTimeOffset(to, TimeSpan.Zero),
                Math.Round(offered[i] / seconds, 4), Math.Round(contracted.Values[i] / seconds, 4)));
        }

        return Results.Ok(new CapacityDto(id, market.Definition.Unit, range.Start, range.End, (int)bucket.TotalSeconds, buckets));
    }

    /// <summary>The slot, or the finest coarser step that keeps the range within <see cref="MaxBuckets"/> buckets.</summary>
    internal static TimeSpan BucketFor(TimeSpan range, TimeSpan slot)
    {
        if (range.Ticks <= slot.Ticks * MaxBuckets)
        {
            return slot;
        }

        foreach (var seconds in BucketSteps)
        {
            var step = TimeSpan.FromSeconds(seconds);
            if (step > slot && step.Ticks % slot.Ticks == 0 && Steps(range.Ticks, step.Ticks) <= MaxBuckets)
            {
                return step;
            }
        }

        return slot * Steps(range.Ticks, slot.Ticks * MaxBuckets);
    }

    /// <summary>Unit-seconds of unsold capacity per bucket, summed over the open offers (run on the engine's loop).</summary>
    private static decimal[] OfferedSeconds(MarketEngine engine, Window range, long bucket, int count)
    {
        var sums = new Sums(new decimal[count], range, bucket);
        engine.VisitSpare(range.StartTicks, range.EndTicks, ref sums, static (ref s, from, to, spare) => Spread(s.Values, s.Range, s.Bucket, from, to, spare));
        return sums.Values;
    }

    /// <summary>Adds <paramref name="rate"/> × seconds of overlap between <c>[from, to)</c> and each bucket.</summary>
    private static void Spread(decimal[] sums, Window range, long bucket, long from, long to, long rate)
    {
        from = Math.Max(from, range.StartTicks);
        to = Math.Min(to, range.EndTicks);
        while (from < to)
        {
            var index = (int)((from - range.StartTicks) / bucket);
            var bucketEnd = Math.Min(range.StartTicks + ((index + 1) * bucket), range.EndTicks);
            var until = Math.Min(to, bucketEnd);
            sums[index] += rate * ((decimal)(until - from) / TimeSpan.TicksPerSecond);
            from = until;
        }
    }

    /// <summary>What the capacity view adds up, bucket by bucket, over its range.</summary>
    private readonly record struct Sums(decimal[] Values, Window Range, long Bucket);

    /// <summary>How many steps cover <paramref name="value"/>: the quotient rounded up.</summary>
    private static long Steps(long value, long step) => (value + step - 1) / step;
}
