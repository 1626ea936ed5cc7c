namespace Surplus.Market;

/// <summary>The id of a negotiation, assigned by the engine.</summary>
public readonly record struct NegotiationId(long Value)
{
    /// <inheritdoc />
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// The id of a negotiation across all the exchange's markets, as the API shows it: assigned by the
/// exchange when the engine opens the negotiation. Not the engine's <see cref="NegotiationId"/>,
/// which numbers the negotiations of one market only.
/// </summary>
public readonly record struct ExchangeNegotiationId(long Value)
{
    /// <inheritdoc />
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Which side of a negotiation.</summary>
public enum NegotiationSide
{
    /// <summary>The buyer (the need's owner).</summary>
    Buyer,

    /// <summary>The seller (the offer's owner).</summary>
    Seller,
}

/// <summary>How a negotiation ended.</summary>
public enum NegotiationOutcome
{
    /// <summary>The prices crossed or one side accepted the other's: a trade.</summary>
    Agreed,

    /// <summary>One side declined.</summary>
    Declined,

    /// <summary>The deadline passed.</summary>
    Expired,

    /// <summary>The need or the offer was cancelled meanwhile.</summary>
    Withdrawn,
}

/// <summary>One price put forward in a negotiation.</summary>
public sealed record NegotiationMove(NegotiationSide By, Price Price, int Version, DateTimeOffset At);

/// <summary>
/// An open negotiation (steps 350–354): the need and the offer's capacity over the need's window
/// are locked; each side's last price stands until it is countered, accepted or declined.
/// </summary>
public sealed record NegotiationState(
    NegotiationId Id,
    NeedId Need,
    MemberId Buyer,
    OfferId Offer,
    MemberId Seller,
    Rate Rate,
    Window Window,
    Price BuyerPrice,
    Price SellerPrice,
    int Version,
    DateTimeOffset Deadline,
    IReadOnlyList<NegotiationMove> Moves);

/// <summary>A side puts forward a new price. <c>Version</c> is the version the side last saw; an older one is refused as stale.</summary>
public sealed record CounterPrice(NegotiationId Negotiation, MemberId By, Price Price, int Version, DateTimeOffset At) : MarketCommand(At);

/// <summary>A side accepts the other side's last price.</summary>
public sealed record AcceptPrice(NegotiationId Negotiation, MemberId By, int Version, DateTimeOffset At) : MarketCommand(At);

/// <summary>A side walks away.</summary>
public sealed record DeclineNegotiation(NegotiationId Negotiation, MemberId By, DateTimeOffset At) : MarketCommand(At);

/// <summary>A negotiation opened: both sides are told the other's price, the rate and the window (step 352).</summary>
public sealed record NegotiationOpened(NegotiationState Negotiation, DateTimeOffset At) : MarketEvent(At);

/// <summary>A side put forward a new price.</summary>
public sealed record NegotiationCountered(NegotiationState Negotiation, NegotiationSide By, DateTimeOffset At) : MarketEvent(At);

/// <summary>A negotiation ended; on agreement a <see cref="Traded"/> follows.</summary>
public sealed record NegotiationEnded(NegotiationState Negotiation, NegotiationOutcome Outcome, Price? Price, DateTimeOffset At) : MarketEvent(At);

/// <summary>
/// A resting need competed for an offer's capacity and lost (the regular auction): a higher bid,
/// or an equal one placed earlier, now negotiates for that capacity over an overlapping window.
/// The need keeps resting; raising its bid to the ask buys what is free, and what comes back if
/// that negotiation ends without a trade.
/// </summary>
public sealed record NegotiationOutbid(NeedId Need, MemberId Buyer, OfferId Offer, Window Window, DateTimeOffset At) : MarketEvent(At);

/// <summary>The rules of automatic negotiation.</summary>
public static class AutomaticNegotiation
{
    /// <summary>
    /// When the buyer's hidden maximum reaches the seller's hidden minimum, the price both agree at
    /// at once: the midpoint of <c>[max(bid, seller minimum), min(ask, buyer maximum)]</c>, on the
    /// tick (the midpoint rounded down to a tick, never below the interval). Null when either
    /// limit is missing or they do not meet.
    /// </summary>
    public static Price? Agree(Price bid, Price? buyerMaximum, Price ask, Price? sellerMinimum, decimal tick)
    {
        if (buyerMaximum is not { } max || sellerMinimum is not { } min || min > max)
        {
            return null;
        }

        var low = Math.Max(bid.PerUnitHour, min.PerUnitHour);
        var high = Math.Min(ask.PerUnitHour, max.PerUnitHour);
        if (low > high)
        {
            return null;
        }

        var mid = (low + high) / 2;
        var onTick = Math.Floor(mid / tick) * tick;
        return new Price(Math.Max(onTick, low));
    }

    /// <summary>The midpoint of a bid and an ask on the tick (rounded down, never below the ask): the price of a call auction's pair.</summary>
    public static Price Midpoint(Price bid, Price ask, decimal tick)
    {
        var mid = (bid.PerUnitHour + ask.PerUnitHour) / 2;
        return new Price(Math.Max(Math.Floor(mid / tick) * tick, ask.PerUnitHour));
    }
}
