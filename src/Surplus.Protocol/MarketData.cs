namespace Surplus.Protocol;

/// <summary>
/// A market at a glance: the best offer and need with the depth for a window, the last trade and
/// the last 24 hours' volume. Prices are per unit-hour; volumes are unit-hours (rate × hours).
/// </summary>
/// <param name="Market">The market's id.</param>
/// <param name="Unit">The unit of capacity, such as MFLOPS.</param>
/// <param name="Halted">True while the operator has halted the market.</param>
/// <param name="Start">The start of the window the book figures are for.</param>
/// <param name="End">The end of that window.</param>
/// <param name="BestOffer">The lowest ask that can serve the whole window, or null.</param>
/// <param name="BestOfferRate">The rate offered at <paramref name="BestOffer"/>.</param>
/// <param name="OfferRate">The rate offered over the whole window at all prices.</param>
/// <param name="BestNeed">The highest bid among needs that overlap the window, or null.</param>
/// <param name="BestNeedRate">The rate wanted at <paramref name="BestNeed"/>.</param>
/// <param name="NeedRate">The rate wanted in the window at all prices.</param>
/// <param name="LastPrice">The price of the newest trade, or null before the first.</param>
/// <param name="LastTradeAt">When the newest trade was made.</param>
/// <param name="Trades24h">Trades made in the last 24 hours.</param>
/// <param name="Volume24h">Unit-hours traded in the last 24 hours.</param>
/// <param name="Amount24hMinor">Money traded in the last 24 hours, in minor units.</param>
public sealed record MarketSummaryDto(
    string Market,
    string Unit,
    bool Halted,
    DateTimeOffset Start,
    DateTimeOffset End,
    decimal? BestOffer,
    long BestOfferRate,
    long OfferRate,
    decimal? BestNeed,
    long BestNeedRate,
    long NeedRate,
    decimal? LastPrice,
    DateTimeOffset? LastTradeAt,
    long Trades24h,
    decimal Volume24h,
    long Amount24hMinor);

/// <summary>Trades of one interval by the time they were made: open, high, low and close price per unit-hour, and volume.</summary>
/// <param name="Start">The start of the interval.</param>
/// <param name="Open">The price of the first trade in the interval.</param>
/// <param name="High">The highest price.</param>
/// <param name="Low">The lowest price.</param>
/// <param name="Close">The price of the last trade in the interval.</param>
/// <param name="Volume">Unit-hours traded (rate × hours of each trade's window).</param>
/// <param name="AmountMinor">Money traded, in minor units.</param>
/// <param name="Trades">How many trades.</param>
public sealed record CandleDto(DateTimeOffset Start, decimal Open, decimal High, decimal Low, decimal Close, decimal Volume, long AmountMinor, int Trades);

/// <summary>Price history of a market: one candle per interval that had trades, oldest first.</summary>
public sealed record CandlesDto(string Market, string Interval, DateTimeOffset Start, DateTimeOffset End, IReadOnlyList<CandleDto> Candles);

/// <summary>
/// Capacity over one bucket: the unsold capacity of open offers and the capacity under contract,
/// each the time-weighted mean rate over the bucket (exact when the bucket is one slot).
/// </summary>
public sealed record CapacityBucketDto(DateTimeOffset Start, DateTimeOffset End, decimal Offered, decimal Contracted);

/// <summary>Offered against contracted capacity over a range, in buckets of <c>BucketSeconds</c> (the market's slot, or coarser for long ranges).</summary>
public sealed record CapacityDto(string Market, string Unit, DateTimeOffset Start, DateTimeOffset End, int BucketSeconds, IReadOnlyList<CapacityBucketDto> Buckets);
