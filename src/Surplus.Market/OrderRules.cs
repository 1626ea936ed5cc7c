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
            return new(RejectCode.AvailabilityInvalid, "an offer has either a window or a recurrence, not both and not neither");
        }

        if (offer.Window is { } w && (CheckWindow(w, market) ?? CheckReach(w, market, at)) is { } bad)
        {
            return bad;
        }

        if (offer.Window is { } window && window.EndTicks <= at.UtcTicks)
        {
            return new(RejectCode.WindowInPast, $"the window {window} has already ended; offer capacity that is still to come");
        }

        return CheckRate(offer.Rate, market)
            ?? CheckPrice(offer.Ask, market, "ask")
            ?? (offer.MinimumPrice is { } min ? CheckPrice(min, market, "minimum price") : null)
            ?? (offer.MinimumPrice is { } m && m > offer.Ask
                ? new Rejection(RejectCode.HiddenLimitInvalid, $"the hidden minimum {m} is above the ask {offer.Ask}; it must be at or below the ask")
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
            return new(RejectCode.WindowInPast,
                $"the window {need.Window} starts before the current slot ({Window.Format(slotStart)}); ask for capacity from then on");
        }

        if (need.Mode == OrderMode.Standing && need.Window.StartTicks < at.UtcTicks)
        {
            return new(RejectCode.WindowInPast,
                $"the window {need.Window} has already started; a standing need must start in the future (or place a spot need)");
        }

        return CheckRate(need.Rate, market)
            ?? CheckPrice(need.Bid, market, "bid")
            ?? (need.MaximumPrice is { } max ? CheckPrice(max, market, "maximum price") : null)
            ?? (need.MaximumPrice is { } m && m < need.Bid
                ? new Rejection(RejectCode.HiddenLimitInvalid, $"the hidden maximum {m} is below the bid {need.Bid}; it must be at or above the bid")
                : null)
            ?? CheckAmount(need.Rate, need.Window.Length, need.MaximumPrice is { } top && top > need.Bid ? top : need.Bid, market)
            ?? (need.Fill.Kind == FillKind.MinimumFill && (need.Fill.MinimumRate < 1 || need.Fill.MinimumRate > need.Rate.Value)
                ? new Rejection(RejectCode.MinFillInvalid, $"the minimum fill {need.Fill.MinimumRate} must be between 1 and the need's rate {need.Rate}")
                : null)
            ?? CheckExpiry(need.Expiry, at);
    }

    /// <summary>What is wrong with a price, or null.</summary>
    public static Rejection? CheckPrice(Price price, MarketDefinition market, string what)
    {
        ArgumentNullException.ThrowIfNull(market);
        if (price.PerUnitHour <= 0)
        {
            return new(RejectCode.PriceNotPositive, $"the {what} must be more than zero per unit-hour; it is {price}");
        }

        if (price.PerUnitHour > market.MaxPrice)
        {
            return new(RejectCode.PriceTooLarge,
                $"the {what} {price} is above the market's highest price, {market.MaxPrice} per unit-hour (its setting MaxPrice); name a lower price");
        }

        if (!Pricing.IsOnTick(price, market.Tick))
        {
            var below = Math.Floor(price.PerUnitHour / market.Tick) * market.Tick;
            return new(RejectCode.PriceOffTick,
                $"the {what} {price} is not a multiple of the market's tick {market.Tick}; use {below} or {below + market.Tick}");
        }

        return null;
    }

    /// <summary>What is wrong with a rate, or null.</summary>
    public static Rejection? CheckRate(Rate rate, MarketDefinition market)
    {
        ArgumentNullException.ThrowIfNull(market);
        return rate.Value <= 0
            ? new Rejection(RejectCode.RateNotPositive, $"the rate must be at least one unit; it is {rate}")
            : rate.Value > market.MaxRate
                ? new Rejection(RejectCode.RateTooLarge, $"the rate {rate} is above the market's largest, {market.MaxRate} {market.Unit} (its setting MaxRate); ask for less")
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
            ? new Rejection(RejectCode.AmountTooLarge,
                $"{rate} {market.Unit} for {length.TotalHours:0.##} h at {price} comes to more than one order may, {market.MaxAmountMinor} minor units (the market's setting MaxAmountMinor); ask for less capacity, a shorter window or a lower price")
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
            ? new Rejection(RejectCode.BeyondHorizon,
                $"the window {window} reaches further from now than the market's horizon of {market.OrderHorizon.TotalDays:0.##} days (its setting OrderHorizon); give one within [{Window.Format(earliest)}, {Window.Format(latest)}]")
            : null;
    }

    private static Rejection? CheckWindow(Window window, MarketDefinition market)
    {
        var checkedWindow = Window.Create(window.Start, window.End, market.Slot);
        return checkedWindow.Error;
    }

    private static Rejection? CheckExpiry(DateTimeOffset? expiry, DateTimeOffset at) =>
        expiry is { } e && e <= at
            ? new Rejection(RejectCode.ExpiryInPast, $"the expiry {e:O} is not after now ({at:O}); give a later expiry or none")
            : null;
}
