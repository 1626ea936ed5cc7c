namespace Surplus.Protocol;

/// <summary>A market: one kind of capacity with its unit and rules, and the timings its contracts keep (docs/contracts.md).</summary>
public sealed record MarketDto(
    string Id,
    string Unit,
    int SlotSeconds,
    decimal Tick,
    string Currency,
    int MinorUnitDigits,
    int FeeBasisPoints,
    string Clearing,
    bool Halted,
    int CollateralBasisPoints = 0,
    int StageLeadSeconds = 60,
    int HeartbeatTimeoutSeconds = 120,
    int GraceSeconds = 900,
    int AuctionIntervalSeconds = 60,
    bool OpensNegotiations = true,
    int NegotiationTimeoutSeconds = 600,
    long MaxRate = 1_000_000_000,
    decimal MaxPrice = 1_000_000m,
    long MaxAmountMinor = 1_000_000_000_000_000,
    int OrderHorizonDays = 366,
    int MaxOccurrences = 1000);

/// <summary>
/// The operator's request for a new market; the contract timings default to 60, 120 and 900 seconds.
/// A bid below the lowest ask opens a negotiation unless <c>OpensNegotiations</c> is false; a
/// negotiation lapses after <c>NegotiationTimeoutSeconds</c>; a <c>call-auction</c> market clears every <c>AuctionIntervalSeconds</c>.
/// The bounds on one order (<c>MaxRate</c>, <c>MaxPrice</c>, <c>MaxAmountMinor</c>, <c>OrderHorizonDays</c>,
/// <c>MaxOccurrences</c>) take the documented defaults when left out (docs/api.md, "Limits").
/// </summary>
public sealed record CreateMarketRequest(
    string Id,
    string Unit,
    int SlotSeconds = 60,
    decimal Tick = 0.01m,
    int FeeBasisPoints = 0,
    string Clearing = "continuous",
    int CollateralBasisPoints = 0,
    int? StageLeadSeconds = null,
    int? HeartbeatTimeoutSeconds = null,
    int? GraceSeconds = null,
    bool OpensNegotiations = true,
    int NegotiationTimeoutSeconds = 600,
    int AuctionIntervalSeconds = 60,
    long? MaxRate = null,
    decimal? MaxPrice = null,
    long? MaxAmountMinor = null,
    int? OrderHorizonDays = null,
    int? MaxOccurrences = null);

/// <summary>One price level of the book.</summary>
public sealed record BookLevelDto(decimal Price, long Rate, int Orders);

/// <summary>The book of a market for a window.</summary>
public sealed record BookDto(string Market, DateTimeOffset Start, DateTimeOffset End, IReadOnlyList<BookLevelDto> Offers, IReadOnlyList<BookLevelDto> Needs);

/// <summary>A trade. Buyer and seller are shown only to the parties.</summary>
public sealed record TradeDto(
    long Id,
    string Market,
    long NeedId,
    long OfferId,
    long? BuyerId,
    long? SellerId,
    long Rate,
    DateTimeOffset Start,
    DateTimeOffset End,
    decimal Price,
    long AmountMinor,
    long FeeMinor,
    string Aggressor,
    DateTimeOffset At);

/// <summary>A page of results; pass <c>Next</c> as <c>cursor</c> for the next one.</summary>
public sealed record PageDto<T>(IReadOnlyList<T> Items, string? Next);
