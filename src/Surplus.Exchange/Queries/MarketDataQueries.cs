using System.Globalization;
using Dapper;
using Surplus.Exchange.Storage;
using Surplus.Protocol;

namespace Surplus.Exchange.Queries;

/// <summary>What the trades of a market say, for anyone to read: the trades themselves, the last day's figures and the price history.</summary>
/// <remarks>Thread-safe: each call opens its own connection.</remarks>
internal sealed class MarketDataQueries(Database database)
{
    /// <summary>A page of a market's trades below the id <paramref name="before"/>, newest first.</summary>
    public async Task<IReadOnlyList<TradeRecord>> TradesAsync(string market, long before, int limit)
    {
        await using var c = await database.OpenAsync();
        return [.. await c.QueryAsync<TradeRecord>(
            $"SELECT {TradeRecord.Columns} FROM trades WHERE market = @id AND id < @before ORDER BY id DESC LIMIT @limit",
            new { id = market, before, limit })];
    }

    /// <summary>The last trade of a market and the count, unit-hours and amount of its trades made at or after <paramref name="since"/>.</summary>
    public async Task<TradeFigures> FiguresAsync(string market, DateTimeOffset since)
    {
        var id = market;
        await using var c = await database.OpenAsync();
        var last = await c.QuerySingleOrDefaultAsync<(string Price, long At)?>(
            "SELECT price, at FROM trades WHERE market = @id ORDER BY id DESC LIMIT 1", new { id });

        // Summed in the store, by window length (a handful of lengths), rather than a day of trades read into memory;
        // each sum in two halves that cannot overflow (see WideSum).
        var day = (await c.QueryAsync<(long Span, object RateHigh, object RateLow, long Count, object AmountHigh, object AmountLow)>(
            """
            SELECT window_end - window_start, SUM(rate / 4294967296), SUM(rate % 4294967296), COUNT(*), SUM(amount / 4294967296), SUM(amount % 4294967296) FROM trades
            WHERE market = @id AND at >= @since GROUP BY window_end - window_start
            """, new { id, since = since.UtcTicks }))
            .Select(d => (d.Span, Rate: (decimal)WideSum.Join(d.RateHigh, d.RateLow), d.Count, Amount: WideSum.Join(d.AmountHigh, d.AmountLow)))
            .ToList();
        return new TradeFigures(
            last is { } l ? ParsePrice(l.Price) : null, last is { } t ? new DateTimeOffset(t.At, TimeSpan.Zero) : null,
            day.Sum(d => d.Count), day.Sum(d => d.Rate * ((decimal)d.Span / TimeSpan.TicksPerHour)), WideSum.Clamp(day.Aggregate(Int128.Zero, (sum, d) => sum + d.Amount)));
    }

    /// <summary>One candle per interval of <paramref name="step"/> in <c>[from, to)</c> that had trades, oldest first.</summary>
    public async Task<IReadOnlyList<Candle>> CandlesAsync(string market, DateTimeOffset from, DateTimeOffset to, TimeSpan step)
    {
        await using var c = await database.OpenAsync();
        var trades = await c.QueryAsync<(long At, string Price, long Rate, long WindowStart, long WindowEnd, long Amount)>(
            "SELECT at, price, rate, window_start, window_end, amount FROM trades WHERE market = @id AND at >= @from AND at < @to ORDER BY at, id",
            new { id = market, from = from.UtcTicks, to = to.UtcTicks });

        var candles = new List<Candle>();
        foreach (var group in trades.GroupBy(t => t.At / step.Ticks * step.Ticks))
        {
            var prices = group.Select(t => ParsePrice(t.Price)).ToList();
            candles.Add(new Candle(
                new DateTimeOffset(group.Key, TimeSpan.Zero), prices[0], prices.Max(), prices.Min(), prices[^1],
                group.Sum(t => UnitHours(t.Rate, t.WindowStart, t.WindowEnd)), WideSum.Clamp(group.Aggregate(Int128.Zero, (sum, t) => sum + t.Amount)), prices.Count));
        }

        return candles;
    }

    private static decimal UnitHours(long rate, long start, long end) => rate * (decimal)(end - start) / TimeSpan.TicksPerHour;

    private static decimal ParsePrice(string price) => decimal.Parse(price, NumberStyles.Number, CultureInfo.InvariantCulture);
}

/// <summary>A market's last trade (null without one) and its trades of the last day: how many, their unit-hours and their amount in minor units.</summary>
internal sealed record TradeFigures(decimal? LastPrice, DateTimeOffset? LastAt, long DayTrades, decimal DayUnitHours, long DayAmountMinor);

/// <summary>The trades of one interval: first, highest, lowest and last price per unit-hour, unit-hours, amount in minor units and count.</summary>
internal sealed record Candle(DateTimeOffset Start, decimal Open, decimal High, decimal Low, decimal Close, decimal Volume, long AmountMinor, int Trades);

/// <summary>A trade row.</summary>
internal sealed class TradeRecord
{
    public const string Columns = "market AS Market, id AS Id, need_id AS NeedId, offer_id AS OfferId, buyer_id AS BuyerId, seller_id AS SellerId, rate AS Rate, window_start AS WindowStart, window_end AS WindowEnd, price AS Price, amount AS Amount, fee AS Fee, aggressor AS Aggressor, at AS At";

    public string Market { get; set; } = "";

    public long Id { get; set; }

    public long NeedId { get; set; }

    public long OfferId { get; set; }

    public long BuyerId { get; set; }

    public long SellerId { get; set; }

    public long Rate { get; set; }

    public long WindowStart { get; set; }

    public long WindowEnd { get; set; }

    public string Price { get; set; } = "0";

    public long Amount { get; set; }

    public long Fee { get; set; }

    public string Aggressor { get; set; } = "";

    public long At { get; set; }

    public TradeDto ToDto(bool showParties) => new(
        Id, Market, NeedId, OfferId, showParties ? BuyerId : null, showParties ? SellerId : null, Rate,
        new DateTimeOffset(WindowStart, TimeSpan.Zero), new DateTimeOffset(WindowEnd, TimeSpan.Zero),
        decimal.Parse(Price, CultureInfo.InvariantCulture), Amount, Fee, Aggressor, new DateTimeOffset(At, TimeSpan.Zero));
}
