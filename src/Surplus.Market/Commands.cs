namespace Surplus.Market;

/// <summary>Something asked of the engine, at an instant. Commands apply one at a time (the lock-out of steps 308/328).</summary>
public abstract record MarketCommand(DateTimeOffset At);

/// <summary>Place an ask.</summary>
public sealed record PlaceOffer(OfferSpec Offer, DateTimeOffset At) : MarketCommand(At);

/// <summary>Place a bid.</summary>
public sealed record PlaceNeed(NeedSpec Need, DateTimeOffset At) : MarketCommand(At);

/// <summary>Withdraw an open order.</summary>
public sealed record CancelOrder(OrderKey Order, MemberId By, DateTimeOffset At) : MarketCommand(At);

/// <summary>
/// Reprice or reduce an open order. A new price loses time priority and matches again at once;
/// a lower rate keeps it. For a need the rate is the new remaining rate; for an offer it is the
/// new rate at every instant, which may not fall below what is sold.
/// </summary>
public sealed record AmendOrder(OrderKey Order, MemberId By, Price? NewPrice, Rate? NewRate, DateTimeOffset At) : MarketCommand(At);

/// <summary>Let time pass: expire orders and extend recurring offers up to <c>At</c>.</summary>
public sealed record AdvanceTime(DateTimeOffset At) : MarketCommand(At);

/// <summary>Why an order left the book without being filled.</summary>
public enum CancelReason
{
    /// <summary>Its owner withdrew it.</summary>
    ByOwner,

    /// <summary>A spot order's unfilled rest.</summary>
    SpotRemainder,
}

/// <summary>One fill between one need and one offer.</summary>
public sealed record Trade(
    TradeId Id,
    string Market,
    NeedId Need,
    OfferId Offer,
    MemberId Buyer,
    MemberId Seller,
    Rate Rate,
    Window Window,
    Price Price,
    Money Amount,
    Money Fee,
    OrderSide Aggressor,
    DateTimeOffset At);

/// <summary>Something that happened in the engine, in order.</summary>
public abstract record MarketEvent(DateTimeOffset At);

/// <summary>An order was accepted and is being matched.</summary>
public sealed record OrderAccepted(OrderKey Order, MemberId Owner, DateTimeOffset At) : MarketEvent(At);

/// <summary>A command was refused; nothing changed.</summary>
public sealed record CommandRejected(OrderKey? Order, MemberId? Owner, Rejection Reason, DateTimeOffset At) : MarketEvent(At);

/// <summary>A need and an offer traded.</summary>
public sealed record Traded(Trade Trade) : MarketEvent(Trade.At);

/// <summary>An order rests in the book with capacity left.</summary>
public sealed record OrderRested(OrderKey Order, MemberId Owner, Rate Remaining, DateTimeOffset At) : MarketEvent(At);

/// <summary>An order has nothing left to fill and left the book.</summary>
public sealed record OrderFilled(OrderKey Order, MemberId Owner, DateTimeOffset At) : MarketEvent(At);

/// <summary>An order left the book unfilled, or partly filled.</summary>
public sealed record OrderCancelled(OrderKey Order, MemberId Owner, Rate Remaining, CancelReason Reason, DateTimeOffset At) : MarketEvent(At);

/// <summary>An order reached its expiry (a need also at its window's start).</summary>
public sealed record OrderExpired(OrderKey Order, MemberId Owner, Rate Remaining, DateTimeOffset At) : MarketEvent(At);

/// <summary>An order's price or rate changed.</summary>
public sealed record OrderAmended(OrderKey Order, MemberId Owner, Price Price, Rate Rate, bool LostPriority, DateTimeOffset At) : MarketEvent(At);

/// <summary>
/// The best eligible ask for a need is above its bid (step 350), or an incoming offer's ask is
/// above every eligible resting bid: the buyer and that seller should negotiate over
/// <c>Rate</c> for the need's window. <c>Negotiation</c> is the negotiation the engine opened
/// for the pair, on a market that opens negotiations.
/// </summary>
public sealed record NegotiationNeeded(
    NeedId Need,
    MemberId Buyer,
    Price Bid,
    OfferId Offer,
    MemberId Seller,
    Price Ask,
    Rate Rate,
    Window Window,
    DateTimeOffset At,
    NegotiationId? Negotiation = null) : MarketEvent(At);
