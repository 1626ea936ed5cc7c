using System.Data.Common;
using Dapper;
using Surplus.Market;

namespace Surplus.Exchange.Engine;

/// <summary>
/// The capacity under live contracts in each market, over time, kept in memory: a step function
/// per market (the sum of the rates of its trades whose contracts did not end as no-show, failed or
/// cancelled), read by the capacity view. Read from the store once at start, then added to as
/// batches with trades commit and taken from as contracts end without their work; so a view of a
/// busy market costs the segments in its range, never a scan of its trades. Only what lies within
/// the markets' horizon back from now is kept: no view reaches further. Thread-safe.
/// </summary>
internal sealed class ContractedCapacity
{
    /// <summary>What a capacity query counts as live: a trade without a contract, or one whose contract did not end without its work.</summary>
    private const string LiveContract = "(c.status IS NULL OR c.status NOT IN ('no-show', 'failed', 'cancelled'))";

    private readonly Dictionary<string, Kept> markets = new(StringComparer.Ordinal);
    private readonly Lock sync = new();

    /// <summary>Reads the live contracted capacity of every market from the store, keeping what ends after <c>now − horizon</c> of each.</summary>
    public async Task LoadAsync(DbConnection c, IEnumerable<MarketDefinition> definitions, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        foreach (var market in definitions)
        {
            var since = Since(market, now);
            var windows = await c.QueryAsync<(long WindowStart, long WindowEnd, long Rate)>(
                $"""
                SELECT t.window_start, t.window_end, SUM(t.rate) FROM trades t
                LEFT JOIN contracts c ON c.market = t.market AND c.trade_id = t.id
                WHERE t.market = @market AND t.window_end > @since AND {LiveContract}
                GROUP BY t.window_start, t.window_end
                """,
                new { market = market.Id, since });
            var kept = new Kept(since);
            foreach (var w in windows)
            {
                kept.Add(w.WindowStart, w.WindowEnd, w.Rate);
            }

            lock (sync)
            {
                markets[market.Id] = kept;
            }
        }
    }

    /// <summary>Adds committed trades; <paramref name="now"/> lets what fell behind the horizon go.</summary>
    public void Traded(MarketDefinition market, IReadOnlyList<Trade> trades, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(market);
        ArgumentNullException.ThrowIfNull(trades);
        if (trades.Count == 0)
        {
            return;
        }

        lock (sync)
        {
            var kept = For(market, now);
            kept.DropBefore(Since(market, now));
            foreach (var t in trades)
            {
                kept.Add(t.Window.StartTicks, t.Window.EndTicks, t.Rate.Value);
            }
        }
    }

    /// <summary>Takes a trade's capacity out once its contract ended as no-show, failed or cancelled (after that change committed).</summary>
    public void Ended(MarketDefinition market, Window window, long rate, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(market);
        lock (sync)
        {
            For(market, now).Remove(window.StartTicks, window.EndTicks, rate);
        }
    }

    /// <summary>Calls <paramref name="visit"/> with each segment of contracted capacity in <c>[startTicks, endTicks)</c> of the market.</summary>
    public void Visit<TState>(string market, long startTicks, long endTicks, ref TState state, SpareVisitor<TState> visit)
        where TState : allows ref struct
    {
        lock (sync)
        {
            if (markets.TryGetValue(market, out var kept))
            {
                kept.Profile.VisitSpare(startTicks, endTicks, ref state, visit);
            }
        }
    }

    private static long Since(MarketDefinition market, DateTimeOffset now) =>
        Math.Max(DateTimeOffset.MinValue.UtcTicks, now.UtcTicks - market.OrderHorizon.Ticks);

    /// <summary>The market's profile; a market made after the start begins with none.</summary>
    private Kept For(MarketDefinition market, DateTimeOffset now)
    {
        if (!markets.TryGetValue(market.Id, out var kept))
        {
            kept = new Kept(Since(market, now));
            markets[market.Id] = kept;
        }

        return kept;
    }

    /// <summary>One market's contracted capacity from <see cref="From"/> on (what came before is let go).</summary>
    private sealed class Kept(long from)
    {
        public CapacityProfile Profile { get; } = new();

        public long From { get; private set; } = from;

        public void Add(long start, long end, long rate)
        {
            start = Math.Max(start, From);
            if (start < end && rate > 0)
            {
                Profile.Add(start, end, rate);
            }
        }

        public void Remove(long start, long end, long rate)
        {
            start = Math.Max(start, From);
            if (start < end && rate > 0)
            {
                Profile.Subtract(start, end, rate);
            }
        }

        public void DropBefore(long tick)
        {
            if (tick > From)
            {
                From = tick;
                Profile.DropBefore(tick);
            }
        }
    }
}
