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

        if (offer.Window is { } w && CheckWindow(w, market) is { } bad)
        {
            return bad;
        }

        if (offer.Window is { } window && window.EndTicks <= at.UtcTicks)
        {
            return new(RejectCode.WindowInPast, $"the window {window} has already ended; offer capacity that is still to come");
        }

        return CheckRate(offer.Rate)
            ?? CheckPrice(offer.Ask, market, "ask")
            ?? (offer.MinimumPrice is { } min ? CheckPrice(min, market, "minimum price") : null)
            ?? (offer.MinimumPrice is { } m && m > offer.Ask
                ? new Rejection(RejectCode.HiddenLimitInvalid, $"the hidden minimum {m} is above the ask {offer.Ask}; it must be at or below the ask")
                : null)
            ?? CheckExpiry(offer.Expiry, at);
    }

    /// <summary>What is wrong with a need, or null when it may be placed at <paramref name="at"/>.</summary>
    public static Rejection? Check(NeedSpec need, MarketDefinition market, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(need);
        ArgumentNullException.ThrowIfNull(market);
        if (CheckWindow(need.Window, market) is { } bad)
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

        return CheckRate(need.Rate)
            ?? CheckPrice(need.Bid, market, "bid")
            ?? (need.MaximumPrice is { } max ? CheckPrice(max, market, "maximum price") : null)
            ?? (need.MaximumPrice is { } m && m < need.Bid
                ? new Rejection(RejectCode.HiddenLimitInvalid, $"the hidden maximum {m} is below the bid {need.Bid}; it must be at or above the bid")
                : null)
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

        if (!Pricing.IsOnTick(price, market.Tick))
        {
            var below = Math.Floor(price.PerUnitHour / market.Tick) * market.Tick;
            return new(RejectCode.PriceOffTick,
                $"the {what} {price} is not a multiple of the market's tick {market.Tick}; use {below} or {below + market.Tick}");
        }

        return null;
    }

    /// <summary>What is wrong with a rate, or null.</summary>
    public static Rejection? CheckRate(Rate rate) =>
        rate.Value <= 0 ? new Rejection(RejectCode.RateNotPositive, $"the rate must be at least one unit; it is {rate}") : null;

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
