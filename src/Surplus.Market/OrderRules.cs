namespace Surplus.Market;

/// <summary>
/// The checks an order must pass before it reaches the book. The engine applies them to every
/// command; a server may apply them earlier to answer bad input without a trip to the engine.
/// </summary>
public static class OrderRules
{
    /// <summary>What is wrong with an offer, or null when it may be placed at <paramref name="at"/>.</summary>
    public static Rejection? Check(OfferSpec offer, MarketDefinition market, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(offer);
        ArgumentNullException.ThrowIfNull(market);
        if (offer.Window is null == offer.Recurrence is null)
        {
            return new(RejectMessages.AvailabilityInvalid);
        }

        if (offer.Window is { } w && (CheckWindow(w, market) ?? CheckReach(w, market, at)) is { } bad)
        {
            return bad;
        }

        if (offer.Window is { } window && window.EndTicks <= at.UtcTicks)
        {
            return new(RejectMessages.WindowEnded, ("window", window.ToString()));
        }

        return CheckRate(offer.Rate, market)
            ?? CheckPrice(offer.Ask, market, "ask")
            ?? (offer.MinimumPrice is { } min ? CheckPrice(min, market, "minimum price") : null)
            ?? (offer.MinimumPrice is { } m && m > offer.Ask
                ? new Rejection(RejectMessages.MinimumAboveAsk, ("minimum", m.PerUnitHour), ("ask", offer.Ask.PerUnitHour))
                : null)
            ?? CheckAmount(offer.Rate, offer.Window?.Length ?? offer.Recurrence!.Duration, offer.Ask, market)
            ?? (offer.Recurrence is { } recurrence ? recurrence.Check(market, at) : null)
            ?? CheckExpiry(offer.Expiry, at);
    }

    /// <summary>What is wrong with a need, or null when it may be placed at <paramref name="at"/>.</summary>
    public static Rejection? Check(NeedSpec need, MarketDefinition market, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(need);
        ArgumentNullException.ThrowIfNull(market);
        if ((CheckWindow(need.Window, market) ?? CheckReach(need.Window, market, at)) is { } bad)
        {
            return bad;
        }

        var slotStart = at.UtcTicks - (at.UtcTicks % market.Slot.Ticks);
        if (need.Window.EndTicks <= at.UtcTicks || need.Window.StartTicks < slotStart)
        {
            return new(RejectMessages.WindowBeforeCurrentSlot, ("window", need.Window.ToString()), ("slotStart", Window.Format(slotStart)));
        }

        if (need.Mode == OrderMode.Standing && need.Window.StartTicks < at.UtcTicks)
        {
            return new(RejectMessages.WindowStarted, ("window", need.Window.ToString()));
        }

        return CheckRate(need.Rate, market)
            ?? CheckPrice(need.Bid, market, "bid")
            ?? (need.MaximumPrice is { } max ? CheckPrice(max, market, "maximum price") : null)
            ?? (need.MaximumPrice is { } m && m < need.Bid
                ? new Rejection(RejectMessages.MaximumBelowBid, ("maximum", m.PerUnitHour), ("bid", need.Bid.PerUnitHour))
                : null)
            ?? CheckAmount(need.Rate, need.Window.Length, need.MaximumPrice is { } top && top > need.Bid ? top : need.Bid, market)
            ?? (need.Fill.Kind == FillKind.MinimumFill && (need.Fill.MinimumRate < 1 || need.Fill.MinimumRate > need.Rate.Value)
                ? new Rejection(RejectMessages.MinFillInvalid, ("minimumFill", need.Fill.MinimumRate), ("rate", need.Rate.Value))
                : null)
            ?? CheckExpiry(need.Expiry, at);
    }

    /// <summary>What is wrong with a price, or null.</summary>
    public static Rejection? CheckPrice(Price price, MarketDefinition market, string what)
    {
        ArgumentNullException.ThrowIfNull(market);
        if (price.PerUnitHour <= 0)
        {
            return new(RejectMessages.PriceNotPositive, ("what", what), ("price", price.PerUnitHour));
        }

        if (price.PerUnitHour > market.MaxPrice)
        {
            return new(RejectMessages.PriceTooLarge, ("what", what), ("price", price.PerUnitHour), ("maxPrice", market.MaxPrice));
        }

        if (!Pricing.IsOnTick(price, market.Tick))
        {
            var below = Math.Floor(price.PerUnitHour / market.Tick) * market.Tick;
            return new(RejectMessages.PriceOffTick,
                ("what", what), ("price", price.PerUnitHour), ("tick", market.Tick), ("below", below), ("above", below + market.Tick));
        }

        return null;
    }

    /// <summary>What is wrong with a rate, or null.</summary>
    public static Rejection? CheckRate(Rate rate, MarketDefinition market)
    {
        ArgumentNullException.ThrowIfNull(market);
        return rate.Value <= 0
            ? new Rejection(RejectMessages.RateNotPositive, ("rate", rate.Value))
            : rate.Value > market.MaxRate
                ? new Rejection(RejectMessages.RateTooLarge, ("rate", rate.Value), ("maxRate", market.MaxRate), ("unit", market.Unit))
                : null;
    }

    /// <summary>
    /// What is wrong with the money <paramref name="rate"/> over <paramref name="length"/> at
    /// <paramref name="price"/> comes to (as a need's hold counts it), or null. Rate and price
    /// must have passed their own checks.
    /// </summary>
    public static Rejection? CheckAmount(Rate rate, TimeSpan length, Price price, MarketDefinition market)
    {
        ArgumentNullException.ThrowIfNull(market);
        decimal amount;
        try
        {
            amount = (decimal)Pricing.UnitCeiling(new Window(0, length.Ticks), price, market.MinorUnitDigits).Minor * rate.Value;
        }
        catch (OverflowException)
        {
            // More than a long or a decimal holds is more than any bound.
            amount = decimal.MaxValue;
        }

        return amount > market.MaxAmountMinor
            ? new Rejection(RejectMessages.AmountTooLarge,
                ("rate", rate.Value), ("unit", market.Unit), ("hours", length.TotalHours), ("price", price.PerUnitHour), ("maxAmountMinor", market.MaxAmountMinor))
            : null;
    }

    /// <summary>
    /// What is wrong with how far a window reaches from <paramref name="at"/>, or null: both its
    /// edges must lie within the market's <see cref="MarketDefinition.OrderHorizon"/> of it.
    /// </summary>
    public static Rejection? CheckReach(Window window, MarketDefinition market, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(market);
        long now = at.UtcTicks, horizon = market.OrderHorizon.Ticks;
        long earliest = Math.Max(DateTimeOffset.MinValue.UtcTicks, now - horizon), latest = Math.Min(DateTimeOffset.MaxValue.UtcTicks, now + horizon);
        return window.StartTicks < earliest || window.EndTicks > latest
            ? new Rejection(RejectMessages.WindowBeyondHorizon,
                ("window", window.ToString()), ("days", market.OrderHorizon.TotalDays), ("earliest", Window.Format(earliest)), ("latest", Window.Format(latest)))
            : null;
    }

    private static Rejection? CheckWindow(Window window, MarketDefinition market)
    {
        var checkedWindow = Window.Create(window.Start, window.End, market.Slot);
        return checkedWindow.Error;
    }

    private static Rejection? CheckExpiry(DateTimeOffset? expiry, DateTimeOffset at) =>
        expiry is { } e && e <= at
            ? new Rejection(RejectMessages.ExpiryInPast, ("expiry", e), ("now", at))
            : null;
}
