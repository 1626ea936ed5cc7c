namespace Surplus.Protocol;

/// <summary>One price put forward in a negotiation.</summary>
public sealed record NegotiationMoveDto(string By, decimal Price, int Version, DateTimeOffset At);

/// <summary>
/// A negotiation between a buyer and the lowest eligible seller (steps 350–354), as either side
/// sees it: the other's last price, never its hidden limit.
/// </summary>
public sealed record NegotiationDto(
    long Id,
    string Market,
    long NeedId,
    long OfferId,
    string Role,
    string Status,
    long Rate,
    DateTimeOffset Start,
    DateTimeOffset End,
    decimal BuyerPrice,
    decimal SellerPrice,
    int Version,
    DateTimeOffset Deadline,
    decimal? AgreedPrice,
    IReadOnlyList<NegotiationMoveDto> History);

/// <summary>A new price; <c>Version</c> is the negotiation's version you last saw (a stale one is refused).</summary>
public sealed record CounterRequest(decimal Price, int Version);

/// <summary>Accept the other side's last price at this version.</summary>
public sealed record AcceptRequest(int Version);

/// <summary>The answer to a counter, an accept or a decline: the negotiation as it now stands, and the trade it made, if any.</summary>
public sealed record NegotiationResultDto(NegotiationDto Negotiation, IReadOnlyList<TradeDto> Trades);

/// <summary>
/// The <c>negotiation.outbid</c> signal: a higher bid (or an equal one placed earlier) now negotiates
/// for the offer's capacity over an overlapping window. The need keeps resting; raising the bid to
/// the ask buys what is free, and what the negotiation gives back if it ends without a trade.
/// </summary>
public sealed record NegotiationOutbidDto(long NeedId, long OfferId, DateTimeOffset Start, DateTimeOffset End);
